"""A fast yes to "does this message conform to its JSON Schema?", jsonschema for the rest.

Why: the projector checks every message it applies, and walking jsonschema's
generic validator cost more than applying the event (about a quarter of a
millisecond a message). The message schemas use a small set of keywords, so
each type's schema is compiled here, once, into plain Python checks.

Only the *yes* is taken from here. A message the compiled check refuses is
checked again by jsonschema (``validate_message``), which gives the reason, and
its verdict is the one kept; a schema using any keyword not listed below is
never compiled, and all its messages go to jsonschema. So this can only make a
conforming message cheaper, never change a verdict, as long as each check is at
least as strict as jsonschema's (the type tests below are draft 2020-12's).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from shared.events.schemas import message_schema

#: Checks one instance; True when it conforms.
Check = Callable[[Any], bool]

#: Keywords that never affect validity.
ANNOTATIONS = frozenset({"$schema", "$id", "title", "description"})
#: Keywords compiled below; a schema with any other is left to jsonschema.
COMPILED = frozenset(
    {"type", "properties", "required", "additionalProperties", "enum", "items", "pattern"}
    | {"format", "minProperties"}
)

_FORMATS = Draft202012Validator.FORMAT_CHECKER


class Unsupported(Exception):
    """The schema uses something this compiler does not reproduce exactly."""


@cache
def fast_check(event_type: str) -> Check | None:
    """The compiled check of ``event_type``'s message schema; None to use jsonschema."""
    try:
        return _compile(message_schema(event_type))
    except Exception:  # no schema, or one this compiler does not cover: jsonschema decides
        return None


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


#: Draft 2020-12's type tests (jsonschema's ``draft202012_type_checker``), numbers
#: narrowed to int and float (a JSON document holds no other).
TYPES: Mapping[str, Check] = {
    "string": lambda value: isinstance(value, str),
    "object": lambda value: isinstance(value, dict),
    "array": lambda value: isinstance(value, list),
    "null": lambda value: value is None,
    "boolean": lambda value: isinstance(value, bool),
    "integer": _is_integer,
    "number": _is_number,
}


def _compile(schema: Any) -> Check:
    """One schema (object form only) as a list of checks that must all pass."""
    if not isinstance(schema, dict):
        raise Unsupported("boolean schemas are left to jsonschema")
    unknown = set(schema) - ANNOTATIONS - COMPILED
    if unknown:
        raise Unsupported(f"keywords {sorted(unknown)}")
    checks = [
        _type(schema),
        _object(schema),
        _enum(schema),
        _items(schema),
        _pattern(schema),
        _format(schema),
    ]
    active = [check for check in checks if check is not None]
    if len(active) == 1:
        return active[0]

    def conforms(value: Any) -> bool:
        for check in active:  # noqa: SIM110 (faster than all(), and run for every value)
            if not check(value):
                return False
        return True

    return conforms


def _type(schema: dict[str, Any]) -> Check | None:
    if "type" not in schema:
        return None
    names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    tests = [TYPES[name] for name in names]  # an unknown type name: KeyError, jsonschema
    if len(tests) == 1:
        return tests[0]  # most schemas name one type: no loop per value

    def one_of(value: Any) -> bool:
        for test in tests:  # noqa: SIM110 (faster than any(), and run for every value)
            if test(value):
                return True
        return False

    return one_of


def _object(schema: dict[str, Any]) -> Check | None:
    """properties, required, additionalProperties (false only), minProperties."""
    properties = {name: _compile(sub) for name, sub in schema.get("properties", {}).items()}
    required = list(schema.get("required", []))
    closed = schema.get("additionalProperties", True)
    if closed not in (True, False):
        raise Unsupported("additionalProperties as a schema")
    least = schema.get("minProperties", 0)
    if not (properties or required or closed is False or least):
        return None
    allowed = set(properties)
    items = list(properties.items())

    def check(value: Any) -> bool:
        if not isinstance(value, dict):
            return True
        if len(value) < least or any(name not in value for name in required):
            return False
        if closed is False and not allowed.issuperset(value):
            return False
        for name, sub in items:  # noqa: SIM110 (as above)
            if name in value and not sub(value[name]):
                return False
        return True

    return check


def _enum(schema: dict[str, Any]) -> Check | None:
    if "enum" not in schema:
        return None
    members = schema["enum"]
    if not all(member is None or isinstance(member, str) for member in members):
        raise Unsupported("enums of numbers or booleans")  # JSON equality of 1, 1.0, True…
    allowed = frozenset(member for member in members if member is not None)
    nullable = None in members
    return lambda value: (
        (value is None and nullable) or (isinstance(value, str) and value in allowed)
    )


def _items(schema: dict[str, Any]) -> Check | None:
    if "items" not in schema:
        return None
    each = _compile(schema["items"])

    def every(value: Any) -> bool:
        if not isinstance(value, list):
            return True
        for item in value:  # noqa: SIM110 (faster than all(), and run for every value)
            if not each(item):
                return False
        return True

    return every


def _pattern(schema: dict[str, Any]) -> Check | None:
    if "pattern" not in schema:
        return None
    search = re.compile(schema["pattern"]).search  # jsonschema uses re.search too
    return lambda value: not isinstance(value, str) or search(value) is not None


def _format(schema: dict[str, Any]) -> Check | None:
    if "format" not in schema:
        return None
    name = schema["format"]
    return lambda value: _FORMATS.conforms(value, name)
