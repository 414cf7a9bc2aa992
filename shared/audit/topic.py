"""Reading a tenant's Kafka topics as a copy of its history, and its published checkpoints.

Every message of every partition of ``entente.<tenant>.events`` is decoded
(``shared.events.wire``) into an entry: the event's position, digest, and the
link the relay claims for it (``ce_chainhash``). What the topic shows on its
own is checked here:

- a message that is not an event of this tenant → inserted;
- a second message for one event id that differs from the first → altered
  (an identical one is a republication after a relay restart: ignored);
- within a partition, an event whose position is below one read before it
  (republications aside) → reordered (``out_of_order``: the caller keeps
  those of events the store holds; a forged event is reported as inserted).

Checkpoints come from ``entente.<tenant>.checkpoints``. Holding every entry in
memory (about 1 KB per event, for the canonical bytes) keeps the comparison
simple; a tenant's history is far below what that allows.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Protocol

from shared.audit.findings import Entry, Finding, Kind, differences
from shared.audit.progress import Interrupted, Never, Progress, Quiet, StopSignal
from shared.events import chain, wire
from shared.kafka.names import checkpoints_topic, events_topic
from shared.log.ports import RawRecord
from shared.relay.checkpoint import Checkpoint, decode_checkpoint

PAGE_SIZE = 1000
TOPIC = "topic"


class TopicReader(Protocol):
    """Raw reads by offset (``KafkaEventLog`` is one)."""

    def partitions(self, topic: str) -> list[int]: ...

    def read_raw(self, topic: str, partition: int, after: int, limit: int) -> list[RawRecord]: ...

    def end_offset(self, topic: str, partition: int) -> int: ...


@dataclass
class TopicCopy:
    """The topic's events (first message of each id), its own findings and the checkpoints."""

    entries: list[Entry] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    out_of_order: list[Finding] = field(default_factory=list)
    checkpoints: list[Checkpoint] = field(default_factory=list)
    messages: int = 0
    partitions: int = 0


def read_topic(
    reader: TopicReader,
    tenant: str,
    *,
    progress: Progress | None = None,
    stop: StopSignal | None = None,
) -> TopicCopy:
    """Every message of the tenant's event topic, then its checkpoints."""
    progress, stop = progress or Quiet(), stop or Never()
    topic, copy = events_topic(tenant), TopicCopy()
    partitions = reader.partitions(topic)
    copy.partitions = len(partitions)
    total = sum(reader.end_offset(topic, p) + 1 for p in partitions)
    progress.stage(f"topic {topic}", total)
    seen: dict[str, Entry] = {}
    for partition in partitions:
        highest, after = -1, -1
        while page := reader.read_raw(topic, partition, after, PAGE_SIZE):
            for record in page:
                highest = _take(copy, seen, tenant, record, highest)
            after = page[-1].offset
            progress.update(copy.messages)
            if stop.requested():
                raise Interrupted("stopped while reading the topic (it is read again on resume)")
    copy.checkpoints = read_checkpoints(reader, tenant, copy.findings)
    return copy


def read_checkpoints(
    reader: TopicReader, tenant: str, findings: list[Finding] | None = None
) -> list[Checkpoint]:
    """The tenant's checkpoints in publication order; undecodable ones become findings."""
    topic, found = checkpoints_topic(tenant), []
    for partition in reader.partitions(topic):
        after = -1
        while page := reader.read_raw(topic, partition, after, PAGE_SIZE):
            for record in page:
                try:
                    checkpoint = decode_checkpoint(record.headers, record.value)
                except wire.UndecodableMessageError as error:
                    _note(findings, None, f"{_where(record)} is not a checkpoint: {error}")
                    continue
                if checkpoint.tenant != tenant:
                    _note(findings, None, f"{_where(record)} is a checkpoint of another tenant")
                    continue
                found.append(checkpoint)
            after = page[-1].offset
    return found


def _take(
    copy: TopicCopy, seen: dict[str, Entry], tenant: str, record: RawRecord, highest: int
) -> int:
    """Adds one message; returns the highest position seen so far in its partition."""
    copy.messages += 1
    where = _where(record)
    try:
        event, claim = wire.decode(record.headers, record.value, record.key)
    except wire.UndecodableMessageError as error:
        _note(copy.findings, None, f"{where} is not an Entente event: {error}")
        return highest
    if event.tenant != tenant or (record.key or b"").decode(errors="replace") != event.aggregate_id:
        detail = f"{where} carries an event of tenant {event.tenant!r} keyed {record.key!r}"
        _note(copy.findings, event.position, detail)
        return highest
    canonical = chain.canonical(event)
    entry = Entry(
        position=event.position,
        event_id=event.id,
        aggregate_type=event.aggregate_type,
        aggregate_id=event.aggregate_id,
        version=event.version,
        digest=hashlib.sha256(canonical).hexdigest(),
        link="",
        claim=claim,
        where=where,
        canonical=canonical,
    )
    first = seen.get(event.id)
    if first is not None:
        if not (first.digest == entry.digest and first.claim == entry.claim):
            copy.findings.append(_second_copy(first, entry))
        return highest  # republished (or already reported): never an order problem
    seen[event.id] = entry
    copy.entries.append(entry)
    if entry.position < highest:
        copy.out_of_order.append(
            Finding(
                Kind.REORDERED,
                TOPIC,
                entry.position,
                f"{where} holds position {entry.position} after position {highest} "
                "in the same partition",
                "the partition's order",
                entry.record,
                entry.event_id,
            )
        )
    return max(highest, entry.position)


def _second_copy(first: Entry, second: Entry) -> Finding:
    assert first.canonical is not None
    assert second.canonical is not None
    what = differences(first.canonical, second.canonical)
    if first.digest == second.digest:
        what = f"its chain hash {second.claim} differs from {first.claim}"
    return Finding(
        Kind.ALTERED,
        TOPIC,
        second.position,
        f"{second.where} is a second, different message for the event at {first.where}: {what}",
        "the first message of the same event",
        second.record,
        second.event_id,
    )


def _note(findings: list[Finding] | None, position: int | None, detail: str) -> None:
    if findings is not None:
        findings.append(Finding(Kind.INSERTED, TOPIC, position, detail, "the message format"))


def _where(record: RawRecord) -> str:
    return f"{record.topic}[{record.partition}]@{record.offset}"
