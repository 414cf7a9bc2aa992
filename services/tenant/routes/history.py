"""The history of one record: every event, oldest first, with who and when.

Each event shows both times auditors ask about: when it happened (business
time) and when the system learned it (recorded time), and the person whose
token recorded it. One route per collection, so the URL names what is read.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from services.tenant.context import Ledger
from shared.domain.agreement import Agreement
from shared.domain.base import EntenteAggregate
from shared.domain.delegation import DelegationVisit
from shared.domain.mission import Mission
from shared.domain.post import PostAbroad
from shared.events.envelope import EventEnvelope
from shared.http.commands import etag
from shared.http.security import Reader
from shared.http.strict_json import LedgerRoute

router = APIRouter(tags=["history"], route_class=LedgerRoute)

#: URL collection name → the aggregate its records are.
COLLECTIONS: dict[str, type[EntenteAggregate]] = {
    "agreements": Agreement,
    "missions": Mission,
    "delegations": DelegationVisit,
    "posts": PostAbroad,
}


class RecordedBy(BaseModel):
    """Who recorded an event: the verified token's subject and name."""

    id: str = Field(examples=["3f1c9b8e-5d0b-5a55-9a57-6f1d7e0c2b11"])
    name: str = Field(examples=["Demo police recorder"])


class HistoryEvent(BaseModel):
    id: str = Field(description="The event id, as published on the log")
    type: str = Field(examples=["fr.interieur.entente.mission.validated.v1"])
    version: int = Field(description="The record's version after this event", examples=[2])
    recorded_at: datetime = Field(description="When the system learned it")
    business_time: datetime = Field(description="When it happened")
    recorded_by: RecordedBy
    correlation_id: str
    causation_id: str | None
    classification: str = Field(examples=["internal"])
    schema_version: int = Field(examples=[1])
    data: dict[str, Any] = Field(description="The event's payload")


class RecordHistory(BaseModel):
    id: str
    type: str = Field(examples=["mission"])
    version: int = Field(description="The current version (also the ETag)")
    events: list[HistoryEvent]


def _entry(event: EventEnvelope) -> HistoryEvent:
    return HistoryEvent(
        id=event.id,
        type=event.type,
        version=event.version,
        recorded_at=event.time,
        business_time=event.business_time,
        recorded_by=RecordedBy(id=event.actor_id, name=event.actor_name),
        correlation_id=event.correlation_id,
        causation_id=event.causation_id,
        classification=event.classification,
        schema_version=event.schema_version,
        data=event.data,
    )


def _history_route(record_type: type[EntenteAggregate]) -> Callable[..., RecordHistory]:
    def history(
        principal: Reader, ledger: Ledger, record_id: UUID, response: Response
    ) -> RecordHistory:
        events = ledger.history(record_type, record_id)
        version = events[-1].version
        etag(response, version)
        kind = events[0].aggregate_type
        return RecordHistory(
            id=str(record_id), type=kind, version=version, events=[_entry(e) for e in events]
        )

    return history


for _collection, _record_type in COLLECTIONS.items():
    router.add_api_route(
        f"/api/{{tenant}}/{_collection}/{{record_id}}/history",
        _history_route(_record_type),
        methods=["GET"],
        name=f"{_collection}_history",
        summary=f"Every event of one {_record_type.record_name}, oldest first",
        response_model=RecordHistory,
    )
