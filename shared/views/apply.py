"""Applies one log record to the views, exactly once, or stops.

The decision is made here, once for every handler:

- the record's tenant must be the topic's (a record in the wrong topic would
  leak one directorate's data into another's views);
- an event whose version is not above the row's stored version was applied
  already (a relay republishes after a crash): skip it;
- an event more than one version ahead means an earlier one is missing: stop;
- an event type without a handler: stop. Skipping it would let the tracking
  move past an event the views never reflected.

Rows are read from, and written to, the session's held rows (``working.py``):
the caller flushes them once per batch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from shared.log.ports import LogRecord
from shared.views.errors import (
    AggregateVersionGapError,
    TenantMismatchError,
    UnexpectedEventDataError,
    UnknownEventTypeError,
)
from shared.views.handlers import Handler
from shared.views.store import ViewSession


def prefetch(session: ViewSession, tenant: str, records: Sequence[LogRecord]) -> None:
    """Reads the rows of every record the batch's events touch, one query per table.

    Only a speed-up: ``apply_record`` reads a row it was not given on its own.
    """
    ids: dict[str, list[str]] = {}
    for record in records:
        event = record.event
        if event.tenant == tenant:
            ids.setdefault(event.aggregate_type, []).append(event.aggregate_id)
    tables = session.tables.record_tables
    for aggregate_type, wanted in ids.items():
        table = tables.get(aggregate_type)
        if table is not None:
            session.rows.load(table, wanted)


def apply_record(
    session: ViewSession,
    tenant: str,
    record: LogRecord,
    handlers: Mapping[str, Handler],
    version_gaps: bool = False,
) -> bool:
    """Applies ``record``; False when it was a duplicate and changed nothing.

    ``version_gaps``: versions may skip (the auditors' views as of a business time
    leave out the events dated after it, and a correction dated back may follow one).
    """
    event = record.event
    if event.tenant != tenant:
        raise TenantMismatchError(
            f"an event of tenant {event.tenant!r} in the log of {tenant!r}",
            record.topic,
            record.offset,
        )
    handler = handlers.get(event.type)
    table = session.tables.record_tables.get(event.aggregate_type)
    if handler is None or table is None:
        raise UnknownEventTypeError(
            f"no handler for event type {event.type!r}", record.topic, record.offset
        )
    stored = session.rows.record(table, event.aggregate_id)
    stored_version = 0 if stored is None else int(stored["version"])
    if event.version <= stored_version:
        return False
    if event.version != stored_version + 1 and not version_gaps:
        raise AggregateVersionGapError(
            f"{event.aggregate_type} {event.aggregate_id} is at version {stored_version} "
            f"in the views; the next event is version {event.version}",
            record.topic,
            record.offset,
        )
    try:
        handler(session, event)
    except (KeyError, ValueError, TypeError, ArithmeticError) as error:
        raise UnexpectedEventDataError(
            f"cannot read {event.type}: {error!r}", record.topic, record.offset
        ) from error
    return True
