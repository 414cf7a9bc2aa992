"""The OpenAPI document states every problem an operation may answer, as RFC 9457 documents.

FastAPI documents a route's success answer and a 422 in its own
``HTTPValidationError`` shape, served as ``application/json``. This service
answers every error as an RFC 9457 problem (``application/problem+json``,
``shared.http.problems``), with more statuses than that: a client generated
from the raw document would expect the wrong error bodies.

``describe`` rewrites the document once, when it is first asked for: from
each operation's security (its policy, ``shared.http.security.Allow``, which
declares the bearer scheme) and inputs, it lists the problems that operation
can answer, each with the ``Problem`` schema and the headers it carries. The
rules mirror where the errors are raised; the contract tests
(``tests/api/test_contract.py``) send generated requests, valid and invalid,
and fail on any answer whose status, media type, headers or body the
document does not state.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

PROBLEM_JSON = "application/problem+json"

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem document: what went wrong, and where.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "A stable URI naming the kind of problem"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string", "description": "What to change, in words"},
        "field": {"type": "string", "description": "The input at fault (dotted path)"},
        "rule": {"type": "string", "description": "The rule it breaks, a stable code"},
        "position": {"type": "integer", "description": "The log position waited for (503)"},
        "holder": {
            "type": "string",
            "format": "uuid",
            "description": "The record that already holds the value (409 reference-taken)",
        },
        "errors": {
            "type": "array",
            "description": "Every input at fault; for a batch, each with its item's index",
            "items": {
                "type": "object",
                "required": ["field", "rule", "message"],
                "properties": {
                    "field": {"type": "string"},
                    "rule": {"type": "string"},
                    "message": {"type": "string"},
                    "index": {"type": "integer", "minimum": 0},
                },
            },
        },
    },
}

#: Each problem status: what it means here, and the headers it always carries.
MEANING: dict[int, tuple[str, dict[str, str]]] = {
    400: ("The body is not valid JSON", {}),
    401: (
        "No bearer token, or one that fails verification (signature, issuer, audience, expiry)",
        {"WWW-Authenticate": "The scheme to use: Bearer"},
    ),
    403: ("The caller's roles do not allow this action on this tenant", {}),
    404: ("No such tenant here, or no such record for the caller", {}),
    409: (
        "The record's status does not allow this command, another change came first, or a "
        "value one record of the directorate holds at a time (an agreement's reference, a "
        "country a post covers) is another record's: `holder` names it",
        {},
    ),
    412: ("If-Match names a version that is no longer current", {}),
    413: ("The body is larger than the service accepts", {}),
    414: ("The path and query are longer than the service reads (8 KiB)", {}),
    415: ("The body is not sent as application/json", {}),
    422: ("An input breaks a rule: the field, the rule and why", {}),
    428: ("A change to an existing record needs If-Match with its version", {}),
    500: ("An unexpected error; nothing was recorded", {}),
    503: (
        "Not ready, the views have not reached the position waited for, or too many "
        "reads already wait for one: retry",
        {"Retry-After": "Seconds to wait before retrying"},
    ),
}


def describe(app: FastAPI) -> None:
    """Makes ``app.openapi`` state each operation's problems (computed once, then cached)."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            rewrite(document)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def rewrite(document: dict[str, Any]) -> None:
    """Adds the ``Problem`` schema and every operation's problem responses."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    for path, operations in document.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status in sorted(problems_of(path, operation)):
                responses[str(status)] = _problem_response(status)
    _drop_unused(schemas, document)


def problems_of(path: str, operation: dict[str, Any]) -> set[int]:
    """The problem statuses one operation can answer, from its policy and inputs."""
    # Any target may be too long (shared.http.limits); any query may name a parameter the
    # operation does not take (shared.http.query, every route's policy: 422), even one
    # that takes none (the documents left it out there: probe 12).
    found = {414, 422, 500}
    parameters = operation.get("parameters", [])
    names = {(p["in"], p["name"].lower()) for p in parameters}
    has_body = "requestBody" in operation
    if path.endswith("/readyz"):
        found.add(503)
    if operation.get("security"):  # a policy (``Allow``): the token, the roles
        found |= {401, 403, 503}  # 503: keys unreachable, or an audit read not recordable
    if any(p["in"] == "path" for p in parameters):
        found.add(404)  # no such tenant here, no such record for the caller
    if has_body:
        found |= {400, 413, 415, 422}
    if ("header", "idempotency-key") in names:
        found |= {409, 422}  # a concurrent write won; a key reused with another request
    if ("header", "if-match") in names:
        found |= {409, 412, 428}
    if ("query", "min_position") in names:
        found.add(503)
    return found


def _problem_response(status: int) -> dict[str, Any]:
    description, headers = MEANING[status]
    response: dict[str, Any] = {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if headers:
        response["headers"] = {
            name: {"description": text, "required": True, "schema": {"type": "string"}}
            for name, text in headers.items()
        }
    return response


def _drop_unused(schemas: dict[str, Any], document: dict[str, Any]) -> None:
    """Removes FastAPI's validation-error schemas once nothing refers to them."""
    for name in ("HTTPValidationError", "ValidationError"):
        reference = f'"#/components/schemas/{name}"'
        others = {k: v for k, v in schemas.items() if k != name}
        if reference not in json.dumps({"paths": document["paths"], "schemas": others}):
            schemas.pop(name, None)
