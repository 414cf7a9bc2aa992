"""The dev issuer's public keys, at Keycloak's path, for the embedded default only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from shared.errors import NotFoundError
from shared.http.security import Public

router = APIRouter(prefix="/dev-issuer", tags=["operations"])
Open = Annotated[None, Depends(Public())]


@router.get("/protocol/openid-connect/certs", summary="JWKS of the embedded dev token issuer")
def certs(_: Open, request: Request) -> dict[str, Any]:
    issuer = request.app.state.platform.issuer
    if issuer is None:
        raise NotFoundError("no dev issuer in this deployment")
    jwks: dict[str, Any] = issuer.jwks()
    return jwks
