"""The event log on Kafka: the ``EventLog`` port over the tenants' event topics.

Offsets are the broker's; each record's event carries its tenant notification
id as ``event.position`` (the ``ce_position`` header). A read assigns the
partition and seeks to ``after + 1`` on one consumer that the log keeps for its
whole life (building a consumer costs a bootstrap; paging on without a new seek
also keeps what the consumer already fetched).

A record that is not an Entente CloudEvent is never skipped: the read returns
the good records before it, and the next read (starting at it) raises
``UndecodableRecordError`` with its topic, partition, offset and bytes, so the
projector can park it on the dead-letter topic and go on after it.
"""

from __future__ import annotations

import re
import time

from kafka import TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import (
    KafkaError,
    LogTruncationError,
    NoOffsetForPartitionError,
    OffsetOutOfRangeError,
)

from shared.events import wire
from shared.kafka.clients import create_consumer, translated_errors
from shared.kafka.errors import BrokerUnavailableError, MissingOffsetError, UndecodableRecordError
from shared.kafka.records import RawRecord
from shared.kafka.settings import KafkaSettings
from shared.log.embedded import UnknownTopicOrPartitionError
from shared.log.ports import LogRecord

#: Logical event topics: ``entente.<tenant>.events``.
EVENT_TOPIC = re.compile(r"^entente\.(?P<tenant>[a-z][a-z0-9-]*)\.events$")


class KafkaEventLog:
    """Reads event topics (decoded) and any other topic (raw) by offset.

    Not thread-safe (one ``KafkaConsumer`` inside): give each thread its own log.
    """

    def __init__(self, settings: KafkaSettings) -> None:
        self._settings = settings
        self._consumer = create_consumer(settings)
        self._next: dict[TopicPartition, int] = {}

    def topics(self) -> list[str]:
        """The tenants' event topics in this log's namespace."""
        with translated_errors(self._settings):
            physical = self._consumer.topics()
        logical = (self._settings.logical(name) for name in physical)
        return sorted(name for name in logical if name and EVENT_TOPIC.match(name))

    def partitions(self, topic: str) -> list[int]:
        with translated_errors(self._settings):
            found = self._consumer.partitions_for_topic(self._settings.physical(topic))
        if not found:
            raise UnknownTopicOrPartitionError(f"no topic {topic!r} on the broker")
        return sorted(found)

    def read(self, topic: str, partition: int, after: int, limit: int) -> list[LogRecord]:
        """Up to ``limit`` events with offsets above ``after`` (see module docstring)."""
        records: list[LogRecord] = []
        for raw in self.read_raw(topic, partition, after, limit):
            try:
                records.append(self._decoded(topic, raw))
            except UndecodableRecordError:
                if records:
                    return records
                raise
        return records

    def read_raw(self, topic: str, partition: int, after: int, limit: int) -> list[RawRecord]:
        """Up to ``limit`` undecoded records with offsets above ``after``, in offset order."""
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        tp = self._partition(topic, partition)
        end = self._end(tp)
        if after + 1 >= end:
            return []
        self._position_at(tp, after + 1)
        return [self._raw(topic, r) for r in self._fetch(tp, end, limit)]

    def end_offset(self, topic: str, partition: int) -> int:
        """The offset of the last record, or -1 when the partition is empty.

        The relay writes without transactions, so every offset below the end is
        a record (no transaction markers) and the last record is at end - 1.
        """
        return self._end(self._partition(topic, partition)) - 1

    def close(self) -> None:
        self._consumer.close(autocommit=False)

    def _partition(self, topic: str, partition: int) -> TopicPartition:
        if partition not in self.partitions(topic):
            raise UnknownTopicOrPartitionError(f"topic {topic!r} has no partition {partition}")
        return TopicPartition(self._settings.physical(topic), partition)

    def _end(self, tp: TopicPartition) -> int:
        timeout = self._settings.request_timeout_ms
        with translated_errors(self._settings):
            end: int = self._consumer.end_offsets([tp], timeout_ms=timeout)[tp]
        return end

    def _position_at(self, tp: TopicPartition, offset: int) -> None:
        """Seeks unless the consumer is already there (keeping what it prefetched)."""
        if self._consumer.assignment() != {tp}:
            self._consumer.assign([tp])
            self._next.clear()
        if self._next.get(tp) != offset:
            self._consumer.seek(tp, offset)
            self._next[tp] = offset

    def _fetch(self, tp: TopicPartition, end: int, limit: int) -> list[ConsumerRecord]:
        """Polls until ``limit`` records or the end offset seen at the start of the read."""
        fetched: list[ConsumerRecord] = []
        deadline = time.monotonic() + self._settings.read_timeout_ms / 1000
        while len(fetched) < limit and self._next[tp] < end:
            batch = self._poll(tp, limit - len(fetched))
            if batch:
                fetched.extend(batch)
                self._next[tp] = batch[-1].offset + 1
            elif time.monotonic() > deadline:
                raise BrokerUnavailableError(
                    f"{tp.topic}[{tp.partition}] holds records up to {end - 1}, but none "
                    f"after {self._next[tp] - 1} arrived in {self._settings.read_timeout_ms} ms"
                )
        return fetched

    def _poll(self, tp: TopicPartition, most: int) -> list[ConsumerRecord]:
        try:
            wait = self._settings.fetch_max_wait_ms + 100
            polled = self._consumer.poll(timeout_ms=wait, max_records=most)
        except (OffsetOutOfRangeError, NoOffsetForPartitionError, LogTruncationError):
            missing = self._next.pop(tp, None)
            raise MissingOffsetError(
                f"{tp.topic}[{tp.partition}] does not hold offset {missing}"
            ) from None
        except KafkaError as error:
            self._next.pop(tp, None)
            raise BrokerUnavailableError(f"reading {tp.topic}[{tp.partition}]: {error!r}") from None
        records: list[ConsumerRecord] = polled.get(tp, [])
        return records

    def _raw(self, topic: str, record: ConsumerRecord) -> RawRecord:
        return RawRecord(
            topic=topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key,
            headers=list(record.headers or []),
            value=record.value or b"",
            timestamp_ms=record.timestamp,
        )

    def _decoded(self, topic: str, raw: RawRecord) -> LogRecord:
        """The event of a record; UndecodableRecordError if it is not one of ours.

        Besides the CloudEvents decoding, the key must be the record id and the
        tenant the topic's: a message that breaks either would be applied to the
        wrong record or the wrong directorate.
        """
        try:
            event, _chain_hash = wire.decode(raw.headers, raw.value, raw.key)
        except wire.UndecodableMessageError as error:
            raise _poison(raw, str(error)) from None
        key = (raw.key or b"").decode("utf-8", errors="replace")
        if key != event.aggregate_id:
            raise _poison(raw, f"key {key!r} is not the record id {event.aggregate_id!r}")
        expected = EVENT_TOPIC.match(topic)
        if expected and expected["tenant"] != event.tenant:
            raise _poison(raw, f"an event of tenant {event.tenant!r} on {topic!r}")
        return LogRecord(topic, raw.partition, raw.offset, key, event)


def _poison(raw: RawRecord, reason: str) -> UndecodableRecordError:
    return UndecodableRecordError(raw.topic, raw.partition, raw.offset, reason, raw)
