"""Refuses oversized bodies before they are read into memory (413, nothing recorded),
and request targets longer than any page of ours writes (414)."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.http.problems import problem


class BodyLimit:
    """ASGI middleware: checks Content-Length, then counts streamed bytes."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                # FastAPI passes an HTTPException raised while reading the body
                # through to the problem handler; any other error becomes a 400.
                raise HTTPException(413, f"the body exceeds {self.max_bytes} bytes")
            return message

        await self.app(scope, counting_receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        await too_large(self.max_bytes)(scope, receive, send)


#: The longest request target (path and query) served, in bytes: what common servers and
#: proxies take by default (8 KiB). Our own links and cursors stay far below it.
MAX_TARGET = 8192


class TargetLimit:
    """ASGI middleware: a 414 problem for a path and query longer than ``MAX_TARGET``.

    Nothing limited them: a 100,000-character filter value was parsed, and echoed
    back whole in its 422 problem (a 100 KB answer to a typo or a probe).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            length = len(scope.get("raw_path") or scope["path"].encode())
            length += len(scope.get("query_string", b""))
            if length > MAX_TARGET:
                refusal = problem(
                    414,
                    "uri-too-long",
                    "URI too long",
                    f"the path and query take {length} bytes; at most {MAX_TARGET} are served",
                    field="uri",
                    rule="max-bytes",
                )
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)


def too_large(max_bytes: int) -> Response:
    """The 413 problem, whether the size was declared or counted as the body came."""
    return problem(
        413,
        "payload-too-large",
        "Payload too large",
        f"the body exceeds {max_bytes} bytes",
        field="body",
        rule="max-bytes",
    )
