"""Reporting inside the embedded server (``make run``): one process, no broker.

The tenant process already has every tenant's ledger open, so reporting reads
them through ``EmbeddedEventLog`` (no second connection to each store) and
its router is included in the tenant app, whose token verifier it shares.
Wiring, in ``services/tenant/app.py``::

    reporting = embedded_reporting(platform.settings, platform.ledgers)
    mount(app, reporting)                 # /api/reporting/… on the same server
    # in the lifespan: platform.start(); reporting.start() … reporting.stop(); platform.stop()
    # optionally, after a command commits: reporting.wake()
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from fastapi import FastAPI

from services.reporting.bootstrap import AccessRecorder, Clock, ReportingService, bootstrap
from services.reporting.routes import router
from services.reporting.settings import ReportingSettings
from shared.application.ledger import CooperationLedger
from shared.log.embedded import EmbeddedEventLog
from shared.settings import Settings


def embedded_reporting(
    settings: Settings,
    ledgers: Mapping[str, CooperationLedger],
    *,
    access: AccessRecorder | None = None,
    clock: Clock = lambda: datetime.now(UTC),
) -> ReportingService:
    """The reporting service over ledgers this process already holds (not started yet)."""
    reporting_settings = ReportingSettings.model_validate(
        {**settings.model_dump(), "tenants": list(ledgers)}
    )
    return bootstrap(reporting_settings, log=EmbeddedEventLog(ledgers), access=access, clock=clock)


def mount(app: FastAPI, service: ReportingService) -> None:
    """Serves ``/api/reporting/…`` from ``app`` (start and stop stay the caller's).

    The routes go *before* the app's own: Starlette takes the first route that
    matches, and the tenant app's ``/api/{tenant}/agreements/{record_id}``
    would otherwise take ``/api/reporting/agreements/in-force`` for a record
    of a tenant named "reporting" (and answer 404).
    """
    app.state.reporting = service
    routes = app.router.routes
    count = len(routes)
    app.include_router(router)
    routes[:] = routes[count:] + routes[:count]
