"""The event log on Kafka: the ``EventLog`` port over the tenants' event topics.

Offsets are the broker's; each record's event carries its tenant notification
id as ``event.position`` (the ``ce_position`` header). The log keeps one
consumer for its whole life (building one costs a bootstrap), with every
partition it has read assigned and fetching ahead into a buffer of its own: the
projector reads each partition in turn from where it stopped, so a read is
mostly served from memory, and the end offset is asked of the broker only when
the buffer and the end seen last cannot make up the page (so a short page still
holds every record written before the read began). A read from any other offset
(a rebuild from -1, a batch rolled back and read again) seeks that partition and
empties its buffer; a partition whose buffer is full stops fetching ahead.

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
from shared.kafka.errors import BrokerUnavailableError, MissingOffsetError
from shared.kafka.settings import KafkaSettings
from shared.log.ports import (
    LogRecord,
    RawRecord,
    UndecodableRecordError,
    UnknownTopicOrPartitionError,
)

#: Logical event topics: ``entente.<tenant>.events``.
EVENT_TOPIC = re.compile(r"^entente\.(?P<tenant>[a-z][a-z0-9-]*)\.events$")

#: Records one poll may bring, all partitions together.
POLL_RECORDS = 2000

#: Records a partition may hold unread before it stops fetching ahead.
BUFFERED_RECORDS = 4000

#: Partitions kept assigned (and fetching ahead) at most, those read last.
ASSIGNED_PARTITIONS = 64


class KafkaEventLog:
    """Reads event topics (decoded) and any other topic (raw) by offset.

    Not thread-safe (one ``KafkaConsumer`` inside): give each thread its own log.
    """

    def __init__(self, settings: KafkaSettings) -> None:
        self._settings = settings
        self._consumer = create_consumer(settings)
        #: What each assigned partition fetched and nobody read yet.
        self._buffers: dict[TopicPartition, _Buffer] = {}
        #: The end offset each partition had when last asked.
        self._ends: dict[TopicPartition, int] = {}

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
            # The broker's name, prefix included: the one an operator looks for (probe 11).
            raise UnknownTopicOrPartitionError(
                f"no topic {self._settings.physical(topic)!r} on the broker"
            )
        return sorted(found)

    def read(self, topic: str, partition: int, after: int, limit: int) -> list[LogRecord]:
        """Up to ``limit`` events with offsets above ``after`` (see module docstring)."""
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        tp = self._partition(topic, partition)
        expected = EVENT_TOPIC.match(topic)
        tenant = expected["tenant"] if expected else None
        records: list[LogRecord] = []
        try:
            for record in self._records(tp, after + 1, limit):
                try:
                    records.append(self._decoded(topic, tenant, record))
                except UndecodableRecordError:
                    if records:
                        break
                    raise
        finally:
            self._served(tp, records[-1].offset + 1 if records else after + 1)
        return records

    def read_raw(self, topic: str, partition: int, after: int, limit: int) -> list[RawRecord]:
        """Up to ``limit`` undecoded records with offsets above ``after``, in offset order."""
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        tp = self._partition(topic, partition)
        records = [self._raw(topic, r) for r in self._records(tp, after + 1, limit)]
        self._served(tp, records[-1].offset + 1 if records else after + 1)
        return records

    def end_offset(self, topic: str, partition: int) -> int:
        """The offset of the last record, or -1 when the partition is empty.

        The relay writes without transactions, so every offset below the end is
        a record (no transaction markers) and the last record is at end - 1.
        """
        return self._end(self._partition(topic, partition)) - 1

    def close(self) -> None:
        self._consumer.close(autocommit=False)

    def wait_for_records(self, timeout_s: float) -> bool:
        """Waits up to ``timeout_s`` for records on the partitions read so far; whether any came.

        One poll of the broker (which answers as soon as a record arrives): a
        caught-up reader waits here instead of sleeping, and sees a new record
        within milliseconds. Records go to their partitions' buffers, so the
        next ``read`` serves them. A failure is left for that ``read`` to report.
        """
        if not self._buffers:
            return False
        if any(buffer.unread() for buffer in self._buffers.values()):
            return True  # fetched while another partition was read: no need to wait
        try:
            polled = self._consumer.poll(timeout_ms=int(timeout_s * 1000), max_records=POLL_RECORDS)
        except KafkaError:
            self._forget(set(self._buffers))  # the next read seeks afresh and says what failed
            return True
        return bool(self._keep(polled))

    def _partition(self, topic: str, partition: int) -> TopicPartition:
        if partition not in self.partitions(topic):
            raise UnknownTopicOrPartitionError(
                f"topic {self._settings.physical(topic)!r} has no partition {partition}"
            )
        return TopicPartition(self._settings.physical(topic), partition)

    def _end(self, tp: TopicPartition) -> int:
        """The partition's end offset, asked of the broker (never from the cache)."""
        timeout = self._settings.request_timeout_ms
        with translated_errors(self._settings):
            end: int = self._consumer.end_offsets([tp], timeout_ms=timeout)[tp]
        self._ends[tp] = end
        return end

    def _records(self, tp: TopicPartition, start: int, limit: int) -> list[ConsumerRecord]:
        """Up to ``limit`` records from offset ``start`` on, served from the buffer when it can.

        The end offset is asked of the broker only when the buffer and the end
        seen last cannot make up ``limit`` records: a short page is never stale
        (it holds every record written before the read began).
        """
        buffer = self._buffers.pop(tp, None)
        if buffer is not None:  # the last read last, for ASSIGNED_PARTITIONS
            self._buffers[tp] = buffer
        if buffer is not None and buffer.covers(start):
            buffer.drop_before(start)
            if len(buffer.records) >= limit:
                return buffer.records[:limit]
            known_end = self._ends.get(tp, -1)
            if buffer.next < known_end:  # records known to be there: no need to ask yet
                self._fill(tp, buffer, known_end, limit)
                if len(buffer.records) >= limit:
                    return buffer.records[:limit]
            known_end = self._end(tp)  # what was written before this read, at least
            if buffer.next < known_end:
                self._fill(tp, buffer, known_end, limit)
            return buffer.records[:limit]
        end = self._end(tp)
        if start >= end:
            if start == end:  # caught up: positioned all the same, so a wait sees what comes
                self._position_at(tp, start)
            return []
        buffer = self._position_at(tp, start)
        self._fill(tp, buffer, end, limit)
        return buffer.records[:limit]

    def _served(self, tp: TopicPartition, following: int) -> None:
        """Notes that the reader of ``tp`` was given everything before ``following``."""
        buffer = self._buffers.get(tp)
        if buffer is not None:
            buffer.served = following

    def _position_at(self, tp: TopicPartition, offset: int) -> _Buffer:
        """Seeks ``tp`` to ``offset`` (assigning it next to the others) with an empty buffer."""
        if tp not in self._buffers:
            if len(self._buffers) >= ASSIGNED_PARTITIONS:  # the one read least recently goes
                self._forget({next(iter(self._buffers))})
            self._consumer.assign([*self._buffers, tp])
        self._consumer.seek(tp, offset)
        buffer = self._buffers[tp] = _Buffer(offset)
        return buffer

    def _fill(self, tp: TopicPartition, buffer: _Buffer, end: int, limit: int) -> None:
        """Polls until the buffer holds ``limit`` records or reaches ``end``.

        Records of the other assigned partitions go to their own buffers (a
        later read of theirs is served from memory); a partition whose buffer
        is full is paused so that memory stays bounded.
        """
        deadline = time.monotonic() + self._settings.read_timeout_ms / 1000
        while len(buffer.records) < limit and buffer.next < end:
            self._pause_full(tp)
            if self._poll(tp):
                continue
            if time.monotonic() > deadline:
                raise BrokerUnavailableError(
                    f"{tp.topic}[{tp.partition}] holds records up to {end - 1}, but none "
                    f"after {buffer.next - 1} arrived in {self._settings.read_timeout_ms} ms"
                )

    def _pause_full(self, target: TopicPartition) -> None:
        paused = [p for p, b in self._buffers.items() if p != target and b.full()]
        resumed = [p for p in self._buffers if p not in paused]
        if paused:
            self._consumer.pause(*paused)
        self._consumer.resume(*resumed)

    def _poll(self, tp: TopicPartition) -> bool:
        """One poll into the buffers; whether it brought any record."""
        try:
            wait = self._settings.fetch_max_wait_ms + 100
            polled = self._consumer.poll(timeout_ms=wait, max_records=POLL_RECORDS)
        except (OffsetOutOfRangeError, NoOffsetForPartitionError, LogTruncationError) as error:
            named = _partitions_of(error)
            if named and tp not in named:  # another's position: it fails when it is read
                self._forget(named)
                return True
            buffer = self._buffers.get(tp)
            self._forget({tp})
            raise MissingOffsetError(
                f"{tp.topic}[{tp.partition}] does not hold offset {buffer.next if buffer else None}"
            ) from None
        except KafkaError as error:
            self._forget(set(self._buffers))
            raise BrokerUnavailableError(f"reading {tp.topic}[{tp.partition}]: {error!r}") from None
        return tp in self._keep(polled)

    def _keep(self, polled: dict[TopicPartition, list[ConsumerRecord]]) -> set[TopicPartition]:
        """Puts polled records into their partitions' buffers; the partitions that got some."""
        brought = set()
        for partition, records in polled.items():
            buffer = self._buffers.get(partition)
            if buffer is not None and records:
                buffer.extend(records)
                brought.add(partition)
        return brought

    def _forget(self, partitions: set[TopicPartition]) -> None:
        """Drops the partitions' buffers and assignment: their next read seeks afresh."""
        for partition in partitions:
            self._buffers.pop(partition, None)
            self._ends.pop(partition, None)
        if self._buffers:
            self._consumer.assign(list(self._buffers))
        else:
            self._consumer.unsubscribe()

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

    def _decoded(self, topic: str, tenant: str | None, record: ConsumerRecord) -> LogRecord:
        """The event of a record; UndecodableRecordError if it is not one of ours.

        Besides the CloudEvents decoding, the key must be the record id and the
        tenant the topic's (``tenant``, None for a topic of no tenant): a message
        that breaks either would be applied to the wrong record or the wrong
        directorate.
        """
        try:
            event, _chain_hash = wire.decode(record.headers or [], record.value or b"", record.key)
        except wire.UndecodableMessageError as error:
            raise _poison(self._raw(topic, record), str(error)) from None
        key = (record.key or b"").decode("utf-8", errors="replace")
        if key != event.aggregate_id:
            reason = f"key {key!r} is not the record id {event.aggregate_id!r}"
            raise _poison(self._raw(topic, record), reason)
        if tenant is not None and tenant != event.tenant:
            reason = f"an event of tenant {event.tenant!r} on {topic!r}"
            raise _poison(self._raw(topic, record), reason)
        return LogRecord(topic, record.partition, record.offset, key, event)


def _poison(raw: RawRecord, reason: str) -> UndecodableRecordError:
    return UndecodableRecordError(raw.topic, raw.partition, raw.offset, reason, raw)


def _partitions_of(error: KafkaError) -> set[TopicPartition] | None:
    """The partitions a position error names, when it names them."""
    named = error.args[0] if error.args else None
    if isinstance(named, dict | set):
        return {p for p in named if isinstance(p, TopicPartition)}
    divergent = getattr(error, "divergent_offsets", None)
    if isinstance(divergent, dict):
        return {p for p in divergent if isinstance(p, TopicPartition)}
    return None


class _Buffer:
    """The records of one partition fetched from ``start`` up to (not including) ``next``.

    Every record of the partition in that range is here, in offset order, so a
    read from any offset in it is served without the broker.
    """

    def __init__(self, start: int) -> None:
        self.start = start
        self.next = start
        self.records: list[ConsumerRecord] = []
        #: The offset after the last record a read returned: the reader's next.
        self.served = start

    def covers(self, offset: int) -> bool:
        return self.start <= offset <= self.next

    def drop_before(self, offset: int) -> None:
        """Forgets the records below ``offset`` (read already; a re-read before it seeks)."""
        if offset > self.start:
            kept = 0
            while kept < len(self.records) and self.records[kept].offset < offset:
                kept += 1
            del self.records[:kept]
            self.start = offset

    def extend(self, records: list[ConsumerRecord]) -> None:
        fresh = [r for r in records if r.offset >= self.next]
        if fresh:
            self.records.extend(fresh)
            self.next = fresh[-1].offset + 1

    def full(self) -> bool:
        return len(self.records) >= BUFFERED_RECORDS

    def unread(self) -> bool:
        """Whether records past the last read are here (fetched during another's read)."""
        return bool(self.records) and self.records[-1].offset >= self.served
