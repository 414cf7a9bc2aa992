"""The published form of an event: what the log carries and every reader sees.

It is the CloudEvents 1.0 view of a stored domain event (id, source, type,
subject, time) plus Entente's metadata as extensions, and a JSON payload.
The same envelope is built from the event store and decoded from the log, so
projections, auditors and other ministries' systems read one shape.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import NAMESPACE_URL, UUID

#: Fields of every event that are metadata, not payload.
META_FIELDS = frozenset(
    {
        "originator_id",
        "originator_version",
        "timestamp",
        "originator_topic",
        "tenant",
        "business_time",
        "actor_id",
        "actor_name",
        "correlation_id",
        "causation_id",
        "classification",
    }
)
TYPE_PREFIX = "fr.interieur.entente"


@dataclass(frozen=True)
class EventEnvelope:
    """One event as published: CloudEvents attributes, metadata and payload."""

    id: str
    type: str
    source: str
    subject: str
    time: datetime
    tenant: str
    aggregate_type: str
    aggregate_id: str
    version: int
    position: int
    business_time: datetime
    actor_id: str
    actor_name: str
    correlation_id: str
    causation_id: str | None
    classification: str
    schema_version: int
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def event_name(self) -> str:
        """``"requested"`` for ``fr.interieur.entente.mission.requested.v1``."""
        return self.type.split(".")[-2]


def event_id(tenant: str, aggregate_id: UUID | str, version: int) -> str:
    """Deterministic, so a republished event keeps its id and readers de-duplicate.

    ``uuid5(NAMESPACE_URL, name)`` computed directly (SHA-1, version and variant
    bits, 8-4-4-4-12 hex): the same string, without building a ``UUID`` object,
    because the relay and the audit walk compute one per event read.
    """
    name = f"entente:{tenant}:{aggregate_id}:{version}".encode()
    digest = bytearray(hashlib.sha1(_URL + name, usedforsecurity=False).digest())
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest[:16].hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


_URL = NAMESPACE_URL.bytes


def assemble(fields: dict[str, Any]) -> EventEnvelope:
    """An envelope from its complete, already-typed fields, without the dataclass ``__init__``.

    A frozen dataclass sets each of its 18 fields through ``object.__setattr__``;
    pages of thousands of events pay that per event. ``fields`` must hold every
    field of ``EventEnvelope`` (and nothing else); equality, hashing and ``repr``
    are the dataclass's, as they read the attributes.
    """
    event = object.__new__(EventEnvelope)
    object.__setattr__(event, "__dict__", fields)
    return event


def kebab(name: str) -> str:
    """``CoverageChanged`` → ``coverage-changed``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def type_name(aggregate_type: str, event_class: type[Any]) -> str:
    """The CloudEvents type, versioned by the event's class_version."""
    version = getattr(event_class, "class_version", 1)
    return f"{TYPE_PREFIX}.{aggregate_type}.{kebab(event_class.__name__)}.v{version}"


def to_json(value: Any) -> Any:
    """Payload values as JSON: dates ISO 8601, Decimals as strings (never floats)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return value


def envelope(event: Any, aggregate_type: str, position: int) -> EventEnvelope:
    """Builds the envelope of a stored domain event at its notification ``position``."""
    state = vars(event)
    return EventEnvelope(
        id=event_id(event.tenant, event.originator_id, event.originator_version),
        type=type_name(aggregate_type, type(event)),
        source=f"/entente/{event.tenant}",
        subject=str(event.originator_id),
        time=event.timestamp,
        tenant=event.tenant,
        aggregate_type=aggregate_type,
        aggregate_id=str(event.originator_id),
        version=event.originator_version,
        position=position,
        business_time=event.business_time,
        actor_id=event.actor_id,
        actor_name=event.actor_name,
        correlation_id=event.correlation_id,
        causation_id=event.causation_id,
        classification=event.classification,
        schema_version=getattr(type(event), "class_version", 1),
        data={k: to_json(v) for k, v in state.items() if k not in META_FIELDS},
    )
