"""Post-abroad events → the posts and their coverage periods.

Coverage is kept as periods ``[valid_from, valid_until)`` per country, so an
action is attributed to the post that covered its country on the action's
date, as the domain requires, not to the post covering it today.
"""

from __future__ import annotations

from datetime import date

from shared.events.envelope import EventEnvelope
from shared.views.handlers.common import (
    Handler,
    codes,
    corrections,
    event_type,
    insert_record,
    required_day,
    update_record,
)
from shared.views.store import ViewSession


def _end_current_periods(session: ViewSession, post_id: str, on: date) -> None:
    """Closes the open periods on ``on``; a period that would be empty is removed."""
    periods = session.rows.children(session.tables.post_coverage, post_id)
    periods[:] = [p for p in periods if not (p["valid_until"] is None and p["valid_from"] >= on)]
    for period in periods:
        if period["valid_until"] is None:
            period["valid_until"] = on


def _start_periods(session: ViewSession, post_id: str, countries: list[str], on: date) -> None:
    periods = session.rows.children(session.tables.post_coverage, post_id)
    periods.extend(
        {"post_id": post_id, "country": country, "valid_from": on, "valid_until": None}
        for country in dict.fromkeys(countries)
    )


def opened(session: ViewSession, event: EventEnvelope) -> None:
    data = event.data
    opened_on = required_day(data["opened_on"])
    countries = codes(data["covered_countries"])
    insert_record(
        session,
        session.tables.posts,
        event,
        name=data["name"],
        city=data["city"],
        host_country=data["host_country"],
        status="open",
        opened_on=opened_on,
        closed_on=None,
        covered_countries=countries,
    )
    _start_periods(session, event.aggregate_id, countries, opened_on)


def coverage_changed(session: ViewSession, event: EventEnvelope) -> None:
    on = required_day(event.data["effective_on"])
    countries = codes(event.data["covered_countries"])
    update_record(session, session.tables.posts, event, covered_countries=countries)
    _end_current_periods(session, event.aggregate_id, on)
    _start_periods(session, event.aggregate_id, countries, on)


def coverage_redated(session: ViewSession, event: EventEnvelope) -> None:
    """The last change moved from ``recorded_effective_on`` to ``effective_on``: the
    periods it ended end on the new day, the ones it began begin then (a period left
    empty is removed, as a same-day change's is)."""
    recorded = required_day(event.data["recorded_effective_on"])
    on = required_day(event.data["effective_on"])
    update_record(session, session.tables.posts, event)
    periods = session.rows.children(session.tables.post_coverage, event.aggregate_id)
    for period in periods:
        if period["valid_until"] == recorded:
            period["valid_until"] = on
        elif period["valid_from"] == recorded and period["valid_until"] is None:
            period["valid_from"] = on
    periods[:] = [
        p for p in periods if p["valid_until"] is None or p["valid_from"] < p["valid_until"]
    ]


def opening_redated(session: ViewSession, event: EventEnvelope) -> None:
    """The post opened on ``opened_on``, not ``recorded_opened_on``: the periods of its first
    coverage (those beginning on the recorded day) begin on the new day; one left with
    no day (opened on the day of its next change) is removed."""
    recorded = required_day(event.data["recorded_opened_on"])
    on = required_day(event.data["opened_on"])
    update_record(session, session.tables.posts, event, opened_on=on)
    periods = session.rows.children(session.tables.post_coverage, event.aggregate_id)
    for period in periods:
        if period["valid_from"] == recorded:
            period["valid_from"] = on
    periods[:] = [
        p for p in periods if p["valid_until"] is None or p["valid_from"] < p["valid_until"]
    ]


def closed(session: ViewSession, event: EventEnvelope) -> None:
    on = required_day(event.data["closed_on"])
    update_record(session, session.tables.posts, event, status="closed", closed_on=on)
    _end_current_periods(session, event.aggregate_id, on)


def closure_withdrawn(session: ViewSession, event: EventEnvelope) -> None:
    """The closure undone: the current coverage's periods the closure ended run on, and
    those it removed (a closure the day that coverage began) are started again."""
    data = event.data
    closed_on = required_day(data["closed_on"])
    since = required_day(data["coverage_since"])
    countries = codes(data["covered_countries"])
    update_record(session, session.tables.posts, event, status="open", closed_on=None)
    periods = session.rows.children(session.tables.post_coverage, event.aggregate_id)
    for period in periods:
        if period["valid_until"] == closed_on and period["valid_from"] >= since:
            period["valid_until"] = None
    running = {period["country"] for period in periods if period["valid_until"] is None}
    _start_periods(session, event.aggregate_id, [c for c in countries if c not in running], since)


def corrected(session: ViewSession, event: EventEnvelope) -> None:
    corrections(session.tables.posts)(session, event)


HANDLERS: dict[str, Handler] = {
    event_type("post-abroad", "opened"): opened,
    event_type("post-abroad", "coverage-changed"): coverage_changed,
    event_type("post-abroad", "coverage-redated"): coverage_redated,
    event_type("post-abroad", "opening-redated"): opening_redated,
    event_type("post-abroad", "closed"): closed,
    event_type("post-abroad", "closure-withdrawn"): closure_withdrawn,
    event_type("post-abroad", "corrected"): corrected,
}
