"""Every route declares who may call it, and documents itself.

The walk fails on any route without an ``Allow`` or ``Public`` policy among its
dependencies, so a new route without a rule fails the suite; only FastAPI's own
documentation routes (the OpenAPI document, its viewers and their files) are exempt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts

from shared.auth.roles import Action
from shared.http.api_docs import documentation_paths
from shared.http.security import Allow, Public

if TYPE_CHECKING:
    from .conftest import Api

Policy = Allow | Public


def _policies(dependant: Dependant | None) -> list[Policy]:
    """Every policy in a route's dependency tree, in resolution order."""
    found: list[Policy] = []
    for sub in dependant.dependencies if dependant else []:
        if isinstance(sub.call, Allow | Public):
            found.append(sub.call)
        found.extend(_policies(sub))
    return found


def routes_without_policy(app: FastAPI) -> list[str]:
    """``METHOD path`` of every route that declares no policy."""
    missing = []
    for route in iter_route_contexts(app.routes):
        if route.path in documentation_paths(app):
            continue
        if not _policies(getattr(route, "dependant", None)):
            methods = ",".join(sorted(route.methods or ["*"]))
            missing.append(f"{methods} {route.path}")
    return missing


def _routes(app: FastAPI) -> list[tuple[str, str, object]]:
    """(method, path, first dependency) of every route with a dependant."""
    found: list[tuple[str, str, object]] = []
    for route in iter_route_contexts(app.routes):
        dependant: Dependant | None = getattr(route, "dependant", None)
        if dependant is None or not dependant.dependencies:
            continue
        first = dependant.dependencies[0].call
        for method in sorted(route.methods or []):
            found.append((method, str(route.path), first))
    return found


def test_every_route_declares_a_policy(api: Api) -> None:
    app = api.client.app
    assert isinstance(app, FastAPI)

    assert routes_without_policy(app) == []


def test_the_walk_catches_a_route_without_policy() -> None:
    router = APIRouter()

    @router.get("/open")
    def open_route(_: Annotated[None, Depends(Public())]) -> None: ...

    @router.get("/naked")
    def naked() -> None: ...

    app = FastAPI()
    app.include_router(router)

    assert routes_without_policy(app) == ["GET /naked"]


def test_the_policy_is_the_first_dependency_so_it_runs_first(api: Api) -> None:
    app = api.client.app
    assert isinstance(app, FastAPI)

    late = [f"{m} {p}" for m, p, first in _routes(app) if not isinstance(first, Allow | Public)]

    assert late == []


def test_tenant_routes_read_with_read_record_with_record_and_decide_only_on_requests(
    api: Api,
) -> None:
    app = api.client.app
    assert isinstance(app, FastAPI)
    actions: dict[str, set[str]] = {"GET": set(), "POST": set()}

    for method, path, first in _routes(app):
        if path.startswith("/api/{tenant}/") and isinstance(first, Allow):
            assert first.tenant_scoped, path
            actions[method].add(first.action.value)
            if first.action is Action.DECIDE:
                assert path.rsplit("/", 1)[-1] in {
                    "validation",
                    "decline",
                    "decision-correction",
                    "decision-withdrawal",
                }, path

    assert actions == {"GET": {"read"}, "POST": {"record", "decide"}}


def _operations(api: Api) -> list[tuple[str, str, dict[str, Any]]]:
    document: dict[str, Any] = api.client.get("/openapi.json").json()
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def test_every_operation_has_a_summary(api: Api) -> None:
    operations = _operations(api)

    assert len(operations) >= 36
    assert [f"{m} {p}" for m, p, op in operations if not op.get("summary")] == []


def test_every_command_body_is_typed_and_gives_examples(api: Api) -> None:
    document: dict[str, Any] = api.client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    lacking = []

    for method, path, operation in _operations(api):
        if method != "post" or not path.startswith("/api/"):
            continue
        reference = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        schema = schemas[reference.rsplit("/", 1)[-1]]
        for name in schema.get("required", []):
            if "examples" not in schema["properties"][name]:
                lacking.append(f"{path}: {name}")

    assert lacking == []


def test_every_command_documents_idempotency_key_and_changes_if_match(api: Api) -> None:
    for method, path, operation in _operations(api):
        if method != "post" or not path.startswith("/api/{tenant}/"):
            continue
        headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        assert "idempotency-key" in headers, path
        if "{record_id}" in path:
            assert "if-match" in headers, path
