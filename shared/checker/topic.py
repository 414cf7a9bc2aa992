"""The topic against the store: every stored event there, as stored, in order per record.

Each message is decoded and compared with the stored event of the same
(record, version), chain link included (recomputed from the store, so a
message the relay did not build from the stored event shows as ``altered``).
Partitions are read in offset order; a record's events must all sit on one
partition, and each version must first appear after the versions before it.
A later identical copy is a republication, which readers de-duplicate.

Messages the store does not hold — undecodable, or an event unknown to the
store — are *foreign*: the relay never writes them. They fail the check
unless a projector parked them (their offsets come from the views' dead
letters), as poison messages are.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Protocol

from shared.checker.report import EventKey, TopicFindings, first_examples
from shared.events import wire
from shared.events.envelope import EventEnvelope
from shared.log.ports import RawRecord

#: Records fetched per read of a partition.
PAGE = 10_000


class RawTopicReader(Protocol):
    """Raw records of a topic by partition and offset (``KafkaEventLog`` is one)."""

    def partitions(self, topic: str) -> list[int]: ...

    def read_raw(self, topic: str, partition: int, after: int, limit: int) -> list[RawRecord]: ...


@dataclass(frozen=True)
class StoredEvent:
    """An event as the store holds it, with the chain link the relay must have sent."""

    event: EventEnvelope
    link: str


def read_partition(reader: RawTopicReader, topic: str, partition: int) -> Iterator[RawRecord]:
    """Every record of one partition, in offset order, read a page at a time."""
    after = -1
    while page := reader.read_raw(topic, partition, after, PAGE):
        yield from page
        after = page[-1].offset


@dataclass
class _Walk:
    """The state of one pass over the topic's partitions."""

    tenant: str
    stored: Mapping[EventKey, StoredEvent]
    parked: AbstractSet[tuple[int, int]]
    seen: set[EventKey] = field(default_factory=set)
    home: dict[str, int] = field(default_factory=dict)
    highest: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)

    def fault(self, kind: str, where: RawRecord, what: str) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        self.examples.append(f"{kind}: {what} at partition {where.partition} offset {where.offset}")

    def foreign(self, kind: str, where: RawRecord, what: str) -> None:
        if (where.partition, where.offset) in self.parked:
            self.counts["parked"] = self.counts.get("parked", 0) + 1
        else:
            self.fault(kind, where, what)

    def visit(self, raw: RawRecord) -> None:
        try:
            event, link = wire.decode(raw.headers, raw.value, raw.key)
        except wire.UndecodableMessageError as error:
            self.foreign("undecodable", raw, str(error))
            return
        key = (event.aggregate_id, event.version)
        name = _name(event)
        expected = self.stored.get(key)
        if expected is None:
            self.foreign("unknown", raw, f"{name} is not in the store")
            return
        if not _same(raw, event, expected, self.tenant):
            self.fault("altered", raw, f"{name} differs from the stored event")
            return
        if link != expected.link:
            # The same event, but the store's chain differs before it: after one altered
            # event every later link does. Counted apart, not as altered and lost too
            # (one stored event altered read "lost 1364 … 1365 altered", probe 11).
            self.counts["relinked"] = self.counts.get("relinked", 0) + 1
            if self.counts["relinked"] == 1:
                self.examples.append(
                    f"relinked: {name} and the messages after it carry other links than "
                    f"the store's chain, from partition {raw.partition} offset {raw.offset}"
                )
        if self.home.setdefault(event.aggregate_id, raw.partition) != raw.partition:
            self.seen.add(key)
            self.fault("misrouted", raw, f"{name} is off its record's partition")
        elif key in self.seen:
            self.counts["republished"] = self.counts.get("republished", 0) + 1
        else:
            self.seen.add(key)
            if event.version < self.highest.get(event.aggregate_id, 0):
                self.fault("reordered", raw, f"{name} came after a later version")
            self.highest[event.aggregate_id] = max(
                event.version, self.highest.get(event.aggregate_id, 0)
            )


def _same(raw: RawRecord, event: EventEnvelope, expected: StoredEvent, tenant: str) -> bool:
    """Whether the message carries the stored event (its key, tenant and contents)."""
    key_ok = raw.key == event.aggregate_id.encode()
    return key_ok and event.tenant == tenant and event == expected.event


def examine_topic(
    tenant: str,
    topic: str,
    stored: Mapping[EventKey, StoredEvent],
    partitions: Iterable[Iterable[RawRecord]],
    parked: AbstractSet[tuple[int, int]] = frozenset(),
) -> TopicFindings:
    """Compares the records of each partition (in offset order) with the stored events.

    ``parked`` holds the (partition, offset) of the messages projectors parked.
    """
    walk = _Walk(tenant, stored, parked)
    messages = 0
    for records in partitions:
        for raw in records:
            messages += 1
            walk.visit(raw)
    lost = frozenset(stored.keys() - walk.seen)
    missing = [f"lost: {_name(stored[k].event)} is not on the topic" for k in sorted(lost)]
    c = walk.counts
    return TopicFindings(
        topic=topic,
        messages=messages,
        lost=lost,
        republished=c.get("republished", 0),
        reordered=c.get("reordered", 0),
        misrouted=c.get("misrouted", 0),
        altered=c.get("altered", 0),
        unknown=c.get("unknown", 0),
        undecodable=c.get("undecodable", 0),
        parked=c.get("parked", 0),
        relinked=c.get("relinked", 0),
        examples=first_examples(missing + walk.examples),
    )


def _name(event: EventEnvelope) -> str:
    return f"{event.aggregate_type} {event.aggregate_id} v{event.version}"
