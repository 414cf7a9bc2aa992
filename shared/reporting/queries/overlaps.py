"""The overlaps list and the alerts feed.

Overlaps are paged with a keyset cursor over their total order (start of the
overlap, then the pair's key), so pages never skip or repeat a pair while the
projector adds some. A restricted mission is shown by its directorate only:
no id, title, place or dates. The overlap's country and theme stay (they are
what is counted); its period does not when either mission is restricted: the
days two missions share are bounded by each one's dates, so beside an open
mission's dates they would give the restricted one's away.

The alerts feed pages on the alerts' sequence number (``after``): a consumer
without Kafka reads the alert events from here, in the order they were raised.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, RowMapping, Select, and_, func, or_, select, tuple_

from shared.errors import ValidationError
from shared.reporting.cursors import cursor_key, opened, seal
from shared.reporting.overlaps import period
from shared.reporting.queries.common import RESTRICTED, Filters, answer, year_bounds
from shared.reporting.store import ReportingSession, ReportingStore
from shared.text import control_character

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000
#: The total order of the list (the cursor carries these values of the last pair).
ORDER = (
    "overlap_start",
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
    with store.read() as session:
        o = session.tables.overlaps
        statement = select(o).where(*_conditions(session, filters))
        total = session.connection.execute(
            select(func.count()).select_from(statement.subquery())
        ).scalar_one()
        key = cursor_key(store, session)
        if cursor:
            after = _decode(key, cursor)
            statement = statement.where(tuple_(*(o.c[n] for n in ORDER)) > tuple_(*after))
        ordered: Select[Any] = statement.order_by(*(o.c[n] for n in ORDER))
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
            items=[present(row, missions) for row in rows],
            next_cursor=_encode(key, rows[-1]) if more else None,
            total=int(total),
        )


def _conditions(session: ReportingSession, filters: Filters) -> list[ColumnElement[bool]]:
    o, m = session.tables.overlaps, session.tables.missions
    found: list[ColumnElement[bool]] = []
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
        found.append(and_(o.c.overlap_start <= last, o.c.overlap_end >= first))
    if filters.mission_type is not None:
        typed = select(m.c.id).where(m.c.mission_type == filters.mission_type)
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


def present(row: RowMapping, missions: dict[tuple[str, str], RowMapping]) -> dict[str, Any]:
    """One overlap as the API shows it."""
    ends = [(row["first_tenant"], row["first_id"]), (row["second_tenant"], row["second_id"])]
    shown = [mission(missions[end]) for end in ends]
    return {
        "country": row["country"],
        "theme": row["theme"],
        "period": period(row["overlap_start"], row["overlap_end"], shown),
        "detected_at": row["detected_at"].isoformat(),
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


def _encode(key: bytes, row: RowMapping) -> str:
    """The sealed cursor after ``row`` (``shared.reporting.cursors``: it names mission ids)."""
    values = [row[name].isoformat() if name == "overlap_start" else row[name] for name in ORDER]
    return seal(key, "overlaps", values)


def _decode(key: bytes, cursor: str) -> list[Any]:
    values = opened(key, "overlaps", cursor)
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
        items = [
            {
                "seq": row["seq"],
                "id": row["id"],
                "type": row["type"],
                "source": "/entente/reporting",
                "time": row["time"].isoformat(),
                "caused_by": row["caused_by"],
                "data": row["data"],
            }
            for row in rows
        ]
        last = items[-1]["seq"] if items else after
        return answer(session, tenants, "alerts", items=items, next_after=last)
