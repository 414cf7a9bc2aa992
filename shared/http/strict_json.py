"""Command bodies whose objects name a key twice are refused, not read last-wins.

RFC 8259 leaves an object with a repeated name to the parser: Python's
``json`` keeps the last value, other parsers the first or both. A client that
sends ``{"budget": "1000", "budget": "100000"}`` has a bug, and recording
either value would record something it may not have meant, silently. The
route class below gives FastAPI a request whose ``json()`` refuses such a
body; the refusal becomes the 400 ``malformed-json`` problem (rule
``duplicate-key``), after the route's policy like any other malformed body.

Cost: one call of ``unique_object`` per JSON object, about 1 µs per item of a
100-item import (about 1 % of an imported record's time).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Any

from fastapi import Request, Response

from shared.http.routing import OneHopRoute

#: The problem's rule for a body with a repeated key.
DUPLICATE_KEY = "duplicate-key"


class DuplicateKeyError(ValueError):
    """A JSON object of the body names ``key`` more than once."""

    def __init__(self, key: str) -> None:
        super().__init__(f"the key {key!r} appears more than once in one object of the body")
        self.key = key


def unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``json``'s ``object_pairs_hook``: the object, or DuplicateKeyError naming the key."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKeyError(key)
            seen.add(key)
    return obj


class NotJSONConstantError(ValueError):
    """The body holds ``NaN``, ``Infinity`` or ``-Infinity``, which Python's ``json`` reads
    but RFC 8259 does not have: malformed JSON (it was read, then refused as a number)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"{name} is not JSON (RFC 8259 has no NaN or infinity)")


def no_constant(name: str) -> Any:
    """``json``'s ``parse_constant``: always NotJSONConstantError."""
    raise NotJSONConstantError(name)


class UnsupportedBodyError(ValueError):
    """The body is compressed, or declared in a charset other than UTF-8: a 415 naming
    ``header``. (Read as it came, a gzip body was "not valid JSON", a Latin-1 one UTF-8.)"""

    def __init__(self, header: str, detail: str) -> None:
        super().__init__(detail)
        self.header = header


class StrictJSONRequest(Request):
    """A request whose JSON body is UTF-8, uncompressed, and repeats no key in any object.

    A number with a fraction or an exponent is read as the exact ``Decimal`` it writes,
    never a binary float: ``12345678901234.567`` TND was recorded as ``…566``, and
    ``1.2550000000000000000001`` passed the three-decimal check as ``1.255``.
    """

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            _plain_utf8(self)
            # Decoded first: ``json.loads`` of bytes also guesses UTF-16 and UTF-32. Bytes
            # that are not UTF-8 are malformed JSON (RFC 8259), the 400 of any other; a byte
            # order mark, which some Windows tools write, is ignored as RFC 8259 allows.
            text = (await self.body()).decode("utf-8").removeprefix("\ufeff")
            self._json = json.loads(
                text,
                object_pairs_hook=unique_object,
                parse_constant=no_constant,
                parse_float=Decimal,
            )
        return self._json


def _plain_utf8(request: Request) -> None:
    for header in ("Content-Type", "Content-Encoding"):  # the first was read, a proxy may
        if len(request.headers.getlist(header)) > 1:  # read the last
            raise UnsupportedBodyError(header, f"send one {header} header, not several")
    encoding = request.headers.get("content-encoding", "").strip().lower()
    if encoding not in ("", "identity"):
        raise UnsupportedBodyError(
            "Content-Encoding", f"bodies are taken uncompressed, not {encoding!r}"
        )
    _, _, parameters = request.headers.get("content-type", "").partition(";")
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        charset = value.strip().strip('"').lower()
        if name.strip().lower() == "charset" and charset not in ("utf-8", "utf8"):
            raise UnsupportedBodyError(
                "Content-Type", f"JSON bodies are UTF-8 (RFC 8259), not {charset!r}"
            )


class LedgerRoute(OneHopRoute):
    """The tenant service's routes: one worker-thread hop, and strict JSON bodies."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handle(StrictJSONRequest(request.scope, request.receive))

        return strict
