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
"""

from __future__ import annotations

from collections.abc import Mapping

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


def apply_record(
    session: ReportingSession,
    tenant: str,
    record: LogRecord,
    handlers: Mapping[str, Handler],
    alerts: OverlapAlerts,
) -> bool:
    """Applies ``record``; False when it changed nothing (a duplicate, or left out)."""
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
    stored = session.connection.execute(
        select(table.c.version).where(table.c.tenant == tenant, table.c.id == event.aggregate_id)
    ).scalar_one_or_none()
    stored_version = 0 if stored is None else int(stored)
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
    if event.aggregate_type == "mission" and event.event_name in OVERLAP_EVENTS:
        recheck(session, event, alerts)
    return True
