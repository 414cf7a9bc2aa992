"""Query parameters an operation does not take are refused, not ignored.

A misspelt filter (``?contry=VN``) that is ignored answers the whole list as
if it were the filtered one: for a desk officer's search or a figure in an
official report, a silent wrong answer. Every route's policy
(``shared.http.security``: ``Allow`` once the caller is verified, ``Public``)
ends with ``declared_only``, which answers 422 naming the unknown parameter
and the ones the operation takes, or a parameter given twice that takes one
value (``?status=requested&status=scheduled`` answered the scheduled ones
alone: the last value won, silently). It also refuses a value holding a control
character (``shared.text``): PostgreSQL cannot compare text with U+0000, and a
filter carrying one answered a 500 instead of naming the parameter.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from fastapi import Request
from fastapi.dependencies.models import Dependant

from shared.errors import ValidationError
from shared.text import RULE as CONTROL_RULE
from shared.text import control_character

#: The largest log position or cursor id a query may name: the stores keep them as
#: 64-bit integers, and a larger number would fail in the database instead of as a 422.
LARGEST_ID = 2**63 - 1

#: The query parameters each route takes, by ``id`` of the route. The route is kept with
#: them: alive, its id cannot be reused by a later app's route (tests build hundreds).
#: (Routes are unhashable, so no weak dictionary.)
_TAKEN: dict[int, tuple[object, frozenset[str], frozenset[str], frozenset[str]]] = {}


async def declared_only(request: Request) -> None:
    """Raises ``ValidationError`` (422) for a query parameter the route does not declare,
    or one whose value holds a control character."""
    if not request.scope.get("query_string"):
        return  # commands and most reads: nothing to look at
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if not isinstance(dependant, Dependant):
        return
    found = _TAKEN.get(id(route))
    if found is None:
        names = dict(_query_names(dependant))
        integers = frozenset(_integer_names(dependant))
        found = _TAKEN[id(route)] = (route, frozenset(names), _repeatable(names), integers)
    _, taken, repeatable, integers = found
    seen: set[str] = set()
    for name, value in request.query_params.multi_items():
        if name not in taken:
            accepted = ", ".join(sorted(taken)) or "none"
            raise ValidationError(
                name, "unknown-parameter", f"unknown query parameter {name!r}; accepted: {accepted}"
            )
        if name in seen and name not in repeatable:
            raise ValidationError(
                name, "repeated-parameter", f"{name} is given twice; it takes one value"
            )
        seen.add(name)
        where = control_character(value)
        if where is not None:  # PostgreSQL cannot even compare it: a 500 before this
            raise ValidationError(
                name, CONTROL_RULE, f"{name} contains a control character ({where})"
            )
        if name in integers and not _INTEGER.fullmatch(value):
            raise ValidationError(
                name, "integer", f"{name} must be a whole number in the digits 0-9, such as 42"
            )


def _query_names(dependant: Dependant) -> Iterator[tuple[str, bool]]:
    """Each query parameter's name, and whether it takes a list (may be repeated)."""
    for field in dependant.query_params:
        yield field.alias, _takes_list(field.field_info.annotation)
    for dependency in dependant.dependencies:
        yield from _query_names(dependency)


#: A whole number as a query gives it: pydantic also read ``2025.0``, ``+2025``, `` 2025``.
_INTEGER = re.compile(r"-?[0-9]+")


def whole_number(value: object) -> object:
    """A path's whole number as digits only (``BeforeValidator``): ``2025.0``, ``+2025``,
    `` 2025`` and ``2_025`` all answered the 2025 report."""
    if isinstance(value, str) and not _INTEGER.fullmatch(value):
        raise ValueError("give a whole number in the digits 0-9, such as 2025")
    return value


def _integer_names(dependant: Dependant) -> Iterator[str]:
    """The query parameters that take a whole number (``int``, ``int | None``)."""
    for field in dependant.query_params:
        if _takes_int(field.field_info.annotation):
            yield field.alias
    for dependency in dependant.dependencies:
        yield from _integer_names(dependency)


def _takes_int(annotation: Any) -> bool:
    origin = get_origin(annotation)
    if origin is Annotated:
        return _takes_int(get_args(annotation)[0])
    if origin is Union or origin is UnionType:
        args = [arg for arg in get_args(annotation) if arg is not type(None)]
        return len(args) == 1 and _takes_int(args[0])
    return annotation is int


def _repeatable(names: dict[str, bool]) -> frozenset[str]:
    return frozenset(name for name, many in names.items() if many)


def _takes_list(annotation: Any) -> bool:
    """``list[str]``, ``list[str] | None``, ``Annotated[list[str], …]``: a repeatable parameter."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _takes_list(get_args(annotation)[0])
    if origin is Union or origin is UnionType:
        return any(_takes_list(arg) for arg in get_args(annotation))
    return origin in (list, tuple, set, frozenset)
