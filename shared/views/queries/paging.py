"""Cursor pagination: pages that never skip or repeat a row, even as rows arrive.

Pages are keyset pages: each list has a total order (its sort key, then the
record id, which is unique), and the cursor carries the last row's key and id,
so the next page starts strictly after that row whatever was inserted before
it. Offsets would shift under inserts. The cursor is base64url JSON, opaque to
clients, and names its list so a cursor of one list is refused by another.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import Column, ColumnElement, Select, and_, func, or_, select

from shared.errors import ValidationError
from shared.text import control_character, lone_surrogate
from shared.views.queries.present import Row
from shared.views.store import ViewSession
from shared.views.tracking import ViewPosition

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass(frozen=True)
class Page:
    """One page of a list, the cursor of the next (None on the last) and the view's position."""

    items: list[dict[str, Any]]
    next_cursor: str | None
    total: int
    as_of: ViewPosition

    def as_dict(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "next_cursor": self.next_cursor,
            "total": self.total,
            "position": self.as_of.position,
            "as_of": self.as_of.as_dict(),
        }


@dataclass(frozen=True)
class Ordering:
    """A list's total order: one sort key (a date, or text), then the id (ascending)."""

    name: str
    key: Column[Any]
    id: Column[Any]
    descending: bool
    #: The key is text (a name), compared as the database collates it; else a date.
    text_key: bool = False

    def sorted(self, statement: Select[Any]) -> Select[Any]:
        return statement.order_by(self.key.desc() if self.descending else self.key.asc(), self.id)

    def after(self, cursor: str) -> ColumnElement[bool]:
        """Rows strictly after the cursor's row in this order."""
        key, row_id = self._decode(cursor)
        beyond = self.key < key if self.descending else self.key > key
        return or_(beyond, and_(self.key == key, self.id > row_id))

    def cursor(self, key: date | str, row_id: str) -> str:
        spelled = key if isinstance(key, str) else key.isoformat()
        raw = json.dumps([self.name, spelled, row_id]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def _decode(self, cursor: str) -> tuple[date | str, str]:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            name, key, row_id = json.loads(raw)
            if name != self.name or not isinstance(row_id, str) or not isinstance(key, str):
                raise ValueError(name)
            if control_character(key) or lone_surrogate(key):
                raise ValueError(key)  # made by hand: U+0000, or text no database can encode
            if str(UUID(row_id)) != row_id:
                raise ValueError(row_id)  # every list's rows are records, named by their uuid
            return (key if self.text_key else date.fromisoformat(key)), row_id
        except (ValueError, TypeError, binascii.Error, RecursionError):
            # RecursionError: JSON nested thousands deep, made by hand (it was a 500).
            raise ValidationError(
                "cursor", "invalid-cursor", "this cursor does not belong to this list"
            ) from None


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError("limit", "range", f"limit must be 1 to {MAX_LIMIT}")
    return limit


def page(
    session: ViewSession,
    statement: Select[Any],
    ordering: Ordering,
    *,
    limit: int,
    cursor: str | None,
    present: Callable[[Row], dict[str, Any]],
) -> Page:
    """Runs a filtered ``statement`` (selecting whole rows) as one page of ``ordering``.

    One statement: the page's rows, each with the count of every matching row
    and the view's position beside it (uncorrelated subqueries, evaluated once),
    consistent with each other because a statement sees one snapshot; a page
    read is one round trip. An empty page asks for the count and position alone.
    """
    check_limit(limit)
    tracking = session.tables.tracking
    newest = select(tracking.c.position, tracking.c.recorded_at).order_by(
        tracking.c.position.desc()
    )
    facts = (
        statement.with_only_columns(func.count(), maintain_column_froms=True)
        .scalar_subquery()
        .label(_TOTAL),
        newest.with_only_columns(tracking.c.position).limit(1).scalar_subquery().label(_POSITION),
        newest.with_only_columns(tracking.c.recorded_at)
        .limit(1)
        .scalar_subquery()
        .label(_RECORDED_AT),
    )
    if cursor is not None:  # an empty cursor names no row: refused, not read as none
        statement = statement.where(ordering.after(cursor))
    names = [column.name for column in statement.selected_columns]
    found = list(
        session.connection.execute(
            ordering.sorted(statement).limit(limit + 1).add_columns(*facts)
        ).mappings()
    )
    first = found[0] if found else session.connection.execute(select(*facts)).mappings().one()
    as_of = (
        ViewPosition(0, None)
        if first[_POSITION] is None
        else ViewPosition(int(first[_POSITION]), first[_RECORDED_AT])
    )
    items = [{name: row[name] for name in names} for row in found]
    more, items = len(items) > limit, items[:limit]
    last = items[-1] if more else None
    next_cursor = (
        None if last is None else ordering.cursor(last[ordering.key.name], last[ordering.id.name])
    )
    return Page([present(item) for item in items], next_cursor, int(first[_TOTAL]), as_of)


#: The labels of the count and position columns beside a page's rows (no view column starts
#: with an underscore).
_TOTAL, _POSITION, _RECORDED_AT = "_page_total", "_views_position", "_views_recorded_at"
