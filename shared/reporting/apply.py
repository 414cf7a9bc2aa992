"""Applies one log record to the reporting area, exactly once, or stops.

The same decisions as the tenant views (``shared.views.apply``), made once for
every handler, with the same errors so operators read one vocabulary:

- the record's tenant must be the topic's (``TenantMismatchError``);
- events of delegations and posts are read and knowingly left out;
- an event whose version is not above the stored row's was applied already (a
  relay republished it): skipped;
- an event more than one version ahead means one is missing: stop
  (``AggregateVersionGapError``);
- a type no handler knows: stop (``UnknownEventTypeError``), never skip, or
  the tracking would pass an event the figures do not reflect.

After a mission event that can change its overlaps, they are re-checked in the
same transaction (``overlaps.recheck``, see ``OVERLAP_EVENTS`` there).

A batch reads its records' stored versions in one query per table first
(``stored_versions``) and keeps them up to date as it applies: the projector
writes row by row, one round trip per statement, and that check was one of
them for every event. Only the batch's own events change a version, under the
area's lock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import select

from shared.log.ports import LogRecord
from shared.reporting.handlers import IGNORED_AGGREGATES, Handler
from shared.reporting.overlaps import OVERLAP_EVENTS, OverlapAlerts, recheck
from shared.reporting.store import ReportingSession
from shared.views.errors import (
    AggregateVersionGapError,
    TenantMismatchError,
    UnexpectedEventDataError,
    UnknownEventTypeError,
)
from shared.views.working import rows_among

#: The stored version of each (aggregate type, record id) a batch touches.
Versions = dict[tuple[str, str], int]


def stored_versions(
    session: ReportingSession, tenant: str, records: Sequence[LogRecord]
) -> Versions:
    """The stored version of every record ``records`` name (0: no row yet), per table."""
    wanted: dict[str, set[str]] = {}
    for record in records:
        event = record.event
        if event.aggregate_type in session.tables.record_tables:
            wanted.setdefault(event.aggregate_type, set()).add(event.aggregate_id)
    versions: Versions = {}
    for kind, ids in wanted.items():
        table, found = session.tables.record_tables[kind], sorted(ids)
        # Planned with its ids: prepared, its plan read every row (0.4 s at 30,000).
        statement = select(table.c.id, table.c.version).where(table.c.tenant == tenant)
        for row in rows_among(session.connection, statement, table.c.id, found):
            versions[(kind, row["id"])] = int(row["version"])
        versions.update({(kind, id_): 0 for id_ in found if (kind, id_) not in versions})
    return versions


def apply_record(
    session: ReportingSession,
    tenant: str,
    record: LogRecord,
    handlers: Mapping[str, Handler],
    alerts: OverlapAlerts,
    versions: Versions,
) -> bool:
    """Applies ``record``; False when it changed nothing (a duplicate, or left out).

    ``versions``: the batch's ``stored_versions``, read once and kept up to date here.
    """
    event = record.event
    if event.tenant != tenant:
        raise TenantMismatchError(
            f"an event of tenant {event.tenant!r} in the log of {tenant!r}",
            record.topic,
            record.offset,
        )
    if event.aggregate_type in IGNORED_AGGREGATES:
        return False
    handler = handlers.get(event.type)
    table = session.tables.record_tables.get(event.aggregate_type)
    if handler is None or table is None:
        raise UnknownEventTypeError(
            f"reporting has no handler for event type {event.type!r}", record.topic, record.offset
        )
    key = (event.aggregate_type, event.aggregate_id)
    stored_version = versions[key]  # every record table's id of the batch is there
    if event.version <= stored_version:
        return False
    if event.version != stored_version + 1:
        raise AggregateVersionGapError(
            f"{tenant} {event.aggregate_type} {event.aggregate_id} is at version "
            f"{stored_version} in reporting; the next event is version {event.version}",
            record.topic,
            record.offset,
        )
    try:
        handler(session, event)
    except (KeyError, ValueError, TypeError, ArithmeticError) as error:
        raise UnexpectedEventDataError(
            f"reporting cannot read {event.type}: {error!r}", record.topic, record.offset
        ) from error
    versions[key] = event.version
    if event.aggregate_type == "mission" and event.event_name in OVERLAP_EVENTS:
        recheck(session, event, alerts)
    return True
