"""The tracking rows: how far the views have consumed each partition of the log.

Written in the same transaction as the view rows (see projector.py), so the
offset and the rows can never disagree. Each row also keeps the ``position``
(the event's notification id in its tenant's store, what a command answers)
and the recorded time of the last applied event: that is what the views
*reflect*, what queries report as ``as_of`` and what read-your-writes waits
for. Kafka offsets and notification ids differ, so both are kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection, Table, insert, select, update

from shared.log.ports import LogRecord
from shared.views.notifications import announce
from shared.views.store import ViewSession


@dataclass(frozen=True)
class ViewPosition:
    """The log position a view reflects, and when its last event was recorded."""

    position: int
    recorded_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        recorded = None if self.recorded_at is None else self.recorded_at.isoformat()
        return {"position": self.position, "recorded_at": recorded}


class _TrackingTables(Protocol):
    @property
    def tracking(self) -> Table: ...


class TrackingSession(Protocol):
    """A transaction on an area with a tracking table (tenant views, reporting)."""

    @property
    def connection(self) -> Connection: ...

    @property
    def tables(self) -> _TrackingTables: ...


def tracked_offset(session: TrackingSession, topic: str, partition: int) -> int:
    """The offset of the last record applied from the partition, or -1."""
    table = session.tables.tracking
    found = session.connection.execute(
        select(table.c.offset).where(table.c.topic == topic, table.c.partition == partition)
    ).scalar_one_or_none()
    return -1 if found is None else int(found)


def tracked_offsets(session: TrackingSession) -> dict[tuple[str, int], int]:
    """Every partition's tracked offset, by (topic, partition)."""
    table = session.tables.tracking
    rows = session.connection.execute(select(table.c.topic, table.c.partition, table.c.offset))
    return {(row.topic, int(row.partition)): int(row.offset) for row in rows}


def advance(session: ViewSession, records: Sequence[LogRecord]) -> None:
    """``record_offset``, then tells readers waiting on the views (NOTIFY at commit)."""
    record_offset(session, records)
    announce(session.connection, session.tables.tracking.schema)


def record_offset(session: TrackingSession, records: Sequence[LogRecord], **first_row: Any) -> None:
    """Moves the partition's offset to the last of ``records`` (positions only go up).

    A republished event can reach a topic again at a later offset with its
    original, lower position: the offset moves on, the position stays.
    ``first_row``: more columns of the partition's row, written when it is created.
    """
    last = records[-1]
    newest = max(records, key=lambda record: record.event.position).event
    table, connection = session.tables.tracking, session.connection
    key = (table.c.topic == last.topic, table.c.partition == last.partition)
    seen = connection.execute(select(table.c.position).where(*key)).scalar_one_or_none()
    values: dict[str, Any] = {"offset": last.offset}
    if seen is None or newest.position > seen:
        values.update(position=newest.position, recorded_at=newest.time)
    if seen is None:
        connection.execute(
            insert(table).values(topic=last.topic, partition=last.partition, **first_row, **values)
        )
    else:
        connection.execute(update(table).where(*key).values(**values))


def view_position(session: ViewSession) -> ViewPosition:
    """What the views reflect: the highest position applied (0 before any event).

    Exact while a tenant's topic has one partition (the design today); with
    several, a position is only reached once every partition has passed it,
    which needs the relay to publish a watermark — left for that day.
    """
    table = session.tables.tracking
    row = session.connection.execute(
        select(table.c.position, table.c.recorded_at).order_by(table.c.position.desc()).limit(1)
    ).first()
    if row is None:
        return ViewPosition(0, None)
    return ViewPosition(int(row.position), row.recorded_at)
