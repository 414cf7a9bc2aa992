"""Command plumbing: Idempotency-Key, If-Match, and the answer a command gives.

A command's answer carries the record id, its new version (also as ETag) and
the log position, so the client can send If-Match next time and wait for its
write to be visible (``?min_position=``) in the views.
"""

from __future__ import annotations

import hashlib
import json
import re
from decimal import Context, Decimal
from typing import Annotated, Any

import orjson
from fastapi import Header, Request, Response
from pydantic import BaseModel

from shared.application.bulk import BulkResult
from shared.application.ledger import CommandResult, Idempotency
from shared.errors import ValidationError

_KEY = re.compile(r"^[A-Za-z0-9._:\-]{8,200}$")
#: A strong ETag only: RFC 9110 (13.1.1) has If-Match compare strongly, so a weak
#: ``W/"3"`` never matches; taken as "3", a weakened tag would have passed.
#: The ETags the API issues: a version as ASCII digits, no leading zero. ``\d`` also
#: took "07" and other scripts' digits ("٣") for version 7 and 3; they are no ETag
#: of ours, so they are refused rather than matched.
_ETAG = re.compile(r'^"(0|[1-9][0-9]{0,17})"$')


class CommandAccepted(BaseModel):
    """The answer to every command."""

    id: str
    version: int
    position: int
    replayed: bool


async def idempotency(
    request: Request,
    idempotency_key: Annotated[
        str | None,
        Header(
            description="Makes a retry return the first result",
            json_schema_extra={"pattern": _KEY.pattern},  # stated, checked below (422 format)
        ),
    ] = None,
) -> Idempotency | None:
    """The request's key and fingerprint (caller, method, path and canonical JSON body).

    The caller (the token's subject) is part of the fingerprint: another user sending
    the same key (two desk officers copying the README's example key) got the first
    user's answer, 201 "replayed", and their command was never recorded; now it is
    refused (422) like any reuse of a key. Receipts recorded before, without the
    caller, still answer their retries (``earlier``).
    """
    if idempotency_key is None:
        return None
    if not _KEY.match(idempotency_key):
        raise ValidationError(
            "Idempotency-Key",
            "format",
            "Idempotency-Key must be 8-200 characters of A-Z a-z 0-9 . _ : -",
        )
    body = await request.body()
    parsed: Any = None
    if body:
        try:
            parsed = await request.json()  # parsed once: FastAPI has read it for the body
        except ValueError:
            parsed = _NOT_JSON
    route = f"{request.method} {request.url.path}\n"
    head = f"{route}caller {_caller(request)}\n"
    return Idempotency(
        idempotency_key,
        fingerprint(head, body, parsed),
        earlier=lambda: _earlier(head, route, body, parsed),
    )


def _earlier(head: str, route: str, body: bytes, parsed: Any) -> tuple[str, ...]:
    """The fingerprints earlier releases gave this request, so their receipts still answer.

    Until 2026-12-06 numbers with a fraction were read as binary floats (and so
    fingerprinted); before that the caller was not part of it; the first release
    wrote its canonical body with ``json.dumps``.
    """
    floats = parsed
    if parsed is not _NOT_JSON and parsed is not None:
        try:
            floats = json.loads(body)
        except ValueError:
            floats = parsed
    return (
        fingerprint(head, body, floats),
        fingerprint(route, body, floats),
        first_fingerprint(route, body),
    )


def _caller(request: Request) -> str:
    """The verified caller's subject; the routes authorize before they read the key."""
    principal = getattr(request.state, "principal", None)
    if principal is None:  # a route declaring its key before its caller: a bug, not input
        raise RuntimeError("the Idempotency-Key was read before the caller was verified")
    subject: str = principal.subject
    return subject


#: A body that is not JSON: fingerprinted as its text.
_NOT_JSON = object()


def fingerprint(head: str, body: bytes, parsed: Any) -> str:
    """SHA-256 of the method, path and canonical body: sorted keys, compact, by orjson.

    Two bodies that are the same JSON (key order, spacing) are the same request. A
    number with a fraction or an exponent is written as its exact value's text (as
    a JSON string), so ``12345678901234.566`` and ``…567`` are two requests (read
    as floats, they were one, and the second amount got the first's answer).
    What orjson cannot write faithfully (NaN and infinities, which it writes as
    null, integers beyond 64 bits, lone surrogates) is written by ``json.dumps``,
    as the first release wrote every body.
    """
    if parsed is _NOT_JSON:
        canonical = body.decode("utf-8", "replace").encode()
    elif b"NaN" in body or b"Infinity" in body:
        canonical = _dumps(parsed)
    else:
        try:
            canonical = orjson.dumps(parsed, default=_exact, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:
            canonical = _dumps(parsed)
    return hashlib.sha256(head.encode() + canonical).hexdigest()


def _dumps(parsed: Any) -> bytes:
    """The first release's canonical form (``json.dumps``, ASCII), decimals written exactly."""
    return json.dumps(parsed, sort_keys=True, separators=(",", ":"), default=_exact).encode()


def _exact(value: Any) -> str:
    """A JSON number with a fraction or an exponent, as the text of its exact value:
    ``1.50`` and ``1.5`` are one number (as they were one float), ``…567`` and ``…566``
    two."""
    if isinstance(value, Decimal):
        # In a context as precise as the number: the default 28 digits would round a
        # longer one, and two numbers differing past that digit would be one request.
        return str(value.normalize(Context(prec=max(1, len(value.as_tuple().digits)))))
    raise TypeError(f"{type(value).__name__} is not JSON")


def first_fingerprint(head: str, body: bytes) -> str:
    """The fingerprint of the first release (``json.dumps``, ASCII): its receipts still match.

    It cost about 2.5 µs per imported record, a twentieth of a bulk import.
    """
    try:
        canonical = json.dumps(json.loads(body or b"null"), sort_keys=True, separators=(",", ":"))
    except ValueError:
        canonical = body.decode("utf-8", "replace")
    return hashlib.sha256(f"{head}{canonical}".encode()).hexdigest()


async def if_match(
    if_match: Annotated[
        str | None,
        Header(
            description='The record version, e.g. "3"', json_schema_extra={"pattern": _ETAG.pattern}
        ),
    ] = None,
) -> int | None:
    """The version the client last saw, from ``If-Match: "3"``."""
    if if_match is None:
        return None
    found = _ETAG.match(if_match.strip())
    if not found:
        raise ValidationError(
            "If-Match",
            "format",
            'If-Match must be a strong version ETag such as "3" (as the ETag header gives it)',
        )
    return int(found.group(1))


def accepted(
    result: CommandResult, response: Response, location: str | None = None
) -> CommandAccepted:
    response.headers["ETag"] = f'"{result.version}"'
    response.headers["X-Entente-Position"] = str(result.position)
    if location:
        response.headers["Location"] = location
    if result.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return CommandAccepted(
        id=str(result.record_id),
        version=result.version,
        position=result.position,
        replayed=result.replayed,
    )


class RecordVersion(BaseModel):
    id: str
    version: int


class ImportAccepted(BaseModel):
    """The answer to a bulk import: every record created, in the order sent.

    ``position`` is the last record's log position: waiting for it in a view
    (``?min_position=``) waits for the whole import.
    """

    records: list[RecordVersion]
    count: int
    position: int
    replayed: bool


def imported(result: BulkResult, response: Response) -> ImportAccepted:
    response.headers["X-Entente-Position"] = str(result.position)
    if result.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return ImportAccepted(
        records=[RecordVersion(id=str(i), version=v) for i, v in result.records],
        count=len(result.records),
        position=result.position,
        replayed=result.replayed,
    )


def etag(response: Response, version: int) -> None:
    response.headers["ETag"] = f'"{version}"'


JsonDict = dict[str, Any]
