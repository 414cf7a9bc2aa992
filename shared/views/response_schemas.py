"""The JSON Schemas of the views' list answers, generated from the view tables.

Why: the lists (register, board, calendar, posts directory) answered with a schema
of ``{"type": "object", "additionalProperties": true}`` in the OpenAPI document
(probe 7): a client learnt nothing of an item's fields, and the contract tests
could not hold an answer to anything. An item is every column of its table as
``shared.views.queries.present.plain`` writes it (dates ISO 8601, amounts with
their currency as one object, code lists as arrays), so its schema is generated
from the same table: a column added to a table is in the document at once, and
an item the schema does not describe fails the contract tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, Integer, Table

from shared.views.tables import Money, UtcDateTime

#: The money columns ``present.plain`` shows as one object (``x_amount`` + ``x_currency``).
_MONEY_PREFIXES = ("funding", "budget", "actual_cost")

MONEY: dict[str, Any] = {
    "type": ["object", "null"],
    "properties": {
        "amount": {"type": "string", "description": "Exact decimal, in the currency's units"},
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
    },
    "required": ["amount", "currency"],
    "additionalProperties": False,
}

#: What every answer of the views says it reflects (``ViewPosition.as_dict``).
AS_OF: dict[str, Any] = {
    "type": "object",
    "properties": {
        "position": {"type": "integer", "minimum": 0},
        "recorded_at": {"type": ["string", "null"], "format": "date-time"},
    },
    "required": ["position", "recorded_at"],
    "additionalProperties": False,
}


def row_schema(table: Table, extra: Mapping[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The schema of one item: ``table``'s columns as presented, and ``extra`` fields
    a query adds (an agreement's derived ``status``, a request's ``waiting_days``)."""
    properties: dict[str, Any] = {}
    names = set(table.c.keys())
    for column in table.c:
        prefix = column.name.removesuffix("_amount")
        if column.name.endswith("_currency") and f"{column.name[:-9]}_amount" in names:
            continue
        if column.name.endswith("_amount") and prefix in _MONEY_PREFIXES:
            properties[prefix] = MONEY
            continue
        properties[column.name] = _column(column.type, bool(column.nullable))
    properties.update(extra or {})
    return closed_object(properties)


def page_schema(item: dict[str, Any]) -> dict[str, Any]:
    """A page of a list (``Page.as_dict``): its items, where to go on, and the position."""
    return closed_object(
        {
            "items": {"type": "array", "items": item},
            "next_cursor": {"type": ["string", "null"]},
            "total": {"type": "integer", "minimum": 0},
            "position": {"type": "integer", "minimum": 0},
            "as_of": AS_OF,
        }
    )


def closed_object(properties: dict[str, Any]) -> dict[str, Any]:
    """An object with exactly ``properties``, every one required."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def json_answer(schema: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    """A route's ``responses`` stating ``schema`` for its 200 answer."""
    return {200: {"content": {"application/json": {"schema": schema}}}}


def _column(kind: Any, nullable: bool) -> dict[str, Any]:
    if isinstance(kind, Money):
        found: dict[str, Any] = {"type": "string"}
    elif isinstance(kind, UtcDateTime):
        found = {"type": "string", "format": "date-time"}
    elif isinstance(kind, Date):
        found = {"type": "string", "format": "date"}
    elif isinstance(kind, Integer | BigInteger):
        found = {"type": "integer"}
    elif isinstance(kind, JSON):  # every JSON column holds a list of codes
        found = {"type": "array", "items": {"type": "string"}}
    else:
        found = {"type": "string"}
    if nullable:
        found = {**found, "type": [found["type"], "null"]}
    return found


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema``, or null: a field every answer holds, empty until a step sets it."""
    kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    found = {**schema, "type": [*kinds, "null"] if "null" not in kinds else kinds}
    if "enum" in schema and None not in schema["enum"]:
        found["enum"] = [*schema["enum"], None]
    return found


def extended(schema: dict[str, Any], properties: dict[str, Any]) -> dict[str, Any]:
    """The closed object ``schema`` with ``properties`` added, every one required: an
    answer that is another's with a few fields more (a view read as of a past time)."""
    assert schema.get("additionalProperties") is False, "only a closed object is extended"
    return {
        **schema,
        "properties": {**schema["properties"], **properties},
        "required": [
            *schema["required"],
            *(name for name in properties if name not in schema["properties"]),
        ],
    }
