"""How far the reporting area has consumed each partition of each tenant's topic.

Written in the same transaction as the rows (see ``projector.py``), so offsets
and rows never disagree. Each row also keeps the tenant, the ``position`` (the
event's notification id in its tenant's store) and the recorded time of the
last applied event: every answer states, per tenant, the position it
reflects — a consolidated figure is only meaningful with one date per source.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from shared.log.ports import LogRecord
from shared.reporting.store import ReportingSession


@dataclass(frozen=True)
class TenantPosition:
    """The highest position applied from one tenant, and when that event was recorded."""

    position: int
    recorded_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        recorded = None if self.recorded_at is None else self.recorded_at.isoformat()
        return {"position": self.position, "recorded_at": recorded}


def tracked_offset(session: ReportingSession, topic: str, partition: int) -> int:
    """The offset of the last record consumed from the partition, or -1."""
    table = session.tables.tracking
    found = session.connection.execute(
        select(table.c.offset).where(table.c.topic == topic, table.c.partition == partition)
    ).scalar_one_or_none()
    return -1 if found is None else int(found)


def advance(session: ReportingSession, tenant: str, records: Sequence[LogRecord]) -> None:
    """Moves the partition's offset to the last record; the position only ever goes up.

    A republished event reaches the topic again at a later offset with its
    original, lower position: the offset moves on, the position stays.
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
            insert(table).values(
                topic=last.topic, partition=last.partition, tenant=tenant, **values
            )
        )
    else:
        connection.execute(update(table).where(*key).values(**values))


def positions(session: ReportingSession, tenants: Sequence[str]) -> dict[str, TenantPosition]:
    """Per tenant, what the area reflects (position 0 before any of its events).

    Exact while a tenant topic has one partition (today's design); with
    several, a position is reached only once every partition has passed it,
    which needs a watermark from the relay, as the tenant views note too.
    """
    table = session.tables.tracking
    found = {tenant: TenantPosition(0, None) for tenant in tenants}
    rows = session.connection.execute(select(table.c.tenant, table.c.position, table.c.recorded_at))
    for row in rows:
        if row.tenant in found and row.position >= found[row.tenant].position:
            found[row.tenant] = TenantPosition(int(row.position), row.recorded_at)
    return found


def as_of(session: ReportingSession, tenants: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``positions`` as JSON: what every answer carries."""
    return {tenant: found.as_dict() for tenant, found in positions(session, tenants).items()}
