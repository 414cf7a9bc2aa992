"""Mission events → the missions board.

``board_year`` is the year of the start date once scheduled, else of the
request, so a request appears on its year's board before it has dates. The
columns of later steps stay empty (NULL) until their step happens.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.events.envelope import EventEnvelope
from shared.views.handlers.common import (
    Handler,
    amount,
    codes,
    corrections,
    current,
    day,
    event_type,
    insert_record,
    replace_codes,
    required_day,
    update_record,
)
from shared.views.store import ViewSession


def requested(session: ViewSession, event: EventEnvelope) -> None:
    data = event.data
    requested_on = required_day(data["requested_on"])
    countries, themes = codes(data["countries"]), codes(data["themes"])
    insert_record(
        session,
        session.tables.missions,
        event,
        title=data["title"],
        mission_type=data["mission_type"],
        status="requested",
        countries=countries,
        organisations=codes(data["organisations"]),
        themes=themes,
        requested_by=data["requested_by"],
        post_id=data["post_id"],
        requested_on=requested_on,
        description=data["description"],
        board_year=requested_on.year,
    )
    tables, mission = session.tables, event.aggregate_id
    replace_codes(session, tables.mission_countries, mission, countries, created=True)
    replace_codes(session, tables.mission_themes, mission, themes, created=True)


def _decision(event: EventEnvelope) -> dict[str, object]:
    data = event.data
    return {
        "decided_on": required_day(data["decided_on"]),
        "decided_by": data["decided_by"],
        "decision_reference": data["decision_reference"],
    }


def validated(session: ViewSession, event: EventEnvelope) -> None:
    update_record(session, session.tables.missions, event, status="validated", **_decision(event))


def declined(session: ViewSession, event: EventEnvelope) -> None:
    update_record(
        session,
        session.tables.missions,
        event,
        status="declined",
        decline_reason=event.data["reason"],
        **_decision(event),
    )


def decision_withdrawn(session: ViewSession, event: EventEnvelope) -> None:
    """The request waits for a decision again: the decision's fields are cleared."""
    required_day(event.data["decided_on"])
    update_record(
        session,
        session.tables.missions,
        event,
        status="requested",
        decided_on=None,
        decided_by=None,
        decision_reference=None,
        decline_reason=None,
    )


def scheduled(session: ViewSession, event: EventEnvelope) -> None:
    """Also a rescheduling: the latest schedule holds, and may move the board year."""
    data = event.data
    start = required_day(data["start_date"])
    update_record(
        session,
        session.tables.missions,
        event,
        status="scheduled",
        start_date=start,
        end_date=required_day(data["end_date"]),
        place=data["place"],
        expert_count=int(data["expert_count"]),
        budget_amount=amount(data["budget_amount"], data["budget_currency"]),
        budget_currency=data["budget_currency"],
        scheduled_on=day(data["scheduled_on"]),
        board_year=start.year,
    )


def launched(session: ViewSession, event: EventEnvelope) -> None:
    on = required_day(event.data["launched_on"])
    update_record(session, session.tables.missions, event, status="launched", launched_on=on)


def completed(session: ViewSession, event: EventEnvelope) -> None:
    data = event.data
    update_record(
        session,
        session.tables.missions,
        event,
        status="completed",
        completed_on=required_day(data["completed_on"]),
        participants=int(data["participants"]),
        actual_cost_amount=amount(data["actual_cost_amount"], data["actual_cost_currency"]),
        actual_cost_currency=data["actual_cost_currency"],
        outcome=data["outcome"],
    )


def cancelled(session: ViewSession, event: EventEnvelope) -> None:
    update_record(
        session,
        session.tables.missions,
        event,
        status="cancelled",
        cancelled_on=required_day(event.data["cancelled_on"]),
        cancellation_reason=event.data["reason"],
    )


def cancellation_withdrawn(session: ViewSession, event: EventEnvelope) -> None:
    """The mission goes on from the status the event says it had before."""
    required_day(event.data["cancelled_on"])
    update_record(
        session,
        session.tables.missions,
        event,
        status=event.data["status"],
        cancelled_on=None,
        cancellation_reason=None,
    )


def evaluated(session: ViewSession, event: EventEnvelope) -> None:
    data = event.data
    update_record(
        session,
        session.tables.missions,
        event,
        status="evaluated",
        evaluated_on=required_day(data["evaluated_on"]),
        rating=int(data["rating"]),
        findings=data["findings"],
        recommendations=data["recommendations"],
    )


def corrected(session: ViewSession, event: EventEnvelope) -> None:
    tables = session.tables
    codes = {"themes": tables.mission_themes, "countries": tables.mission_countries}
    corrections(tables.missions, codes, _board_year)(session, event)
    if "requested_on" in event.data["changes"]:  # on its request's year's board until dated
        row = current(session, tables.missions, event)
        if row["start_date"] is None:
            update_record(session, tables.missions, event, board_year=row["requested_on"].year)


def _board_year(corrected: Mapping[str, Any]) -> dict[str, Any]:
    """A corrected start date moves the mission to its year's board."""
    start = corrected.get("start_date")
    return {} if start is None else {"board_year": start.year}


HANDLERS: dict[str, Handler] = {
    event_type("mission", "requested"): requested,
    event_type("mission", "validated"): validated,
    event_type("mission", "declined"): declined,
    event_type("mission", "decision-withdrawn"): decision_withdrawn,
    event_type("mission", "scheduled"): scheduled,
    event_type("mission", "launched"): launched,
    event_type("mission", "completed"): completed,
    event_type("mission", "cancelled"): cancelled,
    event_type("mission", "cancellation-withdrawn"): cancellation_withdrawn,
    event_type("mission", "evaluated"): evaluated,
    event_type("mission", "corrected"): corrected,
}
