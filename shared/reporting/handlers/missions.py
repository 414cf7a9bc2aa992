"""Mission events → the consolidated missions (dates, type, budget, codes, status).

A rescheduling is a new ``scheduled`` event: the latest dates hold, which can
move a mission to another year or end an overlap (``overlaps.py`` re-checks
the mission after every one of its events).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shared.events.envelope import EventEnvelope
from shared.reporting.handlers.common import (
    Handler,
    corrected_values,
    insert_record,
    replace_codes,
    update_record,
)
from shared.reporting.store import ReportingSession
from shared.views.handlers.common import amount, codes, event_type, required_day


def requested(session: ReportingSession, event: EventEnvelope) -> None:
    data = event.data
    countries, themes = codes(data["countries"]), codes(data["themes"])
    required_day(data["requested_on"])
    insert_record(
        session,
        session.tables.missions,
        event,
        title=data["title"],
        mission_type=data["mission_type"],
        status="requested",
        countries=countries,
        themes=themes,
    )
    replace_codes(session, session.tables.mission_countries, event, countries, created=True)
    replace_codes(session, session.tables.mission_themes, event, themes, created=True)


def _status(status: str, on: str, **columns: Callable[[dict[str, Any]], Any]) -> Handler:
    """A handler that sets the status and ``columns`` (each decoded from the payload).

    The step's date (``on``) is not copied, but must be there: a payload without
    it is malformed, and stops the projection like in the tenant views.
    """

    def apply(session: ReportingSession, event: EventEnvelope) -> None:
        required_day(event.data[on])
        values = {name: decode(event.data) for name, decode in columns.items()}
        update_record(session, session.tables.missions, event, status=status, **values)

    return apply


def cancellation_withdrawn(session: ReportingSession, event: EventEnvelope) -> None:
    """Back to the status before the cancellation, which the event names."""
    required_day(event.data["cancelled_on"])
    update_record(session, session.tables.missions, event, status=event.data["status"])


def scheduled(session: ReportingSession, event: EventEnvelope) -> None:
    data = event.data
    update_record(
        session,
        session.tables.missions,
        event,
        status="scheduled",
        start_date=required_day(data["start_date"]),
        end_date=required_day(data["end_date"]),
        place=data["place"],
        budget_amount=amount(data["budget_amount"], data["budget_currency"]),
        budget_currency=data["budget_currency"],
    )


def corrected(session: ReportingSession, event: EventEnvelope) -> None:
    changes = event.data["changes"]

    def money(field: str) -> Callable[[Any], Any]:
        return lambda value: amount(value, changes[f"{field}_currency"])

    values = corrected_values(
        event,
        {
            "title": str,
            "place": str,
            "themes": codes,
            "budget_amount": money("budget"),
            "budget_currency": str,
            "actual_cost_amount": money("actual_cost"),
            "actual_cost_currency": str,
            "mission_type": str,
            "rating": int,
            "countries": codes,
            "start_date": required_day,
            "end_date": required_day,
        },
        frozenset(
            {
                "description",
                "requested_by",
                "organisations",
                "participants",
                "expert_count",
                "outcome",
                "findings",
                "recommendations",
                "post_id",
                "requested_on",
                "decided_on",
                "decided_by",
                "decision_reference",
            }
        ),
    )
    update_record(session, session.tables.missions, event, **values)
    if "themes" in values:
        replace_codes(session, session.tables.mission_themes, event, values["themes"])
    if "countries" in values:
        replace_codes(session, session.tables.mission_countries, event, values["countries"])


HANDLERS: dict[str, Handler] = {
    event_type("mission", "requested"): requested,
    event_type("mission", "validated"): _status("validated", "decided_on"),
    event_type("mission", "declined"): _status("declined", "decided_on"),
    event_type("mission", "decision-withdrawn"): _status("requested", "decided_on"),
    event_type("mission", "scheduled"): scheduled,
    event_type("mission", "launched"): _status("launched", "launched_on"),
    event_type("mission", "completed"): _status(
        "completed",
        "completed_on",
        actual_cost_amount=lambda d: amount(d["actual_cost_amount"], d["actual_cost_currency"]),
        actual_cost_currency=lambda d: d["actual_cost_currency"],
    ),
    event_type("mission", "cancelled"): _status("cancelled", "cancelled_on"),
    event_type("mission", "cancellation-withdrawn"): cancellation_withdrawn,
    event_type("mission", "evaluated"): _status(
        "evaluated", "evaluated_on", rating=lambda d: int(d["rating"])
    ),
    event_type("mission", "corrected"): corrected,
}
