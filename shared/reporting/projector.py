"""The reporting projector: every tenant's topic into the one consolidated area.

Each batch is one transaction on the reporting store: read the partition's
tracked offset, read the next records from the log, apply them (overlaps and
their alerts included), move the offset, commit. A crash anywhere rolls rows,
alerts and offset back together, so the batch is read again and applied once.

A pass applies every directorate's events in the order they were recorded (a
merge by recorded time), not one directorate's batch after another's: overlaps
cross directorates, and in turns an overlap was checked against a state that
never existed (a mission's first dates from one directorate's batch against
another's mission scheduled after those dates had changed), raising an alert
and its resolution for an overlap that never was, caused by the wrong event.
The merge holds back what a directorate's full batch may still precede
(``_in_time_order``), so it is the recorded order whatever the batch sizes, and
a rebuild raises the alerts the live feed raised. An event that reaches the log
later than events recorded after it (a relay catching up) is applied when it
comes: the order is the recorded one only for what the log holds at each pass.

Reporting does not park poison messages: the tenant projector already parks
them (with its dead-letter topic), and a record reporting cannot apply stops
it where it is — readiness says why — rather than leaving the ministry-wide
figures silently short of one directorate's events.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from shared.log.ports import EventLog, LogRecord, UndecodableRecordError, topic_for
from shared.log.turns import PASS_RECORDS, in_turns
from shared.reporting.apply import apply_record, stored_versions
from shared.reporting.deferred import deferring_inserts
from shared.reporting.handlers import HANDLERS, Handler
from shared.reporting.overlaps import OverlapAlerts, TableOverlapAlerts
from shared.reporting.store import ReportingSession, ReportingStore
from shared.reporting.tracking import advance
from shared.views.data_refusals import DATA_EXCEPTIONS, refused
from shared.views.errors import ProjectionError, UndecodableMessageError
from shared.views.halts import PartitionHalts
from shared.views.tracking import tracked_offset

#: Records per batch (one transaction): large sections read the log faster.
PAGE_SIZE = 1000


class ReportingProjector:
    """Projects the topics of ``tenants`` from ``log`` into ``store``.

    ``handlers`` and ``alerts`` are injectable, so tests can make a batch fail
    half-way or watch the alerts raised.
    """

    def __init__(
        self,
        store: ReportingStore,
        log: EventLog,
        tenants: Sequence[str],
        *,
        handlers: Mapping[str, Handler] = HANDLERS,
        alerts: OverlapAlerts | None = None,
        page_size: int = PAGE_SIZE,
        halts: PartitionHalts | None = None,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.store = store
        self.log = log
        self.tenants = list(tenants)
        self.handlers = handlers
        self.alerts = alerts or TableOverlapAlerts()
        self.page_size = page_size
        self.halts = halts

    def run_once(self, max_records: int = PASS_RECORDS) -> int:
        """Consumes up to ``max_records`` pending records; returns how many.

        Batches of every directorate's next records, merged in recorded order. With
        ``halts``, a ProjectionError stops that directorate's partition only
        (``shared.views.halts``): the others' figures go on.
        """
        done = 0
        while done < max_records:
            try:
                consumed, more = self.merged_batch(min(self.page_size, max_records - done))
            except _Stopped as stop:
                if self.halts is None:
                    raise stop.error from stop.error.__cause__
                self.halts.stop(stop.tenant, stop.topic, stop.partition, stop.error)
                continue  # the same batch again, without the stopped partition
            except _RefusedInAMix:
                # A value the database refuses, in a batch of several directorates: one
                # pass in turns names (and, with halts, stops) the partition it is in.
                consumed, more = self._in_turns(max_records - done), True
            done += consumed
            if not (consumed and more):  # no batch was full: every partition read to its end
                break
        return done

    def merged_batch(self, limit: int) -> tuple[int, bool]:
        """One transaction: up to ``limit`` next records of each partition, applied in
        recorded order as far as ``_in_time_order`` allows; returns how many, and
        whether a partition may hold more (a full batch, or records held back)."""
        applied: list[tuple[_Batch, LogRecord]] = []
        batches: list[_Batch] = []
        try:
            with self.store.write() as written, deferring_inserts(written) as session:
                batches = [
                    batch
                    for source in self._sources()
                    if (batch := self._batch(session, source, limit)).records
                ]
                applied = _in_time_order(batches)
                versions = {  # a record's versions are all in its key's partition
                    (batch.topic, batch.partition): stored_versions(
                        session, batch.tenant, batch.records
                    )
                    for batch in batches
                }
                for batch, record in applied:
                    try:
                        apply_record(
                            session,
                            batch.tenant,
                            record,
                            self.handlers,
                            self.alerts,
                            versions[batch.topic, batch.partition],
                        )
                    except ProjectionError as error:
                        raise _Stopped(batch.tenant, batch.topic, batch.partition, error) from error
                for batch in batches:
                    mine = [record for owner, record in applied if owner is batch]
                    if mine:
                        advance(session, batch.tenant, mine)
        except DATA_EXCEPTIONS as error:  # refused again at every retry: a stop, not a retry
            sources = {(b.tenant, b.topic, b.partition, b.after) for b, _ in applied}
            if len(sources) != 1:
                raise _RefusedInAMix from error
            ((tenant, topic, partition, after),) = sources
            raise _Stopped(
                tenant, topic, partition, refused(error, topic, partition, after)
            ) from error
        more = any(batch.full for batch in batches) or len(applied) < sum(
            len(batch.records) for batch in batches
        )
        return len(applied), more

    def _sources(self) -> list[tuple[str, str, int]]:
        """(tenant, topic, partition) of every partition not stopped."""
        found = []
        for tenant in self.tenants:
            topic = topic_for(tenant)
            for partition in self.log.partitions(topic):
                if self.halts is None or not self.halts.stopped(topic, partition):
                    found.append((tenant, topic, partition))
        return found

    def _batch(self, session: ReportingSession, source: tuple[str, str, int], limit: int) -> _Batch:
        tenant, topic, partition = source
        after = tracked_offset(session, topic, partition)
        try:
            records = self._read(topic, partition, after, limit)
        except ProjectionError as error:
            raise _Stopped(tenant, topic, partition, error) from error
        return _Batch(tenant, topic, partition, after, records, full=len(records) == limit)

    def _in_turns(self, max_records: int) -> int:
        """The pass partition after partition (each batch its own transaction)."""
        batch = self.project_batch if self.halts is None else self.halts.guard(self.project_batch)
        return in_turns(self.log, self.tenants, batch, self.page_size, max_records)

    def catch_up(self) -> int:
        """Runs until every topic has nothing more; returns how many records were consumed."""
        total = 0
        while consumed := self.run_once():
            total += consumed
        return total

    def project_batch(self, tenant: str, topic: str, partition: int, limit: int) -> int:
        """One transaction: the next ``limit`` records of one partition; returns how many."""
        after = -1
        try:
            with self.store.write() as written, deferring_inserts(written) as session:
                after = tracked_offset(session, topic, partition)
                records = self._read(topic, partition, after, limit)
                versions = stored_versions(session, tenant, records)
                for record in records:
                    apply_record(session, tenant, record, self.handlers, self.alerts, versions)
                if records:
                    advance(session, tenant, records)
        except DATA_EXCEPTIONS as error:  # refused again at every retry: a stop, not a retry
            raise refused(error, topic, partition, after) from error
        return len(records)

    def _read(self, topic: str, partition: int, after: int, limit: int) -> list[LogRecord]:
        try:
            return self.log.read(topic, partition, after, limit)
        except UndecodableRecordError as error:
            raise UndecodableMessageError(
                error.reason, error.topic, error.offset, error.partition
            ) from error


@dataclass(frozen=True)
class _Batch:
    """One partition's next records in a merged batch, and where they start."""

    tenant: str
    topic: str
    partition: int
    after: int
    records: list[LogRecord]
    #: As many records as asked: the partition may hold more right after them.
    full: bool


def _in_time_order(batches: Sequence[_Batch]) -> list[tuple[_Batch, LogRecord]]:
    """The records to apply now, in recorded order (ties: tenant, partition, offset).

    A full batch's partition may hold, right after its last record, records older
    than another batch's later ones: those later ones wait for the next batch. So
    each batch gives the records up to the earliest last time of the full batches
    (a prefix: offsets advance without gaps), and the batch setting that time
    gives all of its own (the batch always moves on). Within a partition the log's
    order is kept even where two records' times are not in order.
    """
    full = [batch for batch in batches if batch.full]
    pacer = min(full, key=lambda b: (b.records[-1].event.time, b.tenant, b.partition), default=None)
    streams = []
    for batch in batches:
        records = batch.records
        if pacer is not None and batch is not pacer:
            until = pacer.records[-1].event.time
            records = list(itertools.takewhile(_not_after(until), records))
        streams.append([(batch, record) for record in records])
    return list(
        heapq.merge(
            *streams,
            key=lambda pair: (
                pair[1].event.time,
                pair[0].tenant,
                pair[0].partition,
                pair[1].offset,
            ),
        )
    )


def _not_after(until: datetime) -> Callable[[LogRecord], bool]:
    return lambda record: record.event.time <= until


class _Stopped(Exception):
    """A ProjectionError of one partition's record, with the partition it stops."""

    def __init__(self, tenant: str, topic: str, partition: int, error: ProjectionError) -> None:
        super().__init__(str(error))
        self.tenant, self.topic, self.partition, self.error = tenant, topic, partition, error


class _RefusedInAMix(Exception):
    """A value the database refused in a batch of several partitions: which one is not known."""
