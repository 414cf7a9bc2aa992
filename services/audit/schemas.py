"""The audit API's response bodies (OpenAPI documents them with examples)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, WithJsonSchema

from shared.access_log import AccessEntry
from shared.audit.history import AsOf, RecordHistory, Step
from shared.views.record_schemas import AUDITED_STATE

#: A record's state as the audit rebuilds it: stated closed, one of the four kinds
#: (it was an open object: an auditor's tools learnt nothing of its fields).
AuditedState = Annotated[dict[str, Any], WithJsonSchema(AUDITED_STATE)]


class RecordedBy(BaseModel):
    id: str = Field(description="The token subject of whoever recorded the event")
    name: str = Field(examples=["Demo police recorder"])


class FieldChange(BaseModel):
    field: str = Field(examples=["status"])
    before: Any = Field(description="The value before the event (null when absent)")
    after: Any = Field(description="The value after the event (null when removed)")


class AuditedEvent(BaseModel):
    id: str = Field(description="The event id, as published on the log")
    type: str = Field(examples=["fr.interieur.entente.mission.validated.v1"])
    version: int = Field(description="The record's version after this event", examples=[2])
    position: int = Field(description="Its notification id in the tenant's log")
    recorded_at: datetime = Field(description="When the system learned it (recorded time)")
    business_time: datetime = Field(description="When it happened (business time)")
    recorded_by: RecordedBy
    correlation_id: str
    causation_id: str | None
    classification: str = Field(examples=["internal"])
    schema_version: int
    data: dict[str, Any] = Field(description="The event's payload")
    changes: list[FieldChange] = Field(description="The record's state fields it changed")

    @classmethod
    def of(cls, step: Step) -> AuditedEvent:
        e = step.event
        return cls(
            id=e.id,
            type=e.type,
            version=e.version,
            position=e.position,
            recorded_at=e.time,
            business_time=e.business_time,
            recorded_by=RecordedBy(id=e.actor_id, name=e.actor_name),
            correlation_id=e.correlation_id,
            causation_id=e.causation_id,
            classification=e.classification,
            schema_version=e.schema_version,
            data=e.data,
            changes=[
                FieldChange(field=c.field, before=c.before, after=c.after) for c in step.changes
            ],
        )


class AuditedHistory(BaseModel):
    tenant: str = Field(examples=["police"])
    id: str
    type: str = Field(examples=["mission"])
    version: int = Field(description="The current version")
    state: AuditedState = Field(description="The current state, rebuilt from the events")
    events: list[AuditedEvent]

    @classmethod
    def of(cls, history: RecordHistory) -> AuditedHistory:
        return cls(
            tenant=history.tenant,
            id=history.record_id,
            type=history.aggregate_type,
            version=history.version,
            state=history.state,
            events=[AuditedEvent.of(step) for step in history.steps],
        )


class StateAsOf(BaseModel):
    tenant: str
    id: str
    type: str
    axis: Literal["recorded", "business"] = Field(description="Which time ``at`` is compared to")
    at: datetime
    version: int = Field(description="The last version applied")
    applied: list[int] = Field(description="The versions applied, in order")
    left_out: list[int] = Field(
        description="Versions whose time on this axis is after ``at`` (a back-dated correction "
        "can leave out a version between applied ones)"
    )
    state: AuditedState = Field(description="The state rebuilt from the versions applied")

    @classmethod
    def of(cls, found: AsOf) -> StateAsOf:
        return cls(
            tenant=found.tenant,
            id=found.record_id,
            type=found.aggregate_type,
            axis=found.axis,
            at=found.at,
            version=found.version,
            applied=found.applied,
            left_out=found.left_out,
            state=found.state,
        )


class AccessLogEntry(BaseModel):
    id: int
    at: datetime
    subject: str
    name: str
    action: str = Field(examples=["audit.history"])
    resource: str = Field(examples=["/api/audit/police/records/3f1c…/history"])
    tenant: str | None

    @classmethod
    def of(cls, entry: AccessEntry) -> AccessLogEntry:
        return cls(**entry.as_dict())


class AccessLogPage(BaseModel):
    items: list[AccessLogEntry]
    next_cursor: int | None = Field(
        description="Pass as ``after`` for the next page; null at the end"
    )


class Tenants(BaseModel):
    tenants: list[str] = Field(examples=[["police", "gendarmerie", "civil-protection"]])
