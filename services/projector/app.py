"""The projector service's HTTP face: operations only, every route with its policy.

``/healthz``, ``/readyz`` and ``/metrics`` are open (probes and Prometheus);
``/status`` names tenants, offsets and failures, so it is for ``platform:admin``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response

from services.projector.bootstrap import ProjectorService
from shared.errors import NotReadyError
from shared.http import problems
from shared.http.browser_headers import BrowserHardening
from shared.http.head import HeadAsGet
from shared.http.limits import TargetLimit
from shared.http.security import Admin, Public
from shared.metrics import metrics_response

router = APIRouter(tags=["operations"])
Open = Annotated[None, Depends(Public())]


def _service(request: Request) -> ProjectorService:
    service: ProjectorService = request.app.state.service
    return service


@router.get("/healthz", summary="The process is alive")
def healthz(_: Open) -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The projector runs (a version gap or other stop fails this)")
def readyz(_: Open, request: Request) -> dict[str, Any]:
    runner = _service(request).runner
    reason = runner.stop_reason("the projector")
    if reason is not None:
        raise NotReadyError(reason)
    if not runner.is_alive():
        raise NotReadyError("the projector is not running")
    return {"status": "ready"}


@router.get("/metrics", summary="Prometheus metrics: lag per partition, applied, parked")
def metrics(_: Open, request: Request) -> Response:
    return metrics_response(_service(request).metrics.registry)


@router.get("/status", summary="Per tenant position, per partition offsets and lag, parked count")
def status(_: Admin, request: Request) -> dict[str, Any]:
    return _service(request).status()


def create_app(service: ProjectorService) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        service.start()
        try:
            yield
        finally:
            service.stop()

    app = FastAPI(
        title="Entente — projector",
        version="0.1.0",
        description="Consumes the tenant topics into the read views.",
        lifespan=lifespan,
        redirect_slashes=False,  # no redirect built from the Host header (shared.http.api_docs)
    )
    app.state.service = service
    app.state.verifier = service.verifier
    app.state.tenants = list(service.tenants)
    problems.install(app)
    app.add_middleware(HeadAsGet)
    app.add_middleware(TargetLimit)
    app.add_middleware(BrowserHardening)  # outermost: the 414 and 413 answers too
    app.include_router(router)
    return app
