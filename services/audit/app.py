"""The audit service's FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request

from services.audit import routes
from services.audit.bootstrap import AuditService, StoreUnavailableError
from shared.errors import NotReadyError, first_line
from shared.http import problems
from shared.http.api_docs import documented_app
from shared.http.browser_headers import BrowserHardening
from shared.http.head import HeadAsGet
from shared.http.limits import TargetLimit
from shared.http.no_store import NoStoreForAuthenticated
from shared.http.security import Public

DESCRIPTION = """
Read-only history for the `auditor` role: every event of any record of any
tenant with the change it made, the state of a record as of a recorded time or
a business time, a directorate's views (register, board, calendar, posts,
country file, annual report) as of a recorded time, and the access log (every
audit read is recorded in it).
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
    """Every tenant's store answers (503 naming those that do not), then the access log.

    A tenant whose store is in a database of its own is read through its URL in
    ``ENTENTE_POSTGRES_URLS``; a wrong or missing one shows here, by tenant.
    """
    service: AuditService = request.app.state.audit
    unreadable: list[str] = []
    for tenant in service.tenants:
        try:
            service.ledger(tenant).position()
        except StoreUnavailableError as error:  # could not be opened: its reason, as said
            unreadable.append(f"{tenant} ({error.detail})")
        except Exception as error:  # each tenant's reason, in one answer
            reason = f"{type(error).__name__}: {first_line(error)}"
            unreadable.append(f"{tenant} ({reason}; {service.where(tenant)})")
    if unreadable:
        raise NotReadyError(
            "the event stores of these tenants cannot be read: " + "; ".join(unreadable)
        )
    service.access.setup()
    service.verifier.keys.check_available()  # tokens can be verified
    # No positions: the probe is open, and each directorate's log position tells
    # anyone how much it records and when (an auditor reads them with a token).
    return {"status": "ready"}


def create_app(service: AuditService) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        service.start()
        try:
            yield
        finally:
            service.stop()

    app = documented_app(
        title="Entente — audit service",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_url="/api/audit/openapi.json",
        docs_url="/api/audit/docs",
        redoc_url="/api/audit/redoc",
    )
    app.state.audit = service
    app.state.verifier = service.verifier
    app.state.tenants = service.tenants
    problems.install(app)
    app.add_middleware(NoStoreForAuthenticated)
    app.add_middleware(HeadAsGet)
    app.add_middleware(TargetLimit)
    app.add_middleware(BrowserHardening)  # outermost: the 414 and 413 answers too
    app.include_router(operations)
    app.include_router(routes.router)
    return app
