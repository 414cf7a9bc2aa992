"""Overlaps: missions of two directorates, same country, same theme, dates that meet.

This is the DCI's coherence check: two directorates planning missions to the
same country on the same theme at the same time should know of each other.
The pairs are kept in the ``overlaps`` table and re-checked for a mission after
each of its events, inside the batch's transaction, so the list is always the
one the missions' current dates, codes and statuses give:

- only missions with dates that are going ahead count (the statuses the
  annual report counts as actions: scheduled, launched, completed, evaluated);
- dates are whole days, both ends included: a mission ending on the 10th and
  one starting on the 10th overlap; one starting on the 11th does not;
- two missions of the *same* directorate never make an overlap (that is the
  directorate's own planning, not a coherence question).

A pair that appears raises an ``overlap-detected`` alert and a pair that goes
away (rescheduled, cancelled, theme corrected) an ``overlap-resolved`` one (and a
cancellation withdrawn brings its pairs back, detected again),
through the ``OverlapAlerts`` port, in the same transaction: an alert is raised
exactly when the list changes, never for a batch that rolled back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import RowMapping, and_, delete, insert, or_, select, update

from shared.events.alert_schemas import ALERT_DETECTED, ALERT_RESOLVED
from shared.events.envelope import EventEnvelope
from shared.reporting.cursors import alert_id, key_in, pair_id
from shared.reporting.store import ReportingSession
from shared.views.queries.report import COUNTED_STATUSES

DETECTED = ALERT_DETECTED
RESOLVED = ALERT_RESOLVED
RESTRICTED = "restricted"

#: The mission events that can change its overlaps: dates set or moved (``scheduled``,
#: which is also how a mission first gets dates and enters the counted statuses),
#: leaving the counted statuses (``cancelled``) or back in them (``cancellation-withdrawn``),
#: themes corrected (``corrected``).
#: Launch, completion and evaluation keep dates, codes and a counted status;
#: request, validation and decline happen before a mission has dates. Re-checking
#: only after these three keeps the projection's cost near the tenant views'.
OVERLAP_EVENTS = frozenset({"scheduled", "cancelled", "cancellation-withdrawn", "corrected"})

#: (country, theme, first tenant, first id, second tenant, second id), first < second.
PairKey = tuple[str, str, str, str, str, str]
Window = tuple[date, date]


@dataclass(frozen=True)
class OverlapAlert:
    """An alert event: what changed in the overlaps list, and the event that changed it."""

    id: str
    type: str
    time: datetime
    country: str
    theme: str
    caused_by: str
    data: dict[str, Any]


class OverlapAlerts(Protocol):
    """Where overlap alerts are published, inside the reporting transaction.

    The implementation writes them to the ``alerts`` table of the same area (an
    outbox: committed with the overlaps, or not at all). With Kafka, the
    reporting service's ``AlertRelay`` publishes that table to
    ``entente.reporting.alerts`` in order, as the relay does for the event
    stores, rather than producing from inside the transaction.
    """

    def publish(self, session: ReportingSession, alert: OverlapAlert) -> None: ...


class TableOverlapAlerts:
    """The embedded ``OverlapAlerts``: one row per alert, once per alert id."""

    def publish(self, session: ReportingSession, alert: OverlapAlert) -> None:
        table = session.tables.alerts
        seen = session.connection.execute(select(table.c.seq).where(table.c.id == alert.id))
        if seen.first() is not None:
            return
        session.connection.execute(
            insert(table).values(
                id=alert.id,
                type=alert.type,
                time=alert.time,
                country=alert.country,
                theme=alert.theme,
                caused_by=alert.caused_by,
                data=alert.data,
            )
        )


def recheck(session: ReportingSession, cause: EventEnvelope, alerts: OverlapAlerts) -> None:
    """Brings the mission's pairs up to date after ``cause``; alerts for each change."""
    before = _stored(session, cause.tenant, cause.aggregate_id)
    after = _current(session, cause.tenant, cause.aggregate_id)
    table = session.tables.overlaps
    # The pair ids' key, read only when an alert is raised (most events raise none).
    key = key_in(session) if before.keys() != after.keys() else b""
    for pair in sorted(before.keys() - after.keys()):
        session.connection.execute(delete(table).where(*_match(table, pair)))
        alerts.publish(session, _alert(session, key, RESOLVED, pair, before[pair], cause))
    for pair in sorted(after.keys() - before.keys()):
        start, end = after[pair]
        row = dict(zip(_PAIR_COLUMNS, pair, strict=True))
        session.connection.execute(
            insert(table).values(
                **row, overlap_start=start, overlap_end=end, detected_at=cause.time
            )
        )
        alerts.publish(session, _alert(session, key, DETECTED, pair, after[pair], cause))
    for pair in sorted(before.keys() & after.keys()):
        if before[pair] != after[pair]:
            start, end = after[pair]
            session.connection.execute(
                update(table)
                .where(*_match(table, pair))
                .values(overlap_start=start, overlap_end=end)
            )


_PAIR_COLUMNS = ("country", "theme", "first_tenant", "first_id", "second_tenant", "second_id")


def _match(table: Any, pair: PairKey) -> list[Any]:
    return [table.c[name] == value for name, value in zip(_PAIR_COLUMNS, pair, strict=True)]


def _stored(session: ReportingSession, tenant: str, mission_id: str) -> dict[PairKey, Window]:
    """The pairs of the mission as the overlaps table holds them."""
    table = session.tables.overlaps
    first = and_(table.c.first_tenant == tenant, table.c.first_id == mission_id)
    second = and_(table.c.second_tenant == tenant, table.c.second_id == mission_id)
    rows = session.connection.execute(select(table).where(or_(first, second))).mappings()
    return {pair_of(row): (row["overlap_start"], row["overlap_end"]) for row in rows}


def pair_of(row: RowMapping) -> PairKey:
    country, theme, first_tenant, first_id, second_tenant, second_id = (
        str(row[name]) for name in _PAIR_COLUMNS
    )
    return country, theme, first_tenant, first_id, second_tenant, second_id


def _current(session: ReportingSession, tenant: str, mission_id: str) -> dict[PairKey, Window]:
    """The pairs the mission's current row gives with other directorates' missions."""
    tables = session.tables
    m, countries, themes = tables.missions, tables.mission_countries, tables.mission_themes
    own = (
        session.connection.execute(select(m).where(m.c.tenant == tenant, m.c.id == mission_id))
        .mappings()
        .one()
    )
    if not _counts(own):
        return {}
    statement = (
        select(
            m.c.tenant, m.c.id, m.c.start_date, m.c.end_date, countries.c.country, themes.c.theme
        )
        .join(countries, and_(countries.c.tenant == m.c.tenant, countries.c.mission_id == m.c.id))
        .join(themes, and_(themes.c.tenant == m.c.tenant, themes.c.mission_id == m.c.id))
        .where(
            m.c.tenant != tenant,
            m.c.status.in_(COUNTED_STATUSES),
            m.c.start_date <= own["end_date"],
            m.c.end_date >= own["start_date"],
            countries.c.country.in_(own["countries"]),
            themes.c.theme.in_(own["themes"]),
        )
    )
    found: dict[PairKey, Window] = {}
    for row in session.connection.execute(statement).mappings():
        ends = sorted([(tenant, mission_id), (row["tenant"], row["id"])])
        pair: PairKey = (row["country"], row["theme"], *ends[0], *ends[1])
        window = (max(own["start_date"], row["start_date"]), min(own["end_date"], row["end_date"]))
        found[pair] = window
    return found


def _counts(row: RowMapping) -> bool:
    return (
        row["status"] in COUNTED_STATUSES
        and row["start_date"] is not None
        and row["end_date"] is not None
    )


def _alert(
    session: ReportingSession,
    key: bytes,
    kind: str,
    pair: PairKey,
    window: Window,
    cause: EventEnvelope,
) -> OverlapAlert:
    """The alert event; its id is derived from the pair and the cause, so a retry keeps it."""
    country, theme = pair[0], pair[1]
    ends = [(pair[2], pair[3]), (pair[4], pair[5])]
    name = f"entente:reporting:{kind}:{':'.join(pair)}:{cause.id}"
    missions = [_summary(session, tenant, mission_id) for tenant, mission_id in ends]
    return OverlapAlert(
        id=alert_id(key, name),
        type=kind,
        time=cause.time,
        country=country,
        theme=theme,
        caused_by=cause.id,
        data={
            "pair": pair_id(key, pair),
            "country": country,
            "theme": theme,
            "period": period(window[0], window[1], missions),
            "missions": missions,
        },
    )


def period(start: date, end: date, missions: Sequence[dict[str, Any]]) -> dict[str, str] | None:
    """The days both missions share, or None when either is restricted.

    The shared days are bounded by each mission's dates: beside an open mission's
    dates they would give a restricted one's away, which is never detailed.
    """
    if any(shown["restricted"] for shown in missions):
        return None
    return {"start": start.isoformat(), "end": end.isoformat()}


def withholds(data: dict[str, Any]) -> bool:
    """Whether an alert names a restricted mission: its time and cause are then withheld.

    The cause is the event that changed the list, often the restricted mission's
    own: its record time is the ``detected_at`` the list hides, and its id is
    derived from the mission's id and version.
    """
    return any(shown.get("restricted") for shown in data.get("missions", ()))


def restricted_since(data: dict[str, Any], now_restricted: set[tuple[str, str]]) -> dict[str, Any]:
    """An alert's data as it may be shown now: missions restricted since, by directorate only.

    An alert keeps what was shown when it was raised; a mission corrected to
    restricted afterwards must not stay readable in it (its period goes too).
    """
    missions = data.get("missions", ())
    if not any(
        (shown["directorate"], shown.get("mission_id")) in now_restricted for shown in missions
    ):
        return data
    shown_now = [
        {"directorate": shown["directorate"], "restricted": True}
        if (shown["directorate"], shown.get("mission_id")) in now_restricted
        else shown
        for shown in missions
    ]
    return {**data, "period": None, "missions": shown_now}


def _summary(session: ReportingSession, tenant: str, mission_id: str) -> dict[str, Any]:
    """A mission as an alert shows it; a restricted one by its directorate only."""
    m = session.tables.missions
    row = (
        session.connection.execute(select(m).where(m.c.tenant == tenant, m.c.id == mission_id))
        .mappings()
        .one()
    )
    if row["classification"] == RESTRICTED:
        return {"directorate": tenant, "restricted": True}
    return {
        "directorate": tenant,
        "restricted": False,
        "mission_id": mission_id,
        "title": row["title"],
        "mission_type": row["mission_type"],
        "status": row["status"],
        "start_date": None if row["start_date"] is None else row["start_date"].isoformat(),
        "end_date": None if row["end_date"] is None else row["end_date"].isoformat(),
    }
