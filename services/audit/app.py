"""The audit service's FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request

from services.audit import routes
from services.audit.bootstrap import AuditService
from shared.http import problems
from shared.http.security import Public

DESCRIPTION = """
Read-only history for the `auditor` role: every event of any record of any
tenant with the change it made, the state of a record as of a recorded time or
a business time, and the access log (every audit read is recorded in it).
Get a token in the embedded default with `entente token auditor`.
Verification, replay and export are long operations: `entente audit --help`.
"""

operations = APIRouter(tags=["operations"])
Open = Annotated[None, Depends(Public())]


@operations.get("/api/audit/healthz", summary="The process is alive")
def healthz(_: Open) -> dict[str, str]:
    return {"status": "ok"}


@operations.get("/api/audit/readyz", summary="The stores and the access log answer")
def readyz(_: Open, request: Request) -> dict[str, object]:
    service: AuditService = request.app.state.audit
    positions = {tenant: ledger.position() for tenant, ledger in service.ledgers.items()}
    service.access.setup()
    return {"status": "ready", "positions": positions}


def create_app(service: AuditService) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        service.start()
        try:
            yield
        finally:
            service.stop()

    app = FastAPI(
        title="Entente — audit service",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_url="/api/audit/openapi.json",
        docs_url="/api/audit/docs",
        redoc_url=None,
    )
    app.state.audit = service
    app.state.verifier = service.verifier
    app.state.tenants = service.tenants
    problems.install(app)
    app.include_router(operations)
    app.include_router(routes.router)
    return app
