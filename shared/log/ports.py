"""The event log port: what projections, auditors and relays read.

Ordered positions per partition, replay from 0, and per-partition offsets are
the whole contract. The embedded implementation reads the applications'
notification logs; the Kafka implementation reads the tenant topics. Both pass
the same contract suite (tests/contract/test_event_log.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from shared.events.envelope import EventEnvelope


def topic_for(tenant: str) -> str:
    """Each tenant has its own topic, so its order and access are its own."""
    return f"entente.{tenant}.events"


@dataclass(frozen=True)
class LogRecord:
    """One event at one offset of one partition of one topic."""

    topic: str
    partition: int
    offset: int
    key: str
    event: EventEnvelope


class EventLog(Protocol):
    """Read side of the append-only log."""

    def topics(self) -> list[str]:
        """Every topic this log serves."""
        ...

    def partitions(self, topic: str) -> list[int]:
        """The partition numbers of ``topic``."""
        ...

    def read(self, topic: str, partition: int, after: int, limit: int) -> list[LogRecord]:
        """Up to ``limit`` records with offsets above ``after`` (-1: from the start), in order."""
        ...

    def end_offset(self, topic: str, partition: int) -> int:
        """The offset of the last record in the partition, or -1 when it is empty."""
        ...
