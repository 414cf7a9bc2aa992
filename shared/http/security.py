"""Route policies: each route declares, as a dependency, who may call it.

``Allow(Action.RECORD)`` on a route under ``/api/{tenant}`` verifies the bearer
token, checks the tenant is served here (404 otherwise) and that the caller's
roles allow the action on that tenant (403 otherwise). ``Public()`` marks the
few routes that need no token (health, docs, the dev issuer's keys). A test
walks the route table and fails on any route that declares neither. Both then
refuse a query parameter the route does not take (``shared.http.query``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from shared.auth.roles import AUDITOR, Action, Principal
from shared.auth.tokens import TokenVerifier
from shared.errors import AuthenticationError, NotReadyError, PermissionDeniedError
from shared.http.query import declared_only
from shared.tenancy import served_tenant

#: Reads ``Authorization: Bearer …`` and declares the scheme in the OpenAPI document
#: (``security`` on every route with a policy); a missing or other scheme gives None,
#: and ``Allow`` answers it with our own 401 problem.
BEARER = HTTPBearer(
    scheme_name="bearer",
    bearerFormat="JWT",
    description="A token from the realm's issuer (Keycloak; `entente token <user>` in the "
    "embedded default), carrying the caller's roles",
    auto_error=False,
)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]


def bearer_token(credentials: HTTPAuthorizationCredentials | None) -> str:
    token = credentials.credentials.strip() if credentials is not None else ""
    if not token:
        raise AuthenticationError("a bearer token is required", challenge=None)
    return token


def one_authorization(request: Request) -> None:
    """Refuses a request with several ``Authorization`` headers.

    Starlette reads the first: a proxy or firewall reading the last would have
    judged another identity than the one served.
    """
    if len(request.headers.getlist("authorization")) > 1:
        raise AuthenticationError(
            "send one Authorization header, not several", challenge="invalid_request"
        )


class Allow:
    """Declares the action a route performs; resolves to the verified Principal."""

    def __init__(self, action: Action, tenant_scoped: bool = True) -> None:
        self.action = action
        self.tenant_scoped = tenant_scoped

    async def __call__(self, request: Request, credentials: Credentials) -> Principal:
        verifier: TokenVerifier = request.app.state.verifier
        one_authorization(request)
        token = bearer_token(credentials)
        # A token verified before is checked in the event loop (clock and key set,
        # no I/O); a new one in a worker thread, as its keys may need fetching.
        principal = verifier.verified(token)
        if principal is None:
            principal = await run_in_threadpool(verifier.verify, token)
        tenant = None
        if self.tenant_scoped:
            tenant = served_tenant(request.path_params["tenant"], request.app.state.tenants)
        if principal.audits_changes(self.action):
            raise PermissionDeniedError(
                f"auditors change nothing: a token holding the '{AUDITOR}' role may not "
                f"'{self.action}', whatever other roles it holds"
            )
        if not principal.may(self.action, tenant):
            raise PermissionDeniedError(f"your roles do not allow '{self.action}' here")
        if self.action is Action.READ and tenant is not None and principal.reads_as_auditor(tenant):
            await run_in_threadpool(record_audit_read, request, principal, tenant)
        request.state.principal = principal
        await declared_only(request)  # once the caller is known: a stranger learns nothing
        return principal


def record_audit_read(request: Request, principal: Principal, tenant: str) -> None:
    """Records an auditor's read of a tenant's records before it is served (fail closed).

    Every audit read is in the access log, whichever service answers it; a
    service that keeps no access log refuses the read (503) rather than serve
    it unrecorded.
    """
    access = getattr(request.app.state, "access", None)
    if access is None:
        raise NotReadyError("this service keeps no access log, so it cannot serve audit reads")
    query = f"?{request.url.query}" if request.url.query else ""
    access.record(principal, "tenant.read", request.url.path + query, tenant)


class Public:
    """Declares a route open to anyone (health, docs, public keys)."""

    async def __call__(self, request: Request) -> None:
        await declared_only(request)


#: Handler parameter types that declare a route's policy and give the caller.
Reader = Annotated[Principal, Depends(Allow(Action.READ))]
Recorder = Annotated[Principal, Depends(Allow(Action.RECORD))]
Validator = Annotated[Principal, Depends(Allow(Action.DECIDE))]
Auditor = Annotated[Principal, Depends(Allow(Action.AUDIT, tenant_scoped=False))]
ReportingReader = Annotated[Principal, Depends(Allow(Action.REPORT, tenant_scoped=False))]
Admin = Annotated[Principal, Depends(Allow(Action.ADMIN, tenant_scoped=False))]
