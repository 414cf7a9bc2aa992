"""Routes whose blocking endpoint costs one worker-thread hop, not two.

FastAPI runs a plain ``def`` endpoint in a worker thread, then, because the
endpoint is not a coroutine, validates its return value against the response
model in a worker thread again. Each hop is a queue put, a thread wake-up and
two hand-overs of the interpreter lock; under load, the second hop alone was
about a twentieth of the tenant service's time per command, for a validation
of a few fields.

``OneHopRoute`` wraps such an endpoint in a coroutine that runs it in the
worker thread pool itself (the same pool, the same limiter), so FastAPI treats
it as a coroutine and validates the result where it already is, on the event
loop. The endpoint's signature is kept (``functools.wraps``), so parameters,
dependencies and the OpenAPI document are unchanged.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool


def one_hop(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """``endpoint`` as a coroutine function running it in the worker thread pool."""
    if inspect.iscoroutinefunction(endpoint):
        return endpoint

    @functools.wraps(endpoint)
    async def run(*args: Any, **kwargs: Any) -> Any:
        return await run_in_threadpool(endpoint, *args, **kwargs)

    return run


class OneHopRoute(APIRoute):
    """An ``APIRoute`` whose blocking endpoint is wrapped by ``one_hop``."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, one_hop(endpoint), **kwargs)
