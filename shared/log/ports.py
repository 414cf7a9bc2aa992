"""The event log port: what projections, auditors and relays read, and how reading fails.

Ordered positions per partition, replay from 0, and per-partition offsets are
the whole contract. The embedded implementation reads the applications'
notification logs; the Kafka implementation reads the tenant topics. Both pass
the same contract suite (tests/ports/test_event_log.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from shared.errors import EntenteError
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


@runtime_checkable
class OpenedOnFirstUse(Protocol):
    """A log that reaches its broker on first use (``shared.kafka.deferred``)."""

    @property
    def opened(self) -> bool:
        """False until a call reached the broker (a reader started before it waits)."""
        ...


@runtime_checkable
class WaitableLog(Protocol):
    """A log a caught-up reader can wait on (Kafka), rather than sleep and look again."""

    def wait_for_records(self, timeout_s: float) -> bool:
        """Returns when records arrived (True) or after ``timeout_s`` (False)."""
        ...


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


@dataclass(frozen=True)
class RawRecord:
    """One record of one partition as the broker stores it: key, headers and value as bytes.

    Event topics are decoded into ``LogRecord``; checkpoints, dead letters and
    poison messages are read raw, so their bytes can be inspected or re-published
    exactly as they were.
    """

    topic: str
    partition: int
    offset: int
    key: bytes | None
    headers: list[tuple[str, bytes]]
    value: bytes
    timestamp_ms: int

    def header(self, name: str) -> bytes | None:
        """The first header called ``name``, if any."""
        return next((value for key, value in self.headers if key == name), None)


class UndecodableRecordError(EntenteError):
    """Raised when a record of an event topic is not an Entente CloudEvent (a poison message).

    It carries where the record is and its raw bytes, so the projector can park
    it on the dead-letter topic with ``reason`` and go on after ``offset``.
    """

    title = "Undecodable record"

    def __init__(
        self,
        topic: str,
        partition: int,
        offset: int,
        reason: str,
        raw: RawRecord,
    ) -> None:
        super().__init__(f"{topic}[{partition}]@{offset}: {reason}")
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.reason = reason
        self.raw = raw


class UnknownTopicOrPartitionError(EntenteError):
    """Raised when a reader names a topic or partition this log does not serve.

    A typo in a tenant slug must fail loudly: answering "empty" would let a
    projector believe it is up to date with a log it never read.
    """

    title = "Unknown topic or partition"
