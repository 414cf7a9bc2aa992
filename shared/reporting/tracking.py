"""How far the reporting area has consumed each partition of each tenant's topic.

Written in the same transaction as the rows (see ``projector.py``), so offsets
and rows never disagree. Each row also keeps the tenant, the ``position`` (the
event's notification id in its tenant's store) and the recorded time of the
last applied event: every answer states, per tenant, the position it
reflects — a consolidated figure is only meaningful with one date per source.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from shared.log.ports import LogRecord
from shared.reporting.store import ReportingSession
from shared.views.tracking import ViewPosition, record_offset


def advance(session: ReportingSession, tenant: str, records: Sequence[LogRecord]) -> None:
    """Moves the partition's offset to the last record (``record_offset``), the partition's
    row naming its tenant; the position only ever goes up."""
    record_offset(session, records, tenant=tenant)


def positions(session: ReportingSession, tenants: Sequence[str]) -> dict[str, ViewPosition]:
    """Per tenant, what the area reflects (position 0 before any of its events).

    Exact while a tenant topic has one partition (today's design); with
    several, a position is reached only once every partition has passed it,
    which needs a watermark from the relay, as the tenant views note too.
    """
    table = session.tables.tracking
    found = {tenant: ViewPosition(0, None) for tenant in tenants}
    rows = session.connection.execute(select(table.c.tenant, table.c.position, table.c.recorded_at))
    for row in rows:
        if row.tenant in found and row.position >= found[row.tenant].position:
            found[row.tenant] = ViewPosition(int(row.position), row.recorded_at)
    return found


def as_of(session: ReportingSession, tenants: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``positions`` as JSON: what every answer carries."""
    return {tenant: found.as_dict() for tenant, found in positions(session, tenants).items()}
