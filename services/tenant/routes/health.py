"""Liveness and readiness: open routes, no data."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from shared.http.security import Public

router = APIRouter(tags=["operations"])
Open = Annotated[None, Depends(Public())]


@router.get("/healthz", summary="The process is alive")
def healthz(_: Open) -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The stores answer")
def readyz(_: Open, request: Request) -> dict[str, object]:
    platform = request.app.state.platform
    positions = {tenant: ledger.position() for tenant, ledger in platform.ledgers.items()}
    return {"status": "ready", "positions": positions}
