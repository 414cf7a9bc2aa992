"""A tenant's views as of a past recorded time or business time: the log replayed up to it.

Auditors read any record as of a past time (``history.state_as_of``); the views
(register, board, calendar, posts, country file, annual report) only as they
are now. Here the tenant's event store is replayed, by the very ``Projector``
that fills the live views, into scratch SQLite views of its own, keeping only
the events recorded at or before ``at`` (their CloudEvents ``time``), and the
views' own queries read them with ``at``'s day as today: an agreement then in
force, a request then waiting, the figures the report then gave.

As of a business time (``replay_business``), what we now know was true then:
each record's events dated at or before ``at`` (their business time), in
version order, whenever they were recorded, as a record's own read as of a
business time applies them (``history.state_as_of``). A correction dated back
may follow an event dated after ``at``, so versions may skip: the projector is
told so (``version_gaps``). A record whose events dated before ``at`` cannot
be applied without the ones left out (the record read answers 409 for it) is
left out of the views, and named in ``left_out``, never silently missing.

A replay costs one pass over the store (seconds for thousands of events,
minutes for a million), so the last few are kept (``AsOfViews``), each for the
store's position it was built at: an event recorded since (a command in flight
at ``at`` may be stored just after it) makes a new replay. The scratch files
live in a temporary folder of their own and are removed when evicted or closed.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar
from uuid import UUID

from eventsourcing.domain import EventSourcingError

from shared.application.ledger import CooperationLedger
from shared.audit.errors import (
    NotExistingYetError,
    ReplaysQueuedError,
    UnreplayableHistoryError,
)
from shared.audit.history import state_as_of
from shared.errors import AlteredHistoryError
from shared.log.embedded import EmbeddedEventLog
from shared.log.ports import EventLog, LogRecord
from shared.views.errors import ProjectionError
from shared.views.projector import Projector
from shared.views.sqlite import SqliteViewStore
from shared.views.store import ViewStore

T = TypeVar("T")

#: Replays kept at once (each a small SQLite file per tenant).
KEPT = 4
#: Reads that may wait for the one running (each holds a worker thread meanwhile).
QUEUED = 4
#: Which time a replay stops at.
Axis = Literal["recorded", "business"]
#: Envelopes read per page by the business-time replay's first pass.
SCAN_PAGE = 5000


class RecordedUntil:
    """The log without the events recorded after ``at``.

    Reads skip them rather than stop at the first: recorded times follow the
    commands' arrival, and two commands stored close together can be stored in
    the other order. A record's versions are recorded in order, so skipping never
    leaves a version gap.
    """

    def __init__(self, log: EventLog, at: datetime) -> None:
        self.log, self.at = log, at

    def topics(self) -> list[str]:
        return self.log.topics()

    def partitions(self, topic: str) -> list[int]:
        return self.log.partitions(topic)

    def read(self, topic: str, partition: int, after: int, limit: int) -> list[LogRecord]:
        while page := self.log.read(topic, partition, after, limit):
            kept = [record for record in page if record.event.time <= self.at]
            if kept:
                return kept
            after = page[-1].offset
        return []

    def end_offset(self, topic: str, partition: int) -> int:
        return self.log.end_offset(topic, partition)


class BusinessUntil(RecordedUntil):
    """The log without the events whose business time is after ``at``, nor the events
    of the records ``left_out``."""

    def __init__(self, log: EventLog, at: datetime, left_out: set[str]) -> None:
        super().__init__(log, at)
        self.left_out = left_out

    def read(self, topic: str, partition: int, after: int, limit: int) -> list[LogRecord]:
        while page := self.log.read(topic, partition, after, limit):
            kept = [record for record in page if self._kept(record)]
            if kept:
                return kept
            after = page[-1].offset
        return []

    def _kept(self, record: LogRecord) -> bool:
        event = record.event
        return event.business_time <= self.at and event.aggregate_id not in self.left_out


@dataclass(frozen=True)
class ViewsAsOf:
    """Scratch views of one tenant as of ``at``; ``today`` is ``at``'s day in UTC.

    ``left_out``: the records left out of views as of a business time, each with
    its kind and why (none as of a recorded time).
    """

    tenant: str
    at: datetime
    store: ViewStore
    events: int
    left_out: tuple[dict[str, Any], ...] = field(default=())

    @property
    def today(self) -> date:
        return self.at.astimezone(UTC).date()


def replay_until(
    ledger: CooperationLedger, at: datetime, directory: Path, page_size: int = 1000
) -> ViewsAsOf:
    """The tenant's views as of recorded time ``at``, built in ``directory``."""
    tenant = ledger.tenant
    store = SqliteViewStore(directory, [tenant])
    store.setup()
    log = RecordedUntil(EmbeddedEventLog({tenant: ledger}), at)
    # No dead letters: an event left out of the views would be a view the store never gave.
    projector = Projector(store, log, [tenant], page_size=page_size, dead_letters=None)
    try:
        events = projector.catch_up()
    except (ProjectionError, EventSourcingError) as error:  # a 500 naming it, as for a record
        store.dispose()
        why = error.detail if isinstance(error, ProjectionError) else f"{type(error).__name__}"
        raise AlteredHistoryError(
            f"the history of {tenant!r} cannot be replayed up to {at.isoformat()}: {why} "
            "(an event the store no longer holds as recorded); `entente audit verify` names "
            "missing and altered events"
        ) from None
    return ViewsAsOf(tenant, at, store, events)


def replay_business(
    ledger: CooperationLedger, at: datetime, directory: Path, page_size: int = 1000
) -> ViewsAsOf:
    """The tenant's views as of business time ``at``, built in ``directory``.

    A first pass reads each record's versions and business times. A record whose
    versions dated at or before ``at`` are its first ones (a prefix of its history)
    is always replayable; the others (a correction dated back, an amendment dated
    before a suspension) are rebuilt by the domain first, as the record read does,
    and left out if it cannot apply them. Should the views still fail on one, it is
    left out too and the replay starts again.
    """
    tenant = ledger.tenant
    versions, kinds, owners = _business_versions(ledger, at)
    left_out: dict[str, dict[str, Any]] = {}
    checked: set[str] = set()
    for record_id, dated in versions.items():
        if dated == list(range(1, len(dated) + 1)):
            continue
        checked.add(record_id)
        try:
            state_as_of(ledger, UUID(record_id), at, "business")
        except (UnreplayableHistoryError, NotExistingYetError) as error:
            # Not existing yet: its first event is dated after ``at``, a later one before.
            left_out[record_id] = {"id": record_id, "type": kinds[record_id], "why": error.detail}
    attempt = 0
    while True:
        attempt += 1
        store = SqliteViewStore(directory / str(attempt), [tenant])
        store.setup()
        log = BusinessUntil(EmbeddedEventLog({tenant: ledger}), at, set(left_out))
        projector = Projector(
            store, log, [tenant], page_size=page_size, dead_letters=None, version_gaps=True
        )
        try:
            events = projector.catch_up()
        except (ProjectionError, EventSourcingError) as error:
            store.dispose()
            why = error.detail if isinstance(error, ProjectionError) else type(error).__name__
            owner = owners.get(error.offset) if isinstance(error, ProjectionError) else None
            if owner is not None and owner in checked and owner not in left_out:
                left_out[owner] = {"id": owner, "type": kinds[owner], "why": why}  # views could not
                continue
            raise AlteredHistoryError(
                f"the history of {tenant!r} cannot be replayed as of business time "
                f"{at.isoformat()}: {why} (an event the store no longer holds as recorded); "
                "`entente audit verify` names missing and altered events"
            ) from None
        shown = tuple(left_out[record_id] for record_id in sorted(left_out))
        return ViewsAsOf(tenant, at, store, events, shown)


def _business_versions(
    ledger: CooperationLedger, at: datetime
) -> tuple[dict[str, list[int]], dict[str, str], dict[int, str]]:
    """Each record's versions dated at or before ``at`` (records with none are absent),
    each record's kind, and the record of each log position (where a replay stops)."""
    versions: dict[str, list[int]] = {}
    kinds: dict[str, str] = {}
    owners: dict[int, str] = {}
    after = 0
    while page := ledger.read_log(after, SCAN_PAGE):
        for position, event in page:
            owners[position] = event.aggregate_id
            if event.business_time <= at:
                versions.setdefault(event.aggregate_id, []).append(event.version)
                kinds[event.aggregate_id] = event.aggregate_type
        after = page[-1][0]
    return versions, kinds, owners


class AsOfViews:
    """The last ``KEPT`` replays, by (tenant, axis, at, store position); one built at a time."""

    def __init__(self, kept: int = KEPT, queued: int = QUEUED) -> None:
        self._kept = kept
        self._queued = queued
        self._waiting = 0
        self._counting = threading.Lock()
        self._root: Path | None = None  # made on the first replay
        self._replays: OrderedDict[tuple[str, Axis, datetime, int], tuple[ViewsAsOf, Path]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()
        self._built = 0

    def read(
        self,
        ledger: CooperationLedger,
        at: datetime,
        query: Callable[[ViewsAsOf], T],
        replay: Callable[[CooperationLedger, datetime, Path], ViewsAsOf] = replay_until,
        axis: Axis = "recorded",
    ) -> T:
        """``query`` over the tenant's views as of ``at``, replayed unless kept.

        One at a time: a replay evicted while another request read it would be
        closed under that read. Auditors' reads are few; a replay is the cost. At
        most ``queued`` reads wait for their turn, each holding a worker thread: past
        them, ReplaysQueuedError (503, Retry-After) at once.
        """
        key = (ledger.tenant, axis, at.astimezone(UTC), ledger.position())
        with self._turn():
            return self._read(ledger, at, query, replay, key)

    @contextmanager
    def _turn(self) -> Iterator[None]:
        """The one running read and ``queued`` more, or ReplaysQueuedError."""
        with self._counting:
            if self._waiting > self._queued:
                raise ReplaysQueuedError(
                    f"{self._waiting} reads of views as of a past time are being answered "
                    "or wait their turn here (one replay runs at a time): retry once they "
                    "are answered"
                )
            self._waiting += 1
        try:
            yield
        finally:
            with self._counting:
                self._waiting -= 1

    def _read(
        self,
        ledger: CooperationLedger,
        at: datetime,
        query: Callable[[ViewsAsOf], T],
        replay: Callable[[CooperationLedger, datetime, Path], ViewsAsOf],
        key: tuple[str, Axis, datetime, int],
    ) -> T:
        with self._lock:
            found = self._replays.get(key)
            if found is None:
                if self._root is None:
                    self._root = Path(tempfile.mkdtemp(prefix="entente-as-of-"))
                self._built += 1
                directory = self._root / str(self._built)
                found = (replay(ledger, at, directory), directory)
                self._replays[key] = found
                while len(self._replays) > self._kept:
                    _, (old, old_directory) = self._replays.popitem(last=False)
                    _remove(old, old_directory)
            self._replays.move_to_end(key)
            return query(found[0])

    def close(self) -> None:
        with self._lock:
            for kept, directory in self._replays.values():
                _remove(kept, directory)
            self._replays.clear()
            if self._root is not None:
                shutil.rmtree(self._root, ignore_errors=True)
                self._root = None


def _remove(replayed: ViewsAsOf, directory: Path) -> None:
    replayed.store.dispose()
    shutil.rmtree(directory, ignore_errors=True)
