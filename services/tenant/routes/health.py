"""Liveness and readiness: open routes, no data."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from shared.errors import NotReadyError
from shared.http.security import Public

router = APIRouter(tags=["operations"])
Open = Annotated[None, Depends(Public())]


@router.get("/healthz", summary="The process is alive")
def healthz(_: Open) -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The stores answer and the projector runs")
def readyz(_: Open, request: Request) -> dict[str, object]:
    platform = request.app.state.platform
    projector = platform.projector
    if projector is not None and projector.stopped_by_error:
        raise NotReadyError(f"the projector stopped: {projector.failure}")
    positions = {tenant: ledger.position() for tenant, ledger in platform.ledgers.items()}
    return {"status": "ready", "positions": positions}
