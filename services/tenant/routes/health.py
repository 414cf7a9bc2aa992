"""Liveness, readiness and the front page: open routes, no data."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from shared.errors import NotReadyError
from shared.http.security import Public

router = APIRouter(tags=["operations"])
Open = Annotated[None, Depends(Public())]


@router.get("/", include_in_schema=False)
def home(_: Open, request: Request) -> RedirectResponse:
    """The address people open in a browser leads to the API's documentation, not a 404.

    Relative, so it holds behind any host name or published port.
    """
    return RedirectResponse(request.app.docs_url or "/openapi.json", status_code=307)


@router.get("/healthz", summary="The process is alive")
def healthz(_: Open) -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The stores answer and the projector runs")
def readyz(_: Open, request: Request) -> dict[str, object]:
    platform = request.app.state.platform
    projector = platform.projector
    reason = None if projector is None else projector.stop_reason("the projector")
    if reason is not None:
        raise NotReadyError(reason)
    for ledger in platform.ledgers.values():
        ledger.position()  # the store answers (or this raises: 503)
    platform.verifier.keys.check_available()  # tokens can be verified
    # No positions: the probe is open, and each directorate's log position tells anyone
    # how much it records and when; readers have ``/api/<tenant>/views/position``.
    return {"status": "ready"}
