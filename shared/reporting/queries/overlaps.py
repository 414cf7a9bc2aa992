"""The overlaps list and the alerts feed.

Overlaps are paged with a keyset cursor over their total order (start of the
overlap, then the pair's key), so pages never skip or repeat a pair while the
projector adds some. A restricted mission is shown by its directorate only:
no id, title, place or dates. The overlap's country and theme stay (they are
what is counted); its period does not when either mission is restricted: the
days two missions share are bounded by each one's dates, so beside an open
mission's dates they would give the restricted one's away.

Nor may what is hidden act on the list. A pair with a restricted mission
comes after every dated pair (sorted by the overlap's start, its place in the
list bracketed the hidden dates), a ``year`` filter does not select it, a
``type`` filter looks at its open mission alone, and its ``detected_at`` (the
time the restricted mission's event was recorded) is not shown. A cursor is
bound to the filters of its list, so it cannot probe another one.

The alerts feed pages on the alerts' sequence number (``after``): a consumer
without Kafka reads the alert events from here, in the order they were raised.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    RowMapping,
    Select,
    and_,
    case,
    func,
    literal,
    not_,
    or_,
    select,
    tuple_,
)

from shared.errors import ValidationError
from shared.reporting.cursors import cursor_key, opened, pair_id, seal
from shared.reporting.overlaps import pair_of, period, restricted_since, withholds
from shared.reporting.queries.common import RESTRICTED, Filters, answer, year_bounds
from shared.reporting.store import ReportingSession, ReportingStore
from shared.text import control_character

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000
#: Where a pair with a restricted mission sorts: after every dated pair.
HIDDEN_START = date(9999, 12, 31)
#: The total order of the list (the cursor carries these values of the last pair):
#: ``sort_start`` is the overlap's start, or ``HIDDEN_START`` (``_sort_start``).
ORDER = (
    "sort_start",
    "country",
    "theme",
    "first_tenant",
    "first_id",
    "second_tenant",
    "second_id",
)


def overlaps(
    store: ReportingStore,
    tenants: Sequence[str],
    filters: Filters,
    *,
    limit: int | None = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> dict[str, Any]:
    """One page of the overlaps the filters select, the next cursor and the total.

    ``limit=None`` answers every one of them in one snapshot (for exports).
    """
    filters = filters.checked(tenants)
    if limit is not None and not 1 <= limit <= MAX_LIMIT:
        raise ValidationError("limit", "range", f"limit must be 1 to {MAX_LIMIT}")
    list_name = _list_name(filters)
    with store.read() as session:
        o = session.tables.overlaps
        sort_start = _sort_start(session)
        statement = select(o, sort_start.label("sort_start")).where(*_conditions(session, filters))
        total = session.connection.execute(
            select(func.count()).select_from(statement.subquery())
        ).scalar_one()
        key = cursor_key(store, session)
        columns = [sort_start, *(o.c[n] for n in ORDER[1:])]
        if cursor is not None:  # an empty cursor names no pair: refused, not read as none
            after = _decode(key, list_name, cursor)
            statement = statement.where(tuple_(*columns) > tuple_(*after))
        ordered: Select[Any] = statement.order_by(*columns)
        if limit is not None:
            ordered = ordered.limit(limit + 1)
        rows = list(session.connection.execute(ordered).mappings())
        more = limit is not None and len(rows) > limit
        rows = rows[:limit]
        missions = _missions(session, rows)
        return answer(
            session,
            tenants,
            "overlaps",
            filters=filters.as_dict(),
            items=[present(key, row, missions) for row in rows],
            next_cursor=_encode(key, list_name, rows[-1]) if more else None,
            total=int(total),
        )


def _list_name(filters: Filters) -> str:
    """What a cursor is bound to: this list, with these filters."""
    chosen = filters.as_dict()
    return f"overlaps {json.dumps(chosen, sort_keys=True)}" if chosen else "overlaps"


def _hidden(session: ReportingSession) -> ColumnElement[bool]:
    """Either mission of the pair is restricted."""
    o, m = session.tables.overlaps, session.tables.missions

    def restricted(tenant: Any, mission_id: Any) -> ColumnElement[bool]:
        return (
            select(m.c.id)
            .where(m.c.tenant == tenant, m.c.id == mission_id, m.c.classification == RESTRICTED)
            .exists()
        )

    return or_(
        restricted(o.c.first_tenant, o.c.first_id), restricted(o.c.second_tenant, o.c.second_id)
    )


def _sort_start(session: ReportingSession) -> ColumnElement[Any]:
    """The overlap's start, or ``HIDDEN_START`` for a pair with a restricted mission."""
    hidden_start = literal(HIDDEN_START, Date)
    return case((_hidden(session), hidden_start), else_=session.tables.overlaps.c.overlap_start)


def _conditions(session: ReportingSession, filters: Filters) -> list[ColumnElement[bool]]:
    o, m = session.tables.overlaps, session.tables.missions
    served = filters.served  # both missions of a pair are of directorates served
    found: list[ColumnElement[bool]] = [
        o.c.first_tenant.in_(served),
        o.c.second_tenant.in_(served),
    ]
    if filters.country is not None:
        found.append(o.c.country == filters.country)
    if filters.theme is not None:
        found.append(o.c.theme == filters.theme)
    if filters.directorate is not None:
        found.append(
            or_(o.c.first_tenant == filters.directorate, o.c.second_tenant == filters.directorate)
        )
    if filters.year is not None:
        first, last = year_bounds(filters.year)
        period = and_(o.c.overlap_start <= last, o.c.overlap_end >= first)
        found.append(and_(period, not_(_hidden(session))))  # its period is not shown
    if filters.mission_type is not None:
        typed = select(m.c.id).where(
            m.c.mission_type == filters.mission_type, m.c.classification != RESTRICTED
        )
        first_typed = o.c.first_id.in_(typed.where(m.c.tenant == o.c.first_tenant))
        second_typed = o.c.second_id.in_(typed.where(m.c.tenant == o.c.second_tenant))
        found.append(or_(first_typed, second_typed))
    return found


def _missions(
    session: ReportingSession, rows: Sequence[RowMapping]
) -> dict[tuple[str, str], RowMapping]:
    """The missions of a page's pairs, by (tenant, id)."""
    wanted = {(r["first_tenant"], r["first_id"]) for r in rows}
    wanted |= {(r["second_tenant"], r["second_id"]) for r in rows}
    if not wanted:
        return {}
    m = session.tables.missions
    found = session.connection.execute(
        select(m).where(m.c.id.in_(sorted({mission_id for _, mission_id in wanted})))
    ).mappings()
    return {(r["tenant"], r["id"]): r for r in found if (r["tenant"], r["id"]) in wanted}


def present(
    key: bytes, row: RowMapping, missions: dict[tuple[str, str], RowMapping]
) -> dict[str, Any]:
    """One overlap as the API shows it."""
    ends = [(row["first_tenant"], row["first_id"]), (row["second_tenant"], row["second_id"])]
    shown = [mission(missions[end]) for end in ends]
    hidden = any(side["restricted"] for side in shown)
    return {
        "pair": pair_id(key, pair_of(row)),
        "country": row["country"],
        "theme": row["theme"],
        "period": period(row["overlap_start"], row["overlap_end"], shown),
        # When the restricted mission's event was recorded: not shown either.
        "detected_at": None if hidden else row["detected_at"].isoformat(),
        "missions": shown,
    }


def mission(row: RowMapping) -> dict[str, Any]:
    """A mission of an overlap; a restricted one by its directorate only."""
    if row["classification"] == RESTRICTED:
        return {"directorate": row["tenant"], "restricted": True}
    return {
        "directorate": row["tenant"],
        "restricted": False,
        "mission_id": row["id"],
        "title": row["title"],
        "mission_type": row["mission_type"],
        "status": row["status"],
        "place": row["place"],
        "start_date": row["start_date"].isoformat(),
        "end_date": row["end_date"].isoformat(),
    }


def _encode(key: bytes, list_name: str, row: RowMapping) -> str:
    """The sealed cursor after ``row`` (``shared.reporting.cursors``: it names mission ids)."""
    values = [_day(row[name]) if name == "sort_start" else row[name] for name in ORDER]
    return seal(key, list_name, values)


def _day(value: date | str) -> str:
    """A date as ISO text (SQLite may hand a computed date back as text already)."""
    return value if isinstance(value, str) else value.isoformat()


def _decode(key: bytes, list_name: str, cursor: str) -> list[Any]:
    values = opened(key, list_name, cursor)
    try:
        start, *rest = values
        if len(rest) != len(ORDER) - 1:
            raise ValueError(rest)
        if not all(isinstance(value, str) and not control_character(value) for value in rest):
            raise ValueError(rest)  # PostgreSQL cannot compare U+0000
        return [date.fromisoformat(start), *rest]
    except (ValueError, TypeError):
        raise ValidationError(
            "cursor", "invalid-cursor", "this cursor does not belong to this list"
        ) from None


#: The largest alert sequence number the ``alerts`` table can hold (an ``Integer`` column).
LARGEST_SEQ = 2**31 - 1


def alerts(
    store: ReportingStore, tenants: Sequence[str], *, after: int = 0, limit: int = DEFAULT_LIMIT
) -> dict[str, Any]:
    """The alert events raised after sequence number ``after``, oldest first."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError("limit", "range", f"limit must be 1 to {MAX_LIMIT}")
    with store.read() as session:
        a = session.tables.alerts
        # ``seq`` is a 32-bit column: PostgreSQL refuses a larger number (a 500, once)
        # where no row can be anyway, so such a cursor reads the same empty page.
        bounded = min(after, LARGEST_SEQ)
        statement = select(a).where(a.c.seq > bounded).order_by(a.c.seq).limit(limit)
        rows = list(session.connection.execute(statement).mappings())
        if not rows and after > 0:
            _not_beyond_the_last(session, after)
        now_restricted = _restricted_now(session, rows)
        items = []
        for row in rows:
            data = restricted_since(row["data"], now_restricted)
            withheld = withholds(data)
            items.append(
                {
                    "seq": row["seq"],
                    "id": row["id"],
                    "type": row["type"],
                    "source": "/entente/reporting",
                    "time": None if withheld else row["time"].isoformat(),
                    "caused_by": None if withheld else row["caused_by"],
                    "data": data,
                }
            )
        last = items[-1]["seq"] if items else after
        return answer(session, tenants, "alerts", items=items, next_after=last)


def _not_beyond_the_last(session: ReportingSession, after: int) -> None:
    """Refuses a cursor past the last alert: no page gave it (a typo, or the feed of
    another installation, or one rebuilt since). It read an empty page with
    ``next_after`` = the cursor, so the subscriber silently skipped every alert
    raised until the feed caught up with it."""
    a = session.tables.alerts
    last = session.connection.execute(select(func.max(a.c.seq))).scalar_one() or 0
    if after > last:
        raise ValidationError(
            "after",
            "beyond-last",
            f"after ({after}) is beyond the last alert ({last}): no page gave it; "
            f"start again from {last}",
        )


def _restricted_now(session: ReportingSession, rows: Sequence[RowMapping]) -> set[tuple[str, str]]:
    """The missions an alert of ``rows`` shows in full that are restricted now."""
    shown = {
        (mission["directorate"], mission["mission_id"])
        for row in rows
        for mission in row["data"].get("missions", ())
        if not mission.get("restricted")
    }
    if not shown:
        return set()
    m = session.tables.missions
    statement = select(m.c.tenant, m.c.id).where(
        m.c.classification == RESTRICTED, m.c.id.in_(sorted({i for _, i in shown}))
    )
    return {(str(t), str(i)) for t, i in session.connection.execute(statement) if (t, i) in shown}
