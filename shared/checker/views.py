"""The views against the store, and against a clean rebuild made from the store.

The rebuild projects the stored events (read once, in notification order)
into a throw-away SQLite view store with the same projector and handlers as
production; the live views must hold the same rows, table by table, apart
from the tracking table (Kafka offsets are not notification ids).

Every record row carries its version, so each difference is attributed to a
record: below the stored version, the missing events were not applied; above
it, or unknown to the store, the row is *ahead*; at the stored version but
with other contents (its row or its child rows: countries, terms, coverage),
the record *diverged*, which is what an event applied twice leaves.
"""

from __future__ import annotations

import tempfile
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from shared.checker.report import ViewFindings, first_examples
from shared.events.envelope import EventEnvelope
from shared.log.ports import LogRecord, topic_for
from shared.views.projector import Projector
from shared.views.rebuild import view_contents
from shared.views.sqlite import SqliteViewStore
from shared.views.store import ViewStore

#: Rows per table, in primary-key order.
Contents = dict[str, list[dict[str, Any]]]


class StoredLog:
    """The stored events as a one-partition ``EventLog`` (offset = notification id)."""

    def __init__(self, tenant: str, events: Sequence[EventEnvelope]) -> None:
        self._topic = topic_for(tenant)
        self._events = list(events)
        self._offsets = [event.position for event in self._events]

    def topics(self) -> list[str]:
        return [self._topic]

    def partitions(self, topic: str) -> list[int]:
        return [0]

    def read(self, topic: str, partition: int, after: int, limit: int) -> list[LogRecord]:
        start = bisect_right(self._offsets, after)
        return [
            LogRecord(topic, partition, e.position, e.aggregate_id, e)
            for e in self._events[start : start + limit]
        ]

    def end_offset(self, topic: str, partition: int) -> int:
        return self._offsets[-1] if self._offsets else -1


def rebuilt_contents(tenant: str, events: Sequence[EventEnvelope]) -> Contents:
    """The views a fresh projector builds from ``events``, without their tracking rows."""
    with tempfile.TemporaryDirectory(prefix="entente-check-") as directory:
        store = SqliteViewStore(Path(directory), [tenant])
        try:
            # No schema check: the store's events are what the views must show; one
            # the live projector parked shows up as not applied, by its version.
            Projector(store, StoredLog(tenant, events), [tenant], schema_check=None).catch_up()
            with store.read(tenant) as session:
                return _without_tracking(view_contents(session), session.tables.tracking.name)
        finally:
            store.dispose()


def _without_tracking(contents: Contents, tracking: str) -> Contents:
    return {name: rows for name, rows in contents.items() if name != tracking}


def examine_views(
    events: Sequence[EventEnvelope], live: Contents, rebuilt: Contents, record_tables: set[str]
) -> ViewFindings:
    """Attributes each difference between ``live`` and ``rebuilt`` to a record."""
    stored = _stored_versions(events)
    shown, unreadable = _versions(live, record_tables)
    changed = _changed_records(live, rebuilt)
    not_applied = frozenset(
        (record, version)
        for record, last in stored.items()
        if record not in unreadable
        for version in range(shown.get(record, 0) + 1, last + 1)
    )
    ahead = sorted(r for r, v in shown.items() if v > stored.get(r, 0))
    diverged = sorted(r for r in changed if r in stored and shown.get(r) == stored[r])
    examples = [f"unreadable: {r} shows the version {v!r}" for r, v in sorted(unreadable.items())]
    examples += [f"not applied: {r} v{v}" for r, v in sorted(not_applied)]
    examples += [f"ahead: {r} at v{shown[r]}, stored v{stored.get(r, 0)}" for r in ahead]
    examples += [f"diverged: {r} at v{shown[r]} differs from a clean rebuild" for r in diverged]
    return ViewFindings(
        records=len(shown),
        not_applied=not_applied,
        diverged=len(diverged),
        ahead=len(ahead),
        unreadable=len(unreadable),
        equal_to_rebuild=live == rebuilt,
        examples=first_examples(examples),
    )


def _stored_versions(events: Sequence[EventEnvelope]) -> dict[str, int]:
    last: dict[str, int] = {}
    for event in events:
        last[event.aggregate_id] = max(event.version, last.get(event.aggregate_id, 0))
    return last


def _versions(
    contents: Contents, record_tables: set[str]
) -> tuple[dict[str, int], dict[str, object]]:
    """Record id → the version its row shows; and the rows whose version is no number.

    Why the second: SQLite keeps any value in an integer column, so a view row edited
    by hand can show the version ``'seven'``; the check reports it (the record's row is
    unreadable) where it stopped on a traceback.
    """
    shown: dict[str, int] = {}
    unreadable: dict[str, object] = {}
    for name in record_tables:
        for row in contents.get(name, []):
            version = row["version"]
            if isinstance(version, int) and not isinstance(version, bool):
                shown[str(row["id"])] = version
            else:
                unreadable[str(row["id"])] = version
    return shown, unreadable


def _changed_records(live: Contents, rebuilt: Contents) -> set[str]:
    """Ids of the records whose rows differ, in any table (child rows: by their first key)."""
    changed: set[str] = set()
    for name in live.keys() | rebuilt.keys():
        mine, theirs = _by_owner(live.get(name, [])), _by_owner(rebuilt.get(name, []))
        changed.update(o for o in mine.keys() | theirs.keys() if mine.get(o) != theirs.get(o))
    return changed


def _by_owner(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Rows grouped by the record they belong to: ``id``, or the first column (the owner key)."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        owner = row["id"] if "id" in row else next(iter(row.values()))
        grouped[str(owner)].append(row)
    return grouped


def check_views(views: ViewStore, tenant: str, events: Sequence[EventEnvelope]) -> ViewFindings:
    """The live views of ``tenant`` checked against the stored ``events``."""
    rebuilt = rebuilt_contents(tenant, events)
    with views.read(tenant) as session:
        record_tables = {table.name for table in session.tables.record_tables.values()}
        live = _without_tracking(view_contents(session), session.tables.tracking.name)
    return examine_views(events, live, rebuilt, record_tables)
