"""The tenant service's FastAPI application (one code base, tenants by configuration)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
from shared.http.api_docs import documented_app
from shared.http.browser_headers import BrowserHardening
from shared.http.head import HeadAsGet
from shared.http.limits import BodyLimit, TargetLimit
from shared.http.no_store import NoStoreForAuthenticated

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

    app = documented_app(
        docs_url="/docs",
        redoc_url="/redoc",
        title="Entente — tenant service",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.platform = platform
    app.state.verifier = platform.verifier
    app.state.tenants = list(platform.ledgers)
    app.state.access = platform.access  # auditors' reads are recorded (shared.http.security)
    problems.install(app)
    app.add_middleware(BodyLimit, max_bytes=platform.settings.max_body_bytes)
    app.add_middleware(ProjectAfterCommands, written=platform.written)
    # Outside the ones above: every answer to a token's request, the 413 included. A HEAD
    # passes through it as its GET; a 414 is answered before any token is read.
    app.add_middleware(NoStoreForAuthenticated)
    app.add_middleware(HeadAsGet)
    app.add_middleware(TargetLimit)
    app.add_middleware(BrowserHardening)  # outermost: the 414 and 413 answers too

    # Views first: /missions/awaiting-validation must win over /missions/{record_id}.
    for module in (health, views, agreements, missions, delegations, posts, history):
        app.include_router(module.router)
    if platform.issuer is not None:  # not documented where Keycloak signs (probe 13)
        app.include_router(dev_issuer.router)
    return app


class ProjectAfterCommands:
    """ASGI middleware: a POST answered 2xx wakes the projector (``Platform.written``).

    Plain ASGI rather than ``@app.middleware("http")``, whose per-request task
    and streams cost more than the command itself.
    """

    def __init__(self, app: ASGIApp, written: Callable[[], None]) -> None:
        self.app = app
        self.written = written

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return

        async def send_and_wake(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 300:
                self.written()
            await send(message)

        await self.app(scope, receive, send_and_wake)
