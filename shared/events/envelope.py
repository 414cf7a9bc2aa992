"""The published form of an event: what the log carries and every reader sees.

It is the CloudEvents 1.0 view of a stored domain event (id, source, type,
subject, time) plus Entente's metadata as extensions, and a JSON payload.
The same envelope is built from the event store and decoded from the log, so
projections, auditors and other ministries' systems read one shape.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

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
    """Deterministic, so a republished event keeps its id and readers de-duplicate."""
    return str(uuid5(NAMESPACE_URL, f"entente:{tenant}:{aggregate_id}:{version}"))


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
