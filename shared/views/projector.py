"""The projector: consumes each tenant's topic into that tenant's views.

Each batch is one transaction: read the tracked offset, read the next records
from the log, apply them, move the offset, commit. The events change rows held
in memory (``working.py``), read in one query per table and written in a few
multi-row statements before the offset moves: a round trip per event would
cap the projector at a few hundred events a second. A crash anywhere in between
rolls the rows and the offset back together, so the batch is read again and
applied once. An error stops the projector with the tracking *before* the
batch; it never logs and moves on.

The one exception is a poison message (see ``dead_letters.py``): one that
cannot be decoded, has an unknown event type or fails its schema is parked
with its reason, in the same transaction as the batch's rows and the tracking
that moves past it. With ``dead_letters=None`` it stops the projector instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Protocol

from shared.log.ports import EventLog, LogRecord, UndecodableRecordError
from shared.log.turns import PASS_RECORDS, in_turns
from shared.views.apply import apply_record, prefetch
from shared.views.data_refusals import DATA_EXCEPTIONS, refused
from shared.views.dead_letters import (
    SCHEMA_VIOLATION,
    UNKNOWN_TYPE,
    DeadLetter,
    DeadLetters,
    ViewStoreDeadLetters,
    letter_for_record,
    letter_for_undecodable,
    message_schema_violation,
    skip_parked,
)
from shared.views.errors import (
    EventSchemaViolationError,
    PoisonOffsetError,
    UndecodableMessageError,
)
from shared.views.halts import PartitionHalts
from shared.views.handlers import HANDLERS, Handler
from shared.views.store import LIVE, Area, ViewSession, ViewStore
from shared.views.tracking import advance, tracked_offset

#: Records read per batch: large sections read the log several times faster
#: than small ones (see the pitfalls), and one batch is one transaction.
PAGE_SIZE = 1000

#: The reason a record breaks its message schema, or None when it conforms.
SchemaCheck = Callable[[LogRecord], str | None]

#: The default: poison messages parked in a ``dead_letters`` table of the views.
PARK_IN_VIEWS: DeadLetters = ViewStoreDeadLetters()


@dataclass(frozen=True)
class BatchReport:
    """What one committed batch did to one partition (for metrics and status)."""

    tenant: str
    topic: str
    partition: int
    applied: int
    duplicates: int
    parked: tuple[DeadLetter, ...]
    offset: int

    @property
    def consumed(self) -> int:
        return self.applied + self.duplicates + len(self.parked)


class ProjectionObserver(Protocol):
    """Told about each batch after it committed (never about a rolled-back one)."""

    def committed(self, report: BatchReport) -> None: ...


class _Unobserved:
    def committed(self, report: BatchReport) -> None:
        return None


class Projector:
    """Projects the topics of ``tenants`` from ``log`` into ``store``.

    ``area`` is ``live`` in service; a rebuild projects into ``rebuild``.
    ``handlers`` is injectable so tests can make a batch fail half-way.
    ``dead_letters`` parks poison messages (None: they stop the projector);
    ``schema_check`` says why a record breaks its message schema, if it does;
    ``halts`` (a service's) stops one partition on a ProjectionError instead of raising.
    ``version_gaps``: a record's versions may skip (``shared.audit.views_as_of``'s
    business time); live views never set it.
    """

    def __init__(
        self,
        store: ViewStore,
        log: EventLog,
        tenants: Sequence[str],
        *,
        handlers: Mapping[str, Handler] = HANDLERS,
        area: Area = LIVE,
        page_size: int = PAGE_SIZE,
        dead_letters: DeadLetters | None = PARK_IN_VIEWS,
        schema_check: SchemaCheck | None = message_schema_violation,
        observer: ProjectionObserver | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        halts: PartitionHalts | None = None,
        version_gaps: bool = False,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.store = store
        self.log = log
        self.tenants = list(tenants)
        self.handlers = handlers
        self.area = area
        self.page_size = page_size
        self.dead_letters = dead_letters
        self.schema_check = schema_check
        self.observer = observer or _Unobserved()
        self.clock = clock
        self.halts = halts
        self.version_gaps = version_gaps

    def run_once(self, max_records: int = PASS_RECORDS) -> int:
        """Applies up to ``max_records`` pending records; returns how many were consumed.

        Takes one batch per partition in turn, so a tenant with a large
        backlog does not hold up the others' read-your-writes. With ``halts``, a
        ProjectionError stops its partition only (``shared.views.halts``).
        """
        batch = self.project_batch if self.halts is None else self.halts.guard(self.project_batch)
        return in_turns(self.log, self.tenants, batch, self.page_size, max_records)

    def catch_up(self) -> int:
        """Runs until the log has nothing more; returns how many records were consumed."""
        total = 0
        while consumed := self.run_once():
            total += consumed
        return total

    def project_batch(self, tenant: str, topic: str, partition: int, limit: int) -> int:
        """One transaction: the next ``limit`` records after the tracked offset.

        Returns how many were consumed, parked ones included.
        """
        after = -1
        try:
            with self.store.write(tenant, self.area) as session:
                after = tracked_offset(session, topic, partition)
                records, undecodable = self._read(topic, partition, after, limit)
                report = self._apply(session, tenant, topic, partition, records)
                if undecodable is not None:
                    self._park(session, undecodable)
                    parked = (*report.parked, undecodable)
                    report = replace(report, parked=parked, offset=undecodable.offset)
                if report.consumed:
                    self._track(session, records, report)
        except DATA_EXCEPTIONS as error:  # refused again at every retry: a stop, not a retry
            raise refused(error, topic, partition, after) from error
        if report.consumed:
            self.observer.committed(report)
        return report.consumed

    def _read(
        self, topic: str, partition: int, after: int, limit: int
    ) -> tuple[list[LogRecord], DeadLetter | None]:
        """The next records, up to (not including) the first undecodable one, and its letter."""
        try:
            return self.log.read(topic, partition, after, limit), None
        except UndecodableRecordError as error:
            if self.dead_letters is None:
                raise UndecodableMessageError(
                    error.reason, error.topic, error.offset, error.partition
                ) from error
            poison = error
        records = self._preceding(topic, partition, after, poison)
        return records, self._undecodable_letter(poison, records[-1].offset if records else after)

    def _preceding(
        self, topic: str, partition: int, after: int, poison: UndecodableRecordError
    ) -> list[LogRecord]:
        """The records between ``after`` and ``poison``, read one at a time.

        ``KafkaEventLog`` returns the good records before a poison message and
        raises only when it comes first (then this is one read); a log that
        raises as soon as a page holds poison is read up to it here.
        """
        records: list[LogRecord] = []
        while True:
            cursor = records[-1].offset if records else after
            try:
                page = self.log.read(topic, partition, cursor, 1)
            except UndecodableRecordError as first:
                if first.offset != poison.offset:
                    raise PoisonOffsetError(
                        f"the log reported offset {poison.offset} undecodable, then {first.offset}",
                        first.topic,
                        first.offset,
                        first.partition,
                    ) from first
                return records
            if not page or page[0].offset >= poison.offset:
                return records
            records.extend(page)

    def _undecodable_letter(self, poison: UndecodableRecordError, after: int) -> DeadLetter:
        if poison.offset <= after:
            raise PoisonOffsetError(
                f"the log reports an undecodable message at or before offset {after}",
                poison.topic,
                poison.offset,
                poison.partition,
            ) from poison
        return letter_for_undecodable(poison, self.clock())

    def _apply(
        self,
        session: ViewSession,
        tenant: str,
        topic: str,
        partition: int,
        records: Sequence[LogRecord],
    ) -> BatchReport:
        applied = duplicates = 0
        parked: list[DeadLetter] = []
        prefetch(session, tenant, records)
        for record in records:
            letter = self._poison(session, tenant, record)
            if letter is not None:
                self._park(session, letter)
                parked.append(letter)
            elif apply_record(session, tenant, record, self.handlers, self.version_gaps):
                applied += 1
            else:
                duplicates += 1
        session.rows.flush()  # the batch's rows, in a few statements per table
        last = records[-1].offset if records else -1
        return BatchReport(tenant, topic, partition, applied, duplicates, tuple(parked), last)

    def _poison(self, session: ViewSession, tenant: str, record: LogRecord) -> DeadLetter | None:
        """The dead letter of a record no run will ever apply; None for the others.

        Without a dead-letter store, returns None for an unknown type (so
        ``apply_record`` raises UnknownEventTypeError) and raises on a schema
        violation. A record of another tenant is left to ``apply_record``,
        which stops on it.
        """
        event = record.event
        if event.tenant != tenant:
            return None
        if not self._known(session, record):
            if self.dead_letters is None:
                return None
            reason = f"no handler for event type {event.type!r}"
            return letter_for_record(record, UNKNOWN_TYPE, reason, self.clock())
        violation = self.schema_check(record) if self.schema_check else None
        if violation is None:
            return None
        if self.dead_letters is None:
            where = (record.topic, record.offset, record.partition)
            raise EventSchemaViolationError(violation, *where)
        return letter_for_record(record, SCHEMA_VIOLATION, violation, self.clock())

    def _known(self, session: ViewSession, record: LogRecord) -> bool:
        event = record.event
        return event.type in self.handlers and event.aggregate_type in session.tables.record_tables

    def _park(self, session: ViewSession, letter: DeadLetter) -> None:
        assert self.dead_letters is not None  # only called when parking is on
        self.dead_letters.park(session, letter)

    def _track(
        self, session: ViewSession, records: Sequence[LogRecord], report: BatchReport
    ) -> None:
        """Moves the offset past every consumed record; the position past applied ones only.

        A parked event was not applied, so it does not raise the position the
        views reflect (a client waiting for it times out rather than reading
        views that miss it).
        """
        parked = {letter.offset for letter in report.parked}
        passed = [record for record in records if record.offset not in parked]
        if passed:
            advance(session, passed)
        if not passed or passed[-1].offset < report.offset:
            skip_parked(session, report.topic, report.partition, report.offset, self.clock())
