"""The projector: consumes each tenant's topic into that tenant's views.

Each batch is one transaction: read the tracked offset, read the next records
from the log, apply them, move the offset, commit. A crash anywhere in between
rolls the rows and the offset back together, so the batch is read again and
applied once. An error stops the projector with the tracking *before* the
batch; it never logs and moves on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from shared.log.ports import EventLog, topic_for
from shared.views.apply import apply_record
from shared.views.handlers import HANDLERS, Handler
from shared.views.store import LIVE, Area, ViewStore
from shared.views.tracking import advance, tracked_offset

#: Records read per batch: large sections read the log several times faster
#: than small ones (see the pitfalls), and one batch is one transaction.
PAGE_SIZE = 1000


class Projector:
    """Projects the topics of ``tenants`` from ``log`` into ``store``.

    ``area`` is ``live`` in service; a rebuild projects into ``rebuild``.
    ``handlers`` is injectable so tests can make a batch fail half-way.
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
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.store = store
        self.log = log
        self.tenants = list(tenants)
        self.handlers = handlers
        self.area = area
        self.page_size = page_size

    def run_once(self, max_records: int = 10 * PAGE_SIZE) -> int:
        """Applies up to ``max_records`` pending records; returns how many were consumed.

        Takes one batch per partition in turn, so a tenant with a large
        backlog does not hold up the others' read-your-writes.
        """
        partitions = [
            (tenant, topic_for(tenant), partition)
            for tenant in self.tenants
            for partition in self.log.partitions(topic_for(tenant))
        ]
        done, progress = 0, True
        while progress and done < max_records:
            progress = False
            for tenant, topic, partition in partitions:
                budget = min(self.page_size, max_records - done)
                if budget <= 0:
                    break
                consumed = self.project_batch(tenant, topic, partition, budget)
                done += consumed
                progress = progress or consumed > 0
        return done

    def catch_up(self) -> int:
        """Runs until the log has nothing more; returns how many records were consumed."""
        total = 0
        while consumed := self.run_once():
            total += consumed
        return total

    def project_batch(self, tenant: str, topic: str, partition: int, limit: int) -> int:
        """One transaction: the next ``limit`` records after the tracked offset."""
        with self.store.write(tenant, self.area) as session:
            after = tracked_offset(session, topic, partition)
            records = self.log.read(topic, partition, after, limit)
            for record in records:
                apply_record(session, tenant, record, self.handlers)
            if records:
                advance(session, records)
        return len(records)
