"""Every demo user × every route × every tenant, with real Keycloak tokens.

The table is generated from the application's routes: each route's declared
policy (``Allow(action)`` or ``Public()``) and ``Principal.may`` give the
expected answer, so a new route is in the matrix the day it is added, and a
route without a declared rule makes ``route_table`` fail. One request per cell;
what matters is 403 (refused by the policy) versus anything else (let through:
a 404 for a made-up id or a 422 for an empty body still proves the policy let
the caller in). The role model itself is pinned independently, below.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from shared.auth.dev_issuer import demo_users
from shared.auth.roles import Action, Principal
from shared.http.api_docs import documentation_paths
from shared.http.security import Allow, Public
from shared.tenancy import DEFAULT_TENANTS

from .conftest import Keycloak

TENANTS = list(DEFAULT_TENANTS)
DEMO_USERS = demo_users(TENANTS)
#: A value for each path parameter; a route with another one fails until it is added here.
SAMPLES = {"record_id": str(uuid.uuid4()), "country": "VN", "year": "2024"}
Policy = Allow | Public


class UndeclaredRouteError(AssertionError):
    """Raised when a route declares no policy, or has a parameter the matrix cannot fill."""


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    policy: Policy

    def url(self, tenant: str | None) -> str:
        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            if name == "tenant" and tenant is not None:
                return tenant
            if name not in SAMPLES:
                raise UndeclaredRouteError(f"{self.path}: add a sample value for {{{name}}}")
            return SAMPLES[name]

        return re.sub(r"\{(\w+)\}", fill, self.path)

    @property
    def tenants(self) -> Sequence[str | None]:
        return TENANTS if "{tenant}" in self.path else [None]


def _policy(dependant: Dependant | None) -> Policy | None:
    for sub in dependant.dependencies if dependant else []:
        if isinstance(sub.call, Allow | Public):
            return sub.call
        found = _policy(sub)
        if found is not None:
            return found
    return None


def route_table(app: FastAPI) -> list[Route]:
    """Every (method, path) with its policy; raises if any route declares none.

    FastAPI's own documentation routes are public by construction.
    """
    documentation = documentation_paths(app)
    routes: list[Route] = []
    undeclared: list[str] = []
    for route in iter_route_contexts(app.routes):
        if route.path in documentation and not getattr(route, "methods", None):
            continue  # the viewers' files (a static mount), not a route of the API
        policy: Policy | None = Public() if route.path in documentation else None
        policy = policy or _policy(getattr(route, "dependant", None))
        methods = sorted(set(route.methods or ["*"]) - {"HEAD"})
        if policy is None:
            undeclared.append(f"{','.join(methods)} {route.path}")
            continue
        routes.extend(Route(method, str(route.path), policy) for method in methods)
    if undeclared:
        raise UndeclaredRouteError(f"routes without a declared policy: {undeclared}")
    return routes


def _expected_allowed(route: Route, username: str, tenant: str | None) -> bool:
    if isinstance(route.policy, Public):
        return True
    principal = Principal(username, username, frozenset(DEMO_USERS[username].roles))
    scope = tenant if route.policy.tenant_scoped else None
    return principal.may(route.policy.action, scope)


def _call(client: TestClient, route: Route, url: str, headers: dict[str, str]) -> int:
    body: dict[str, str] | None = {} if route.method != "GET" else None
    status: int = client.request(route.method, url, headers=headers, json=body).status_code
    return status


def _app(client: TestClient) -> FastAPI:
    assert isinstance(client.app, FastAPI)
    return client.app


@pytest.mark.parametrize("username", sorted(DEMO_USERS))
def test_every_route_and_tenant_answers_as_the_declared_policy_says(
    keycloak: Keycloak, tenant_client: TestClient, username: str
) -> None:
    headers = keycloak.auth(username)
    wrong: list[str] = []
    cells = 0

    for route in route_table(_app(tenant_client)):
        for tenant in route.tenants:
            url = route.url(tenant)
            status = _call(tenant_client, route, url, headers)
            cells += 1
            allowed = _expected_allowed(route, username, tenant)
            if (allowed and (status in (401, 403) or status >= 500)) or (
                not allowed and status != 403
            ):
                wrong.append(f"{route.method} {url}: expected {'in' if allowed else 403}, {status}")

    assert wrong == []
    assert cells >= 3 * 40  # every tenant route (bulk import included) per tenant, others once


def test_every_route_but_the_public_ones_wants_a_token(tenant_client: TestClient) -> None:
    wrong = []
    for route in route_table(_app(tenant_client)):
        for tenant in route.tenants:
            status = _call(tenant_client, route, route.url(tenant), {})
            if (status == 401) == isinstance(route.policy, Public):
                wrong.append(f"{route.method} {route.url(tenant)}: {status}")

    assert wrong == []


def test_a_route_without_a_declared_policy_fails_the_table() -> None:
    router = APIRouter()

    @router.get("/api/{tenant}/open")
    def declared(_: Annotated[None, Depends(Public())]) -> None: ...

    @router.post("/api/{tenant}/naked")
    def naked() -> None: ...

    app = FastAPI()
    app.include_router(router)

    with pytest.raises(UndeclaredRouteError, match=r"POST /api/\{tenant\}/naked"):
        route_table(app)


def test_a_route_with_a_parameter_the_matrix_cannot_fill_fails() -> None:
    route = Route("GET", "/api/{tenant}/things/{thing_id}", Allow(Action.READ))

    with pytest.raises(UndeclaredRouteError, match="thing_id"):
        route.url("police")


#: The role model, stated independently of the code: what each role may do on
#: its own tenant, on another tenant, and the platform-wide actions (which name
#: no tenant, so the tenant in the URL does not matter to them).
ROLE_MODEL: dict[str, dict[str, set[Action]]] = {
    "recorder": {"own": {Action.READ, Action.RECORD}, "other": set(), "platform": set()},
    "validator": {"own": {Action.READ, Action.DECIDE}, "other": set(), "platform": set()},
    "reader": {"own": {Action.READ}, "other": set(), "platform": set()},
    "reporting": {"own": set(), "other": set(), "platform": {Action.REPORT}},
    "auditor": {"own": {Action.READ}, "other": {Action.READ}, "platform": {Action.AUDIT}},
    "admin": {"own": set(), "other": set(), "platform": {Action.ADMIN}},
}
TENANT_ACTIONS = {Action.READ, Action.RECORD, Action.DECIDE}


def _modelled(username: str, action: Action, tenant: str | None) -> bool:
    home = next((t for t in TENANTS if username.startswith(f"{t}-")), None)
    model = ROLE_MODEL[username.removeprefix(f"{home}-") if home else username]
    if action not in TENANT_ACTIONS:
        return action in model["platform"]
    return tenant is not None and action in model["own" if tenant == home else "other"]


@pytest.mark.parametrize("username", sorted(DEMO_USERS))
def test_principal_may_is_the_documented_role_model(username: str) -> None:
    user = DEMO_USERS[username]
    principal = Principal(username, user.name, frozenset(user.roles))

    for action in Action:
        for tenant in [None, *TENANTS]:
            expected = _modelled(username, action, tenant)
            assert principal.may(action, tenant) == expected, (action, tenant)
