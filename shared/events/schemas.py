"""JSON Schemas (draft 2020-12) of what the log carries, generated from the event classes.

Why generated: the event dataclasses are the only definition of a payload. A
schema written by hand would drift from them silently; generated, a new field
or event is in the contract (``docs/asyncapi.yaml``) the moment it is in the
code, and a test fails until the committed document is regenerated.

Why validated: the projector checks every message value against the schema of
its ``ce_type`` before applying it, so a message that is not what the contract
promises (a bug in another producer, a hand-written record) is parked on the
dead-letter topic with the reason instead of corrupting a view or stopping the
projection. ``validate_message`` is that check.

The mapping from Python to JSON follows ``shared.events.envelope.to_json``:
dates are ISO 8601 strings, Decimals strings (never floats, which would round
money), ``X | None`` is nullable but still required (the payload always carries
every field), and no other property is allowed. Closed vocabularies become
``enum`` and country and currency codes patterns, found by field name (the
events store plain ``str``; the commands validate them on the way in), so a
consumer can rely on the codes without importing our Python. The log is
replayed from offset 0 for ever, so a schema may only accept more over time:
a vocabulary code or correctable field that is removed from the code would
make old events fail on the next rebuild. Rename by adding, never by removing.

The side topics' messages (chain checkpoints, dead letters) are declared here
too, by hand, and tests run the relay's and the projector's encoders against
them.

Only keywords that mean the same in draft-07 are used (``type`` lists,
``enum``, ``const``, ``pattern``, ``format``, ``items``, ``minimum``,
``minItems``/``maxItems``, ``minProperties``, ``required``,
``additionalProperties``, ``contentEncoding``), so the same schema objects are
valid AsyncAPI Schema Objects in ``docs/asyncapi.yaml`` as they are.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from functools import cache
from types import NoneType, UnionType
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as JsonSchemaError

from shared.domain.base import EntenteAggregate
from shared.domain.catalogue import AGGREGATE_TYPES, event_classes
from shared.domain.vocabulary import (
    AgreementKind,
    Classification,
    MissionType,
    Organisation,
    Theme,
)
from shared.errors import EntenteError
from shared.events.envelope import META_FIELDS, TYPE_PREFIX, type_name

DIALECT = "https://json-schema.org/draft/2020-12/schema"

#: The ``$id`` of a message value's schema; ``wire.encode`` puts it in ``ce_dataschema``.
SCHEMA_ID_PREFIX = "urn:entente:schema:"

#: Fields whose strings come from a closed vocabulary (checked by the commands).
VOCABULARY_FIELDS: dict[str, type[StrEnum]] = {
    "kind": AgreementKind,
    "mission_type": MissionType,
    "themes": Theme,
    "topics": Theme,
    "organisations": Organisation,
    "partner_organisations": Organisation,
    "organisation": Organisation,
    "classification": Classification,
}
#: Fields holding ISO 3166-1 alpha-2 codes. A pattern, not the list of codes:
#: the ISO list changes (pycountry updates) and must not invalidate old events.
COUNTRY_FIELDS = frozenset(
    {"countries", "partner_countries", "covered_countries", "host_country", "country"}
)
#: Fields holding ISO 4217 currency codes (same reasoning: a pattern).
CURRENCY_FIELDS = frozenset({"funding_currency", "budget_currency", "actual_cost_currency"})

COUNTRY_PATTERN = "^[A-Z]{2}$"
CURRENCY_PATTERN = "^[A-Z]{3}$"
#: What ``str(Decimal)`` writes for a finite number. The exponent form is
#: included because the domain keeps the Decimal it was given, so an amount sent
#: as ``1E+3`` is stored and published as ``"1E+3"``; refusing it here would park
#: recorded facts on the dead-letter topic.
DECIMAL_PATTERN = r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?(E[+-][0-9]+)?$"
TENANT_PATTERN = "^[a-z][a-z0-9]*(-[a-z0-9]+)*$"
HASH_PATTERN = "^[0-9a-f]{64}$"
COUNT_PATTERN = "^(0|[1-9][0-9]*)$"

#: Who recorded the event, from the verified token; personal data, so it travels
#: in the value, never in a header or the key.
ACTOR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Who recorded the event (from the verified token).",
    "properties": {
        "id": {"type": "string", "description": "The user's stable id (token subject)."},
        "name": {"type": "string", "description": "The user's display name."},
    },
    "required": ["id", "name"],
    "additionalProperties": False,
}

#: The Kafka headers of an event message: CloudEvents 1.0 binary mode
#: (``shared.events.wire``). Header values are bytes on the wire; they are
#: described as the UTF-8 strings they hold. Other headers (tracing) may follow.
HEADERS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": (
        "CloudEvents 1.0 attributes in Kafka binary mode, plus Entente's extensions. "
        "Every value is a UTF-8 string; numbers are written in decimal."
    ),
    "properties": {
        "ce_specversion": {"type": "string", "const": "1.0"},
        "ce_id": {
            "type": "string",
            "format": "uuid",
            "description": "Event id, deterministic (UUIDv5 of tenant, record, version): "
            "a republished event keeps it, so readers de-duplicate on it.",
        },
        "ce_source": {"type": "string", "pattern": "^/entente/[a-z][a-z0-9]*(-[a-z0-9]+)*$"},
        "ce_type": {
            "type": "string",
            "pattern": "^" + TYPE_PREFIX.replace(".", r"\.") + r"\.[a-z-]+\.[a-z-]+\.v[1-9][0-9]*$",
            "description": "Selects the message (and so the payload schema) below.",
        },
        "ce_subject": {"type": "string", "format": "uuid", "description": "The record id."},
        "ce_time": {
            "type": "string",
            "format": "date-time",
            "description": "Recorded time: when the system learned the fact.",
        },
        "content-type": {"type": "string", "const": "application/json"},
        "ce_dataschema": {
            "type": "string",
            "pattern": "^" + SCHEMA_ID_PREFIX,
            "description": "The $id of the value's JSON Schema: urn:entente:schema:<ce_type>.",
        },
        "ce_tenant": {"type": "string", "pattern": TENANT_PATTERN},
        "ce_aggregatetype": {"type": "string", "enum": list(AGGREGATE_TYPES.values())},
        "ce_recordversion": {
            "type": "string",
            "pattern": COUNT_PATTERN,
            "description": "The record's version after this event (1 for its creation).",
        },
        "ce_position": {
            "type": "string",
            "pattern": COUNT_PATTERN,
            "description": "The tenant's notification id: the hash chain's order.",
        },
        "ce_businesstime": {
            "type": "string",
            "format": "date-time",
            "description": "When the fact happened (signing date, mission start...).",
        },
        "ce_classification": {
            "type": "string",
            "enum": [c.value for c in Classification],
        },
        "ce_correlationid": {"type": "string", "description": "The user action."},
        "ce_causationid": {
            "type": "string",
            "description": "The event or command that caused this one; absent when none.",
        },
        "ce_schemaversion": {
            "type": "string",
            "pattern": "^[1-9][0-9]*$",
            "description": "The payload's version: the .vN suffix of ce_type.",
        },
        "ce_chainhash": {
            "type": "string",
            "pattern": HASH_PATTERN,
            "description": "The tenant's hash chain after this event (sha256, hex).",
        },
    },
    "required": [
        "ce_specversion",
        "ce_id",
        "ce_source",
        "ce_type",
        "ce_subject",
        "ce_time",
        "content-type",
        "ce_dataschema",
        "ce_tenant",
        "ce_aggregatetype",
        "ce_recordversion",
        "ce_position",
        "ce_businesstime",
        "ce_classification",
        "ce_correlationid",
        "ce_schemaversion",
        "ce_chainhash",
    ],
}

#: The CloudEvents type of a hash-chain checkpoint (``shared.relay.checkpoint``).
CHECKPOINT_TYPE = f"{TYPE_PREFIX}.chain.checkpoint.v1"

#: The Kafka headers of a checkpoint: a CloudEvent too, with fewer extensions.
CHECKPOINT_HEADERS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "CloudEvents 1.0 attributes in Kafka binary mode (UTF-8 strings).",
    "properties": {
        "ce_specversion": {"type": "string", "const": "1.0"},
        "ce_id": {
            "type": "string",
            "format": "uuid",
            "description": "Deterministic (tenant, size, head): a republished checkpoint keeps it.",
        },
        "ce_source": {
            "type": "string",
            "pattern": "^/entente/[a-z][a-z0-9]*(-[a-z0-9]+)*/relay$",
        },
        "ce_type": {"type": "string", "const": CHECKPOINT_TYPE},
        "ce_subject": {"type": "string", "pattern": TENANT_PATTERN, "description": "The tenant."},
        "ce_time": {"type": "string", "format": "date-time", "description": "When it was taken."},
        "content-type": {"type": "string", "const": "application/json"},
        "ce_tenant": {"type": "string", "pattern": TENANT_PATTERN},
    },
    "required": [
        "ce_specversion",
        "ce_id",
        "ce_source",
        "ce_type",
        "ce_subject",
        "ce_time",
        "content-type",
        "ce_tenant",
    ],
}

#: A checkpoint of a tenant's hash chain, published outside the database so a
#: consistent rewrite of the database is still detected. Its time is ``ce_time``.
CHECKPOINT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "The tenant's hash chain after its first `size` events, for auditors.",
    "properties": {
        "tenant": {"type": "string", "pattern": TENANT_PATTERN},
        "size": {
            "type": "integer",
            "minimum": 0,
            "description": "How many events the chain covers.",
        },
        "head": {
            "type": "string",
            "pattern": HASH_PATTERN,
            "description": "The chain value after the last covered event (sha256, hex).",
        },
        "position": {
            "type": "integer",
            "minimum": 0,
            "description": "The notification id (ce_position) of the last covered event.",
        },
        "chain": {
            "type": "string",
            "pattern": "^entente-chain/[1-9][0-9]*$",
            "description": "The version of the chain's canonical encoding.",
        },
    },
    "required": ["tenant", "size", "head", "position", "chain"],
    "additionalProperties": False,
}

#: Why a consumer parked a message (``shared.views.dead_letters.PoisonKind``).
DEAD_LETTER_KINDS = ("undecodable", "unknown-type", "schema-violation")

#: The headers of a dead letter: where the original was and the class of failure
#: only. The reason can quote payload values, so it travels in the value.
DEAD_LETTER_HEADERS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Where the parked message was, and why (the class only; UTF-8 strings).",
    "properties": {
        "entente_dlt_topic": {"type": "string", "description": "The topic it was read from."},
        "entente_dlt_partition": {"type": "string", "pattern": COUNT_PATTERN},
        "entente_dlt_offset": {"type": "string", "pattern": COUNT_PATTERN},
        "entente_dlt_kind": {"type": "string", "enum": list(DEAD_LETTER_KINDS)},
    },
    "required": [
        "entente_dlt_topic",
        "entente_dlt_partition",
        "entente_dlt_offset",
        "entente_dlt_kind",
    ],
}

_BASE64 = {"type": "string", "contentEncoding": "base64"}

#: The value of a dead letter: the reason and the original message, bytes in base64.
DEAD_LETTER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": (
        "A parked message. Readers de-duplicate on (topic, partition, offset): a crash "
        "between publishing and committing parks the same message again."
    ),
    "properties": {
        "topic": {"type": "string"},
        "partition": {"type": "integer", "minimum": 0},
        "offset": {"type": "integer", "minimum": 0},
        "kind": {"type": "string", "enum": list(DEAD_LETTER_KINDS)},
        "reason": {"type": "string", "description": "What is wrong, for people."},
        "parked_at": {"type": "string", "format": "date-time"},
        "event_id": {"type": ["string", "null"], "description": "ce_id, when decodable."},
        "event_type": {"type": ["string", "null"], "description": "ce_type, when decodable."},
        "key": {**_BASE64, "type": ["string", "null"], "description": "The original key."},
        "headers": {
            "type": "array",
            "description": "The original headers as [name, base64 value] pairs (raw messages).",
            "items": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 2},
        },
        "value": {
            **_BASE64,
            "type": ["string", "null"],
            "description": "The original value: the raw bytes of an undecodable message, "
            "the decoded envelope as JSON otherwise.",
        },
    },
    "required": [
        "topic",
        "partition",
        "offset",
        "kind",
        "reason",
        "parked_at",
        "event_id",
        "event_type",
        "key",
        "headers",
        "value",
    ],
    "additionalProperties": False,
}

#: How many violations an error message lists: enough to fix a producer, short
#: enough for a Kafka header.
MAX_REPORTED = 5


class SchemaViolationError(EntenteError):
    """Raised when a message value is not what its type's schema promises.

    ``problems`` lists each violation as ``"<JSONPath>: <what is wrong>"`` (the
    first few), so the dead-letter reason says what to fix without a debugger,
    and never quotes the offending value (see ``_describe``).
    """

    title = "Schema violation"

    def __init__(self, event_type: str, problems: list[str]) -> None:
        super().__init__(f"{event_type}: " + "; ".join(problems))
        self.event_type = event_type
        self.problems = problems


class UnknownEventTypeError(SchemaViolationError):
    """Raised when no schema exists for a message's type (a type this code does not know).

    A subclass, so a consumer parks it like any violation, yet can tell a
    producer that is ahead of it (upgrade the consumer) from a broken one.
    """

    title = "Unknown event type"

    def __init__(self, event_type: str) -> None:
        super().__init__(event_type, ["no schema for this event type"])


def event_types() -> dict[str, tuple[type[EntenteAggregate], type[EntenteAggregate.Event]]]:
    """Every published type name with its aggregate and event class, catalogue order."""
    return {
        type_name(kind, event): (aggregate, event)
        for aggregate, kind in AGGREGATE_TYPES.items()
        for event in event_classes(aggregate)
    }


def schema_id(event_type: str) -> str:
    """The ``$id`` of the value schema of ``event_type`` (``ce_dataschema`` on the wire)."""
    return SCHEMA_ID_PREFIX + event_type


def payload_schema(event_type: str) -> dict[str, Any]:
    """The schema of the ``payload`` object of ``event_type``; UnknownEventTypeError if none."""
    found = event_types().get(event_type)
    if found is None:
        raise UnknownEventTypeError(event_type)
    aggregate, event = found
    hints = typing.get_type_hints(event)
    fields = [f.name for f in dataclasses.fields(event) if f.name not in META_FIELDS]
    properties = {name: _field_schema(name, hints[name]) for name in fields}
    if issubclass(event, EntenteAggregate.Corrected):
        properties["changes"] = _changes_schema(aggregate)
    return {
        "type": "object",
        "properties": properties,
        "required": fields,
        "additionalProperties": False,
    }


def message_schema(event_type: str) -> dict[str, Any]:
    """The standalone schema of a whole message value: ``{"payload": ..., "actor": ...}``."""
    return {
        "$schema": DIALECT,
        "$id": schema_id(event_type),
        "title": event_type,
        "type": "object",
        "properties": {"payload": payload_schema(event_type), "actor": ACTOR_SCHEMA},
        "required": ["payload", "actor"],
        "additionalProperties": False,
    }


def validate_message(event_type: str, value: bytes | str | Mapping[str, Any]) -> None:
    """Checks a message value (raw JSON, or already parsed) against its type's schema.

    Raises UnknownEventTypeError for a type without a schema and
    SchemaViolationError for anything else that does not conform, including a
    value that is not JSON at all.
    """
    validator = _validator(event_type)
    if isinstance(value, bytes | str):
        try:
            document: Any = json.loads(value)
        except (ValueError, RecursionError) as error:  # bad UTF-8 is a ValueError too
            raise SchemaViolationError(event_type, [f"the value is not JSON: {error}"]) from None
    else:
        document = value
    errors = sorted(validator.iter_errors(document), key=lambda e: e.json_path)
    if errors:
        problems = [f"{e.json_path}: {_describe(e)}" for e in errors[:MAX_REPORTED]]
        if len(errors) > MAX_REPORTED:
            problems.append(f"and {len(errors) - MAX_REPORTED} more")
        raise SchemaViolationError(event_type, problems)


def _describe(error: JsonSchemaError) -> str:
    """What is wrong, in the schema's terms only, never quoting the offending value.

    The reason ends up in a dead-letter header and in logs, where personal data
    (an actor's name, a head of delegation) must never go; jsonschema's own
    messages quote the value. Property names are kept: they are the contract's.
    """
    keyword, expected = error.validator, error.validator_value
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    instance = error.instance if isinstance(error.instance, dict) else {}
    if keyword == "type":
        return f"must be of type {' or '.join(_as_list(expected))}"
    if keyword == "required":  # one error per missing property; the message names it
        return error.message
    if keyword == "additionalProperties":
        allowed = schema.get("properties", {})
        extra = sorted(str(n) for n in instance if n not in allowed)
        return f"properties not in the schema: {', '.join(extra)}"
    if keyword == "enum":
        return "not a code of the field's vocabulary"
    if keyword == "const":
        return f"must be {expected!r}"
    if keyword == "pattern":
        return f"does not match {expected}"
    if keyword == "format":
        return f"is not a valid {expected}"
    if keyword == "minProperties":
        return f"needs at least {expected} properties"
    return f"fails the {keyword!r} rule"


def _as_list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


@cache
def _validator(event_type: str) -> Draft202012Validator:
    """One compiled validator per type: the projector checks every message."""
    schema = message_schema(event_type)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _field_schema(name: str, annotation: Any) -> dict[str, Any]:
    """The schema of one payload field from its annotation (see the module docstring)."""
    args = typing.get_args(annotation)
    if isinstance(annotation, UnionType) or typing.get_origin(annotation) is typing.Union:
        others = [a for a in args if a is not NoneType]
        if len(others) != 1:
            raise TypeError(f"{name}: only `X | None` unions are supported, not {annotation}")
        return _nullable(_field_schema(name, others[0]))
    origin = typing.get_origin(annotation)
    if origin is list:
        return {"type": "array", "items": _field_schema(name, args[0])}
    if origin is dict or annotation is dict:
        return {"type": "object"}
    if annotation is Any:
        return {}
    if annotation is str:
        return _string(name)
    if annotation is bool:
        return {"type": "boolean"}
    if annotation is int:
        return {"type": "integer"}
    if annotation is datetime:  # before date: a datetime is a date
        return {"type": "string", "format": "date-time"}
    if annotation is date:
        return {"type": "string", "format": "date"}
    if annotation is Decimal:
        return {"type": "string", "pattern": DECIMAL_PATTERN}
    # A new kind of field must get a deliberate JSON form, not a guess.
    raise TypeError(f"{name}: no JSON Schema mapping for {annotation!r}")


def _string(name: str) -> dict[str, Any]:
    vocabulary = VOCABULARY_FIELDS.get(name)
    if vocabulary is not None:
        return {"type": "string", "enum": [member.value for member in vocabulary]}
    if name in COUNTRY_FIELDS:
        return {"type": "string", "pattern": COUNTRY_PATTERN}
    if name in CURRENCY_FIELDS:
        return {"type": "string", "pattern": CURRENCY_PATTERN}
    return {"type": "string"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` or null; an ``enum`` must list null too, or it would still refuse it."""
    result = dict(schema)
    result["type"] = [schema["type"], "null"]
    if "enum" in schema:
        result["enum"] = [*schema["enum"], None]
    return result


def _changes_schema(aggregate: type[EntenteAggregate]) -> dict[str, Any]:
    """A correction's ``changes``: only the aggregate's correctable fields, typed.

    Each field is typed as the aggregate's events record it (``themes`` as a
    list of themes...), which is the form ``correct`` normalises values to.
    """
    names = [
        *(n for name in aggregate.correctable for n in aggregate.recorded_as.get(name, (name,))),
        "classification",
    ]
    typed: dict[str, Any] = {}
    for event in event_classes(aggregate):
        if issubclass(event, EntenteAggregate.Corrected):
            continue
        hints = typing.get_type_hints(event)
        for name in names:
            if name in hints and name not in typed and name not in META_FIELDS:
                typed[name] = hints[name]
    properties = {name: _correctable_schema(name, typed.get(name)) for name in names}
    return {
        "type": "object",
        "description": "The corrected fields and their new values (at least one).",
        "properties": properties,
        "minProperties": 1,
        "additionalProperties": False,
    }


def _correctable_schema(name: str, annotation: Any) -> dict[str, Any]:
    """A corrected field's schema; a field no event records (classification) by its name."""
    if annotation is not None:
        return _field_schema(name, annotation)
    return _string(name) if name in VOCABULARY_FIELDS else {}
