"""Who is acting, for which tenant, and why: the metadata every event carries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from shared.domain.vocabulary import Classification
from shared.errors import DomainRuleViolation
from shared.ids import random_uuid


@dataclass(frozen=True)
class Actor:
    """The person behind a command, taken from a verified token only."""

    subject: str
    name: str


@dataclass(frozen=True)
class CommandContext:
    """Everything about a command that is not its payload.

    Built once per request by the API from the verified token and headers, and
    passed to every aggregate method, so no event can be recorded without an
    actor, a tenant and a correlation id.
    """

    tenant: str
    actor: Actor
    correlation_id: str = field(default_factory=lambda: str(random_uuid()))
    causation_id: str | None = None
    #: The ledger's today, for facts that cannot be dated later (a completion...): the
    #: latest date anywhere (UTC+14, ``CooperationLedger.latest_today``), as the refusal
    #: says, or a Paris user told "today (the 7th)" on the 6th is left puzzled;
    #: None where no clock applies (the sample data, which keeps its own dates).
    today: date | None = None

    def happened(self, field_name: str, on: date) -> None:
        """Refuses a fact dated after today: it is recorded once it has happened."""
        if self.today is not None:
            require_happened(field_name, on, self.today)

    def meta(
        self, business_time: datetime | date, classification: Classification
    ) -> dict[str, Any]:
        """The metadata fields of one event, as keyword arguments."""
        return {
            "tenant": self.tenant,
            "business_time": as_business_time(business_time),
            "actor_id": self.actor.subject,
            "actor_name": self.actor.name,
            "correlation_id": self.correlation_id,
            "causation_id": self.causation_id,
            "classification": classification.value,
        }


def require_happened(field_name: str, on: date, today: date) -> None:
    """Refuses ``on`` after ``today`` (the latest date anywhere), saying which today."""
    if on > today:
        raise DomainRuleViolation(
            "not-in-future",
            f"{field_name} ({on.isoformat()}) is after today ({today.isoformat()} at "
            "UTC+14, the latest date anywhere): record it once it has happened",
            field_name,
        )


def as_business_time(value: datetime | date) -> datetime:
    """Business time as an aware UTC datetime; a plain date means its start (UTC)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("business times must be timezone-aware")
        return value.astimezone(UTC)
    return datetime.combine(value, time.min, tzinfo=UTC)
