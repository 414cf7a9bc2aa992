"""The reporting service's FastAPI application (standalone deployment).

Operations routes are open (probes); everything under ``/api/reporting`` is
for ``reporting:reader`` (see ``routes.py``). The embedded server does not use
this app: it mounts the same router into the tenant app (``embedded.py``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request

from services.reporting.bootstrap import ReportingService
from services.reporting.routes import router as reporting_router
from shared.auth.tokens import TokenVerifier
from shared.errors import NotReadyError
from shared.http import problems
from shared.http.api_docs import documented_app
from shared.http.browser_headers import BrowserHardening
from shared.http.head import HeadAsGet
from shared.http.limits import TargetLimit
from shared.http.no_store import NoStoreForAuthenticated
from shared.http.security import Public

operations = APIRouter(tags=["operations"])
Open = Annotated[None, Depends(Public())]

DESCRIPTION = """
Consolidated cross-ministry reporting: figures by country, directorate, year,
mission type and theme; agreements in force by country; who works with which
country on which theme; overlaps between directorates. Every answer states its
counting rule and the log position it reflects per directorate. For the role
`reporting:reader`; in the embedded default: `entente token reporting`.
"""


# Also under the service's prefix: served beside the tenant services (``entente serve``),
# only /api/reporting/... reaches this app, and /api/reporting/readyz answered 404. The
# document states the prefixed paths, as the audit's does: read at /api/reporting/docs,
# the root ones are another service's wherever one entry point serves the platform
# ("try it out" probed the tenant service: probe 12). The root ones stay for the probes
# of the service's own container.
@operations.get("/api/reporting/healthz", summary="The process is alive")
@operations.get("/healthz", include_in_schema=False)
def healthz(_: Open) -> dict[str, str]:
    return {"status": "ok"}


@operations.get("/api/reporting/readyz", summary="The reporting projector runs")
@operations.get("/readyz", include_in_schema=False)
def readyz(_: Open, request: Request) -> dict[str, Any]:
    runner = request.app.state.reporting.runner
    reason = runner.stop_reason("the reporting projector")
    if reason is not None:
        raise NotReadyError(reason)
    if not runner.is_alive():
        raise NotReadyError("the reporting projector is not running")
    alerts = request.app.state.reporting.alert_relay
    if alerts is not None and not alerts.is_alive():
        raise NotReadyError("the alert relay stopped (see the logs): alerts are not published")
    request.app.state.verifier.keys.check_available()  # tokens can be verified
    return {"status": "ready"}


def create_app(service: ReportingService, verifier: TokenVerifier) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        service.start()
        try:
            yield
        finally:
            service.stop()

    app = documented_app(
        title="Entente — reporting",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        # Under its own prefix, as the audit service's: through the platform's one entry
        # point, /openapi.json and /docs are the tenant service's.
        openapi_url="/api/reporting/openapi.json",
        docs_url="/api/reporting/docs",
        redoc_url="/api/reporting/redoc",
    )
    app.state.reporting = service
    app.state.verifier = verifier
    app.state.tenants = list(service.tenants)
    problems.install(app)
    app.add_middleware(NoStoreForAuthenticated)
    app.add_middleware(HeadAsGet)
    app.add_middleware(TargetLimit)
    app.add_middleware(BrowserHardening)  # outermost: the 414 and 413 answers too
    app.include_router(operations)
    app.include_router(reporting_router)
    return app
