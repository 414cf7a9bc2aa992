"""The embedded event log: the tenants' notification logs read as topics.

In embedded mode there is no broker: each tenant's event store already holds
its events in one total order (the notification log), so it *is* the log. This
adapter presents it through the same ``EventLog`` port as Kafka, so projections
run unchanged in both modes:

- one topic per tenant (``topic_for(tenant)``) with a single partition, 0;
- offset = notification id. Ids have permanent holes (one per rolled-back
  insert, and the command receipts, which are bookkeeping and not published),
  so readers must follow "the next record after the last seen", never
  "last + 1" — exactly what ``read(after=…)`` offers;
- key = aggregate id, as the relay keys Kafka messages, so per-aggregate order
  is what a reader may rely on in both modes.
"""

from __future__ import annotations

from collections.abc import Mapping

from shared.application.ledger import CooperationLedger
from shared.log.ports import LogRecord, UnknownTopicOrPartitionError, topic_for

#: The only partition of an embedded topic.
PARTITION = 0


class EmbeddedEventLog:
    """Reads each tenant's ``CooperationLedger`` as a one-partition topic."""

    def __init__(self, ledgers: Mapping[str, CooperationLedger]) -> None:
        self._ledgers = {topic_for(tenant): ledger for tenant, ledger in ledgers.items()}

    def topics(self) -> list[str]:
        return sorted(self._ledgers)

    def partitions(self, topic: str) -> list[int]:
        self._ledger(topic, PARTITION)
        return [PARTITION]

    def read(self, topic: str, partition: int, after: int, limit: int) -> list[LogRecord]:
        """Up to ``limit`` records with offsets greater than ``after``, in offset order."""
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        ledger = self._ledger(topic, partition)
        return [
            LogRecord(topic, partition, offset, event.aggregate_id, event)
            for offset, event in ledger.read_log(after, limit)
        ]

    def end_offset(self, topic: str, partition: int) -> int:
        """The offset of the last published record, or -1 when there is none.

        The store's highest notification id may be a command receipt (saved
        after the events of its command), which is not published; a reader
        comparing its position with that id would never catch up. So this looks
        back from the highest id in doubling windows until it meets a record:
        usually one small read.
        """
        ledger = self._ledger(topic, partition)
        top, window = ledger.position(), 8
        while top > 0:
            after = max(top - window, 0)
            found = ledger.read_log(after, window)
            if found:
                return found[-1][0]
            top, window = after, window * 2
        return -1

    def _ledger(self, topic: str, partition: int) -> CooperationLedger:
        ledger = self._ledgers.get(topic)
        if ledger is None or partition != PARTITION:
            raise UnknownTopicOrPartitionError(
                f"this log serves no partition {partition} of topic {topic!r}"
            )
        return ledger
