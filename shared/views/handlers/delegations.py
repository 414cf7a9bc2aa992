"""Delegation-visit events → the delegations calendar."""

from __future__ import annotations

from shared.events.envelope import EventEnvelope
from shared.views.handlers.common import (
    Handler,
    codes,
    corrections,
    event_type,
    insert_record,
    plus_one,
    required_day,
    update_record,
)
from shared.views.store import ViewSession


def planned(session: ViewSession, event: EventEnvelope) -> None:
    data = event.data
    insert_record(
        session,
        session.tables.delegations,
        event,
        country=data["country"],
        organisation=data["organisation"],
        head_of_delegation=data["head_of_delegation"],
        size=int(data["size"]),
        start_date=required_day(data["start_date"]),
        end_date=required_day(data["end_date"]),
        host_site=data["host_site"],
        topics=codes(data["topics"]),
        status="planned",
        reschedulings=0,
        hosted_on=None,
        actual_size=None,
        cancelled_on=None,
        cancellation_reason=None,
    )


def rescheduled(session: ViewSession, event: EventEnvelope) -> None:
    table = session.tables.delegations
    update_record(
        session,
        table,
        event,
        start_date=required_day(event.data["start_date"]),
        end_date=required_day(event.data["end_date"]),
        reschedulings=plus_one(session, table, event, "reschedulings"),
    )


def hosted(session: ViewSession, event: EventEnvelope) -> None:
    update_record(
        session,
        session.tables.delegations,
        event,
        status="hosted",
        hosted_on=required_day(event.data["hosted_on"]),
        actual_size=int(event.data["actual_size"]),
    )


def cancelled(session: ViewSession, event: EventEnvelope) -> None:
    update_record(
        session,
        session.tables.delegations,
        event,
        status="cancelled",
        cancelled_on=required_day(event.data["cancelled_on"]),
        cancellation_reason=event.data["reason"],
    )


def cancellation_withdrawn(session: ViewSession, event: EventEnvelope) -> None:
    required_day(event.data["cancelled_on"])
    update_record(
        session,
        session.tables.delegations,
        event,
        status="planned",
        cancelled_on=None,
        cancellation_reason=None,
    )


def corrected(session: ViewSession, event: EventEnvelope) -> None:
    corrections(session.tables.delegations)(session, event)


HANDLERS: dict[str, Handler] = {
    event_type("delegation-visit", "planned"): planned,
    event_type("delegation-visit", "rescheduled"): rescheduled,
    event_type("delegation-visit", "hosted"): hosted,
    event_type("delegation-visit", "cancelled"): cancelled,
    event_type("delegation-visit", "cancellation-withdrawn"): cancellation_withdrawn,
    event_type("delegation-visit", "corrected"): corrected,
}
