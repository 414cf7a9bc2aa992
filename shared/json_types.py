"""The JSON name of a decoded value's type, for refusals that must not echo the value.

A correction's field or a bundle's manifest entry of the wrong type is refused by
saying what it is ("must be text, not null"), never what it holds: the value may
be anything a client or a tampered file put there.
"""

from __future__ import annotations

from decimal import Decimal

_NAMES: dict[type, str] = {
    str: "a string",
    int: "a number",
    float: "a decimal number",
    Decimal: "a decimal number",  # how the strict JSON reader takes 15.0 (never a float)
    list: "a list",
    dict: "an object",
}


def json_type(value: object) -> str:
    """``null``, ``a boolean``, ``a string``, ``a number``, ``a list`` or ``an object``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return _NAMES.get(type(value), type(value).__name__)
