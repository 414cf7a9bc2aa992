"""The tenant service's FastAPI application (one code base, tenants by configuration)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response

from services.tenant.bootstrap import Platform
from services.tenant.routes import (
    agreements,
    delegations,
    dev_issuer,
    health,
    history,
    missions,
    posts,
    views,
)
from shared.http import problems
from shared.http.limits import BodyLimit

DESCRIPTION = """
The cooperation ledger of one or more directorates. Every command is a POST
that accepts an `Idempotency-Key`; changes to an existing record need
`If-Match` with its version; errors are RFC 9457 problem documents.
Get a token in the embedded default with `entente token police-recorder`.
"""


def create_app(platform: Platform) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        platform.start()
        try:
            yield
        finally:
            platform.stop()

    app = FastAPI(
        title="Entente — tenant service",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.platform = platform
    app.state.verifier = platform.verifier
    app.state.tenants = list(platform.ledgers)
    problems.install(app)
    app.add_middleware(BodyLimit, max_bytes=platform.settings.max_body_bytes)

    @app.middleware("http")
    async def project_after_commands(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        if request.method == "POST" and response.status_code < 300:
            platform.written()
        return response

    # Views first: /missions/awaiting-validation must win over /missions/{record_id}.
    for module in (health, views, agreements, missions, delegations, posts, history, dev_issuer):
        app.include_router(module.router)
    return app
