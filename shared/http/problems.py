"""RFC 9457 problem details: the one map from errors to HTTP responses.

Bad input gets a precise 4xx naming the field and the rule; nothing else in
the code base writes an error response.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from eventsourcing.persistence import MapperDeserialisationError, PersistenceError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from shared import errors
from shared.http.fields import BATCH_ITEMS, field_path
from shared.http.openapi import describe
from shared.http.store_faults import passing_fault
from shared.http.strict_json import (
    DUPLICATE_KEY,
    DuplicateKeyError,
    NotJSONConstantError,
    UnsupportedBodyError,
)

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://entente.interieur.gouv.fr/problems/"
#: The 401's challenge (RFC 6750); a refused token adds ``error="invalid_token"``.
BEARER_CHALLENGE = 'Bearer realm="entente"'
log = logging.getLogger("entente.http")

STATUS: dict[type[errors.EntenteError], int] = {
    errors.ValidationError: 422,
    errors.IllegalTransition: 409,
    errors.NothingToWithdraw: 409,
    errors.DomainRuleViolation: 422,
    errors.BatchRejectedError: 422,
    errors.NotFoundError: 404,
    errors.ConflictError: 409,
    errors.PreconditionFailedError: 412,
    errors.PreconditionRequiredError: 428,
    errors.IdempotencyKeyReusedError: 422,
    errors.AuthenticationError: 401,
    errors.PermissionDeniedError: 403,
    errors.PayloadTooLargeError: 413,
    errors.NotYetVisibleError: 503,
    errors.TooManyWaitingError: 503,
    errors.NotReadyError: 503,
    errors.ConfigurationError: 500,
    errors.AlteredHistoryError: 500,
}


def problem(
    status: int,
    slug: str,
    title: str,
    detail: str,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = {"type": PROBLEM_BASE + slug, "title": title, "status": status, "detail": detail}
    body.update({k: v for k, v in extra.items() if v is not None})
    headers = dict(headers or {})
    if status == 401:
        headers.setdefault("WWW-Authenticate", BEARER_CHALLENGE)
    if status == 503:
        headers.setdefault("Retry-After", "1")
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _status_of(error: errors.EntenteError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def _slug(error: errors.EntenteError) -> str:
    name = type(error).__name__.removesuffix("Error")
    return "".join("-" + c.lower() if c.isupper() else c for c in name).lstrip("-")


def _rule(error: errors.EntenteError) -> str | None:
    """The error's stable code: set on it, or on its own class. A subclass does not
    inherit its parent's (``RebuildBehindError`` is no plain ``conflict``)."""
    found = vars(error).get("rule") or vars(type(error)).get("rule")
    return str(found) if found else None


async def entente_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, errors.EntenteError)
    status = _status_of(error)
    if isinstance(error, errors.NotYetVisibleError):
        # The wait the client asked for ran out: an answer it expects, not a fault.
        log.info("not yet visible on %s: %s", request.url.path, error.detail)
    elif isinstance(error, errors.TooManyWaitingError):
        # A bound doing its job (the client retries after a second), not a fault; a
        # warning, so an operator still sees readers pile up.
        log.warning("waiting reads refused on %s: %s", request.url.path, error.detail)
    elif status >= 500:
        log.error("server error on %s: %s", request.url.path, error.detail)
    headers = None
    if isinstance(error, errors.AuthenticationError) and error.challenge is not None:
        headers = {"WWW-Authenticate": f'{BEARER_CHALLENGE}, error="{error.challenge}"'}
    rule = _rule(error)
    return problem(
        status,
        rule or _slug(error),
        error.title,
        error.detail,
        headers=headers,
        field=getattr(error, "field", None),
        rule=rule,
        position=getattr(error, "position", None),
        errors=getattr(error, "errors", None),
        holder=getattr(error, "holder", None),
    )


async def validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    issues = [_issue(e) for e in error.errors()]
    if any(i["rule"] == "json_invalid" for i in issues):
        return await _malformed_body(request)
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if request.method in {"POST", "PUT", "PATCH"} and media_type != "application/json":
        return problem(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            "commands take a JSON body: send Content-Type: application/json",
            field="Content-Type",
            rule="media-type",
        )
    first = issues[0] if issues else {"field": "", "rule": "invalid", "message": "invalid"}
    return problem(
        422,
        "invalid-input",
        "Invalid input",
        f"{first['field']}: {first['message']}",
        field=first["field"],
        rule=first["rule"],
        errors=issues,
    )


#: Where FastAPI says a parameter came from; the field is named without it, as the
#: platform's own checks name ``limit`` or ``Idempotency-Key`` (``query.limit`` was one
#: spelling for the framework's checks and another for ours).
_SOURCES = frozenset({"query", "path", "header", "cookie"})


def _issue(error: Any) -> dict[str, Any]:
    loc = [p for p in error.get("loc", ()) if p != "body"]
    if len(loc) > 1 and loc[0] in _SOURCES:
        loc = loc[1:]
    rule, message = str(error.get("type")), str(error.get("msg"))
    if rule == "string_too_short" and (error.get("ctx") or {}).get("min_length") == 1:
        # Blank once trimmed: the domain's own word for it (a reason of spaces was
        # "string_too_short", one of zero-width spaces "required").
        rule, message = "required", "must not be empty"
    issue: dict[str, Any] = {
        # The body as a whole (missing, or not an object) is named, not left blank.
        "field": field_path(loc) or ("body" if error.get("loc") else ""),
        "rule": rule,
        "message": message,
    }
    if len(loc) > 1 and loc[0] == BATCH_ITEMS and isinstance(loc[1], int):
        issue["index"] = loc[1]  # the batch item at fault, as BatchRejectedError names it
    return issue


async def _malformed_body(
    request: Request, detail: str = "the body is not valid JSON", rule: str = "json"
) -> JSONResponse:
    """400 for a body that is not JSON, once the route's policy has let the caller in.

    FastAPI parses the body before it resolves any dependency: without this, a
    stranger, a caller of the wrong role or a tenant not served here got the 400
    first, though the 401, 403 or 404 comes before anything else.
    """
    refused = await _policy_refusal(request)
    if refused is not None:
        return refused
    return problem(400, "malformed-json", "Malformed JSON", detail, field="body", rule=rule)


async def _policy_refusal(request: Request) -> JSONResponse | None:
    """The problem the route's policy (``Allow``) answers this request with, if any."""
    from shared.http.security import BEARER, Allow

    dependant = getattr(request.scope.get("route"), "dependant", None)
    for dependency in getattr(dependant, "dependencies", ()):
        if isinstance(dependency.call, Allow):
            try:
                await dependency.call(request, await BEARER(request))
            except errors.EntenteError as refusal:
                return await entente_error(request, refusal)
    return None


async def http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    if error.status_code == 400 and error.detail == "There was an error parsing the body":
        cause = error.__cause__
        if isinstance(cause, DuplicateKeyError):  # a key named twice in one object
            return await _malformed_body(request, str(cause), DUPLICATE_KEY)
        if isinstance(cause, NotJSONConstantError):  # NaN, Infinity: Python's, not JSON's
            return await _malformed_body(request, str(cause))
        if isinstance(cause, UnsupportedBodyError):  # compressed, or not UTF-8
            return await _policy_refusal(request) or problem(
                415,
                "unsupported-media-type",
                "Unsupported media type",
                str(cause),
                field=cause.header,
                rule="media-type",
            )
        return await _malformed_body(request)  # nested too deep, a huge number, bad UTF-8
    if error.status_code == 413:  # counted while the body came (shared.http.limits)
        return problem(
            413, "payload-too-large", "Payload too large", str(error.detail),
            field="body", rule="max-bytes",
        )  # fmt: skip
    titles = {404: "Not found", 405: "Method not allowed"}
    slugs = {404: "not-found", 405: "method-not-allowed", 413: "payload-too-large"}
    headers = dict(error.headers or {})
    if error.status_code == 405:
        headers["Allow"] = _allowed_methods(request) or headers.get("Allow", "")
    return problem(
        error.status_code,
        slugs.get(error.status_code, "http-error"),
        titles.get(error.status_code, "HTTP error"),
        str(error.detail),
        headers=headers,
    )


def _allowed_methods(request: Request) -> str:
    """Every method the app takes at this path, for a 405's ``Allow`` (RFC 9110).

    Starlette names only the methods of the first route whose path matched:
    ``GET`` for ``/api/police/missions``, whose ``POST`` is another route.
    """
    path = request.url.path
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        if route.path and route.methods and compile_path(route.path)[0].match(path):
            methods |= route.methods
    if "GET" in methods:  # answered wherever GET is (shared.http.head)
        methods.add("HEAD")
    return ", ".join(sorted(methods))


async def unexpected_error(request: Request, error: Exception) -> JSONResponse:
    log.exception("unexpected error on %s", request.url.path, exc_info=error)
    return problem(500, "internal-error", "Internal error", "an unexpected error occurred")


async def store_fault(request: Request, error: Exception) -> JSONResponse:
    """503 with ``Retry-After`` for a store fault that passes (``store_faults``); any
    other database error is an unexpected one."""
    fault = passing_fault(error)
    if fault is None:
        return await unexpected_error(request, error)
    log.warning("store fault on %s: %s", request.url.path, error)
    recorded = "" if request.method in ("GET", "HEAD") else "nothing was recorded; "
    return problem(
        503,
        "store-unavailable",
        "Store unavailable",
        f"{fault}: {recorded}send the request again shortly",
        headers={"Retry-After": "5"},
    )


async def undecodable_history(request: Request, error: Exception) -> JSONResponse:
    """500 naming the fault: a stored event the library cannot decode (an altered store).

    Not the caller's mistake and not a passing outage: the record's history was
    changed where it is kept. Said so, for the operator and the auditors, instead
    of "an unexpected error occurred".
    """
    log.error("undecodable stored event on %s: %s", request.url.path, error)
    return problem(
        500,
        "undecodable-history",
        "Undecodable history",
        "a stored event of this record cannot be decoded: the event store was altered "
        "(`entente audit verify <tenant>` names the event)",
    )


def install(app: FastAPI) -> None:
    """Registers every handler on ``app``, and has its OpenAPI document state them."""
    app.add_exception_handler(MapperDeserialisationError, undecodable_history)
    app.add_exception_handler(PersistenceError, store_fault)  # the event stores
    app.add_exception_handler(DBAPIError, store_fault)  # the views, through SQLAlchemy
    app.add_exception_handler(errors.EntenteError, entente_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected_error)
    describe(app)
