"""What reading one record answers (``GET /api/{tenant}/<collection>/{record_id}``), and
the audit's state of a record, as JSON Schemas for the OpenAPI documents.

Why: the four record reads were stated as open objects, so a client learnt nothing
of an agreement's or a mission's fields, and the contract tests could not hold a
record to anything. A record is its aggregate's public state as ``record_state``
writes it (every attribute not starting with ``_``, dates ISO 8601, amounts as
exact decimal text, codes as their values) plus its id, version and the library's
two times; an agreement adds its derived ``status`` and ``expires_on``.

Listed, not generated: an aggregate declares its state for the type checker alone
(``if TYPE_CHECKING`` in ``shared.domain``; annotations at run time would make the
event-sourcing library turn it into a dataclass with a required ``__init__``), so
there is nothing to read it from at run time. Each list here follows that
declaration, in its order and words. Every field is required and none other
allowed: a field an aggregate gains or loses fails the contract tests at once.

An amount is one ``{"amount", "currency"}`` object (or null), as the commands take
it and the lists show it, where the aggregate holds ``budget_amount`` and
``budget_currency`` apart.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from shared.domain.vocabulary import (
    AgreementKind,
    Classification,
    DelegationStatus,
    MissionStatus,
    MissionType,
    Organisation,
    PostStatus,
    Theme,
)
from shared.views.answer_schemas import AGREEMENT_STATUS, RECORDED_AGREEMENT_STATUS
from shared.views.response_schemas import MONEY, closed_object, nullable

_TEXT: dict[str, Any] = {"type": "string"}
_DAY: dict[str, Any] = {"type": "string", "format": "date"}
_COUNT: dict[str, Any] = {"type": "integer", "minimum": 0}
_COUNTRY: dict[str, Any] = {"type": "string", "pattern": "^[A-Z]{2}$"}
_COUNTRIES: dict[str, Any] = {"type": "array", "items": _COUNTRY}


def _coded(vocabulary: type[StrEnum]) -> dict[str, Any]:
    """One code of ``vocabulary`` (its values are stable: events hold them for ever)."""
    return {"type": "string", "enum": [term.value for term in vocabulary]}


def _codes(vocabulary: type[StrEnum]) -> dict[str, Any]:
    return {"type": "array", "items": _coded(vocabulary)}


def _record(state: dict[str, Any]) -> dict[str, Any]:
    """A record: the aggregate's ``state`` with what every record shows (``record_state``)."""
    return closed_object(
        {
            "tenant": _TEXT,
            "classification": _coded(Classification),
            **state,
            "id": {"type": "string", "format": "uuid"},
            "version": {"type": "integer", "minimum": 1, "description": "Also the ETag"},
            "created_on": {"type": "string", "format": "date-time", "description": "Recorded"},
            "modified_on": {"type": "string", "format": "date-time", "description": "Recorded"},
        }
    )


AGREEMENT_RECORD = _record(
    {
        "reference": _TEXT,
        "title": _TEXT,
        "kind": _coded(AgreementKind),
        "partner_countries": _COUNTRIES,
        "partner_organisations": _codes(Organisation),
        "themes": _codes(Theme),
        "signed_on": _DAY,
        "signed_at": _TEXT,
        "duration_months": nullable({**_COUNT, "description": "null: open-ended"}),
        "term_start": _DAY,
        "funding": MONEY,
        "funder": nullable(_TEXT),
        "status": AGREEMENT_STATUS,
        "amendments": {
            "type": "array",
            "items": closed_object({"on": _DAY, "summary": _TEXT}),
        },
        "suspended_on": nullable(_DAY),
        "suspension_reason": nullable(_TEXT),
        "terminated_on": nullable(_DAY),
        "termination_reason": nullable(_TEXT),
        "expires_on": nullable({**_DAY, "description": "Derived from the term; null: none"}),
        "recorded_status": RECORDED_AGREEMENT_STATUS,
    }
)
MISSION_RECORD = _record(
    {
        "title": _TEXT,
        "mission_type": _coded(MissionType),
        "countries": _COUNTRIES,
        "organisations": _codes(Organisation),
        "themes": _codes(Theme),
        "requested_by": _TEXT,
        "post_id": nullable({**_TEXT, "description": "The post that collected the request"}),
        "requested_on": _DAY,
        "description": _TEXT,
        "status": _coded(MissionStatus),
        "decided_on": nullable(_DAY),
        "decided_by": nullable(_TEXT),
        "decision_reference": nullable(_TEXT),
        "decline_reason": nullable(_TEXT),
        "scheduled_on": nullable(_DAY),
        "start_date": nullable(_DAY),
        "end_date": nullable(_DAY),
        "place": nullable(_TEXT),
        "expert_count": nullable(_COUNT),
        "budget": MONEY,
        "launched_on": nullable(_DAY),
        "completed_on": nullable(_DAY),
        "participants": nullable(_COUNT),
        "actual_cost": MONEY,
        "outcome": nullable(_TEXT),
        "cancelled_on": nullable(_DAY),
        "cancellation_reason": nullable(_TEXT),
        "evaluated_on": nullable(_DAY),
        "rating": nullable({"type": "integer", "minimum": 1, "maximum": 5}),
        "findings": nullable(_TEXT),
        "recommendations": nullable(_TEXT),
    }
)
DELEGATION_RECORD = _record(
    {
        "country": nullable({**_COUNTRY, "description": "null: an organisation visits"}),
        "organisation": nullable({**_coded(Organisation), "description": "null: a country"}),
        "head_of_delegation": _TEXT,
        "size": {"type": "integer", "minimum": 1},
        "start_date": _DAY,
        "end_date": _DAY,
        "host_site": _TEXT,
        "topics": _codes(Theme),
        "status": _coded(DelegationStatus),
        "reschedulings": _COUNT,
        "rescheduled_on": nullable(_DAY),
        "hosted_on": nullable(_DAY),
        "actual_size": nullable({"type": "integer", "minimum": 1}),
        "cancelled_on": nullable(_DAY),
        "cancellation_reason": nullable(_TEXT),
    }
)
POST_RECORD = _record(
    {
        "name": _TEXT,
        "city": _TEXT,
        "host_country": _COUNTRY,
        "covered_countries": _COUNTRIES,
        "coverage_history": {
            "type": "array",
            "description": "The countries covered from each date on, oldest first",
            "items": closed_object({"from": _DAY, "countries": _COUNTRIES}),
        },
        "opened_on": _DAY,
        "closed_on": nullable(_DAY),
        "status": _coded(PostStatus),
    }
)


#: What every record read adds to its aggregate's state; the audit's state has none of it.
_METADATA = ("id", "version", "created_on", "modified_on")


def _audited(record: dict[str, Any], derived: dict[str, Any]) -> dict[str, Any]:
    """The state the audit rebuilds of a record (``shared.audit.history.snapshot``): the
    record read's fields without its metadata (the answer around it says id and version),
    with the aggregate's ``derived`` properties."""
    state = {k: v for k, v in record["properties"].items() if k not in _METADATA}
    return closed_object({**state, **derived})


#: The audit's state of a record (history, as of a time): one of the four, told apart
#: by their fields (each is closed, so exactly one matches).
AUDITED_STATE: dict[str, Any] = {
    "oneOf": [
        _audited(
            AGREEMENT_RECORD,
            {
                "last_status_change": {
                    "type": "array",
                    "items": _TEXT,
                    "minItems": 2,
                    "maxItems": 2,
                    "description": "The field and the ISO date of the latest change of status",
                }
            },
        ),
        _audited(MISSION_RECORD, {}),
        _audited(DELEGATION_RECORD, {}),
        _audited(
            POST_RECORD,
            {"coverage_since": {**_DAY, "description": "When the current coverage began"}},
        ),
    ]
}
