"""The reporting projector: every tenant's topic into the one consolidated area.

Each batch is one transaction on the reporting store: read the partition's
tracked offset, read the next records from the log, apply them (overlaps and
their alerts included), move the offset, commit. A crash anywhere rolls rows,
alerts and offset back together, so the batch is read again and applied once.

Reporting does not park poison messages: the tenant projector already parks
them (with its dead-letter topic), and a record reporting cannot apply stops
it where it is — readiness says why — rather than leaving the ministry-wide
figures silently short of one directorate's events.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from shared.log.ports import EventLog, LogRecord, UndecodableRecordError
from shared.log.turns import PASS_RECORDS, in_turns
from shared.reporting.apply import apply_record, stored_versions
from shared.reporting.deferred import deferring_inserts
from shared.reporting.handlers import HANDLERS, Handler
from shared.reporting.overlaps import OverlapAlerts, TableOverlapAlerts
from shared.reporting.store import ReportingStore
from shared.reporting.tracking import advance
from shared.views.data_refusals import DATA_EXCEPTIONS, refused
from shared.views.errors import UndecodableMessageError
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

        One batch per partition in turn, so one directorate's backlog does not
        hold up the others'. With ``halts``, a ProjectionError stops that directorate's
        partition only (``shared.views.halts``): the others' figures go on.
        """
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
