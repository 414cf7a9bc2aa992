"""Against a real broker: poison on a tenant topic is parked on its dead-letter topic.

Real events and three poison messages (not a CloudEvent, an unknown type, a
schema violation) are published to a tenant topic of this test only; the
projector reads it through ``KafkaEventLog``, applies every event, publishes
each poison message on ``….events.dlt`` (acknowledged) and records it in the
views, and a second pass parks nothing again.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from services.projector.settings import ProjectorSettings
from services.projector.sources import open_sources
from services.projector.status import tenant_status
from shared.events import wire
from shared.events.envelope import EventEnvelope
from shared.kafka import log as kafka_log
from shared.kafka.dead_letters import KafkaDeadLetters
from shared.kafka.errors import TopicMissingError
from shared.kafka.log import KafkaEventLog
from shared.kafka.names import dead_letter_topic
from shared.kafka.producer import KafkaPublisher
from shared.kafka.settings import KafkaSettings
from shared.log.ports import LogRecord, UndecodableRecordError
from shared.views.dead_letters import parked_count
from shared.views.projector import Projector
from shared.views.sqlite import SqliteViewStore

from .support import TENANT, TOPIC, Recording, record_some

pytestmark = pytest.mark.kafka


def spoilt(event: EventEnvelope, **changes: Any) -> wire.WireMessage:
    """A message of a new record (so no version gap follows) with ``changes``."""
    record = str(uuid4())
    return wire.encode(replace(event, aggregate_id=record, subject=record, **changes), "0" * 64)


def test_poison_on_the_topic_is_parked_on_the_dead_letter_topic(
    kafka: KafkaSettings, recording: Recording, tmp_path: Path
) -> None:
    record_some(recording, records=4, amendments=2)
    events = [r.event for r in recording.records()]
    first = events[0]
    poison = [
        wire.WireMessage(b"k-1", [("ce_specversion", b"1.0")], b"\xff{not json"),
        spoilt(first, type="fr.interieur.entente.agreement.teleported.v1"),
        spoilt(first, data={**first.data, "kind": "not-a-kind"}),
    ]
    messages = [wire.encode(e, "0" * 64) for e in events[:6]] + poison
    messages += [wire.encode(e, "0" * 64) for e in events[6:]]
    publisher = KafkaPublisher(kafka)
    log, dlt_reader = KafkaEventLog(kafka), KafkaEventLog(kafka)
    store = SqliteViewStore(tmp_path / "views", [TENANT])
    try:
        publisher.publish(TOPIC, messages)
        parking = KafkaDeadLetters(publisher)

        consumed = Projector(store, log, [TENANT], dead_letters=parking).catch_up()

        assert consumed == len(events) + 3
        parked = dlt_reader.read_raw(dead_letter_topic(TENANT), 0, -1, 100)
        kinds = sorted(json.loads(r.value)["kind"] for r in parked)
        assert kinds == ["schema-violation", "undecodable", "unknown-type"]
        assert all(r.header("entente_dlt_topic") == TOPIC.encode() for r in parked)
        status = tenant_status(store, log, TENANT)
        assert status.parked == 3
        assert [p.lag for p in status.partitions] == [0, 0]
        assert [p.end_offset for p in status.partitions] == [
            log.end_offset(TOPIC, p) for p in (0, 1)
        ]

        assert Projector(store, log, [TENANT], dead_letters=parking).catch_up() == 0
        assert len(dlt_reader.read_raw(dead_letter_topic(TENANT), 0, -1, 100)) == 3
        with store.read(TENANT) as session:
            assert parked_count(session) == 3
    finally:
        store.dispose()
        publisher.close()
        log.close()
        dlt_reader.close()


def test_kafka_mode_reads_the_topics_and_parks_on_the_dead_letter_topic(
    kafka: KafkaSettings, tmp_path: Path
) -> None:
    settings = ProjectorSettings(data_dir=tmp_path, tenants=[TENANT], event_log="kafka")

    sources = open_sources(settings, [TENANT], kafka)

    try:
        assert isinstance(sources.log, KafkaEventLog)
        assert isinstance(sources.dead_letters, KafkaDeadLetters)
        assert sources.status_log.partitions(TOPIC) == [0, 1]
    finally:
        sources.close()


def test_kafka_mode_refuses_to_start_without_the_tenant_topics(
    kafka: KafkaSettings, tmp_path: Path
) -> None:
    settings = ProjectorSettings(data_dir=tmp_path, tenants=["gendarmerie"], event_log="kafka")

    with pytest.raises(TopicMissingError, match="gendarmerie"):
        open_sources(settings, ["gendarmerie"], kafka)


def test_a_topic_missing_or_a_partition_it_lacks_is_named_as_the_broker_names_it(
    kafka: KafkaSettings, recording: Recording
) -> None:
    """The deployment's prefix included: the errors named "gendarmerie.events", which the
    operator, listing the broker's topics, did not find (probe 11)."""
    _publish_spread(kafka, recording, records=1)
    log = KafkaEventLog(kafka)
    try:
        with pytest.raises(Exception, match="no topic") as missing:
            log.partitions("gendarmerie.events")
        with pytest.raises(Exception, match="has no partition 99") as lacking:
            log.read(TOPIC, 99, -1, 10)
    finally:
        log.close()

    assert repr(kafka.physical("gendarmerie.events")) in str(missing.value)
    assert repr(kafka.physical(TOPIC)) in str(lacking.value)
    assert kafka.topic_prefix
    assert kafka.physical(TOPIC).startswith(kafka.topic_prefix)


def _publish_spread(kafka: KafkaSettings, recording: Recording, records: int) -> None:
    """``records`` agreements (two amendments each), spread over both partitions by key."""
    record_some(recording, records=records, amendments=2)
    publisher = KafkaPublisher(kafka)
    try:
        publisher.publish(TOPIC, [wire.encode(r.event, "0" * 64) for r in recording.records()])
    finally:
        publisher.close()


def _reference(kafka: KafkaSettings) -> dict[int, list[LogRecord]]:
    """Each partition read whole by a log of its own (one read, from the start)."""
    fresh = KafkaEventLog(kafka)
    try:
        return {p: fresh.read(TOPIC, p, -1, 100_000) for p in fresh.partitions(TOPIC)}
    finally:
        fresh.close()


@pytest.mark.parametrize(
    ("assigned", "buffered"), [(64, 4000), (1, 3)], ids=["defaults", "one-partition-tiny-buffers"]
)
def test_interleaved_pages_re_reads_and_reads_past_the_end_return_exactly_the_log(
    kafka: KafkaSettings,
    recording: Recording,
    monkeypatch: pytest.MonkeyPatch,
    assigned: int,
    buffered: int,
) -> None:
    """As the projector reads: each partition in turn, from where it stopped, or elsewhere.

    The second case keeps one partition assigned (each switch forgets the
    other's buffer) and pauses a partition holding three unread records.
    """
    monkeypatch.setattr(kafka_log, "ASSIGNED_PARTITIONS", assigned)
    monkeypatch.setattr(kafka_log, "BUFFERED_RECORDS", buffered)
    _publish_spread(kafka, recording, records=30)
    expected = _reference(kafka)
    assert all(len(records) > 5 for records in expected.values())
    log = KafkaEventLog(kafka)
    try:
        # Pages of every size, partitions in turn, as the projector reads them.
        for limit in (1, 2, 7, 1000):
            seen: dict[int, list[LogRecord]] = {p: [] for p in expected}
            progress = True
            while progress:
                progress = False
                for p in expected:
                    after = seen[p][-1].offset if seen[p] else -1
                    page = log.read(TOPIC, p, after, limit)
                    assert len(page) <= limit
                    seen[p].extend(page)
                    progress = progress or bool(page)
            assert seen == expected
        # Re-reads from earlier (a rebuild, a batch rolled back), later, and past the end.
        for p, records in expected.items():
            last = records[-1].offset
            for after in (-1, 3, 0, last - 1, 2, last, last + 5, 1, -1):
                want = [r for r in records if r.offset > after][:4]
                assert log.read(TOPIC, p, after, 4) == want, (p, after)
            assert log.read(TOPIC, p, last, 10) == []
            assert log.end_offset(TOPIC, p) == last
        # A record written after the buffer caught up is seen by the next read.
        before = {p: records[-1].offset for p, records in expected.items()}
        recording.sign("LATE-1")
        newest = recording.records()[-1].event
        publisher = KafkaPublisher(kafka)
        try:
            publisher.publish(TOPIC, [wire.encode(newest, "0" * 64)])
        finally:
            publisher.close()
        late = [r for p in expected for r in log.read(TOPIC, p, before[p], 100)]
        assert [r.event.aggregate_id for r in late] == [newest.aggregate_id]
        assert [r.offset for r in late] == [before[late[0].partition] + 1]
    finally:
        log.close()


def test_poison_in_the_middle_of_a_buffer_surfaces_at_its_offset_once_per_read(
    kafka: KafkaSettings, recording: Recording
) -> None:
    record_some(recording, records=3, amendments=2)
    events = [r.event for r in recording.records()]
    amended = next(e.aggregate_id for e in events if e.version > 1)
    first = next(i for i, e in enumerate(events) if e.aggregate_id == amended)
    key = amended.encode()  # the poison goes between that record's events, on its partition
    poison = wire.WireMessage(key, [("ce_specversion", b"1.0")], b"\xff{not json")
    messages = [wire.encode(e, "0" * 64) for e in events[: first + 1]] + [poison]
    messages += [wire.encode(e, "0" * 64) for e in events[first + 1 :]]
    publisher = KafkaPublisher(kafka)
    log = KafkaEventLog(kafka)
    try:
        publisher.publish(TOPIC, messages)
        partition = next(
            p
            for p in log.partitions(TOPIC)
            if any(r.key == key for r in log.read_raw(TOPIC, p, -1, 100))
        )
        raw = log.read_raw(TOPIC, partition, -1, 100)  # the whole partition is buffered now
        bad = next(r.offset for r in raw if r.value == poison.value)
        good_before = [r.offset for r in raw if r.offset < bad]
        good_after = [r.offset for r in raw if r.offset > bad]
        assert good_before
        assert good_after

        assert [r.offset for r in log.read(TOPIC, partition, -1, 100)] == good_before
        assert [r.offset for r in log.read(TOPIC, partition, -1, 1)] == good_before[:1]
        for _ in range(2):  # the projector reads it again to find what comes before it
            with pytest.raises(UndecodableRecordError) as poisoned:
                log.read(TOPIC, partition, good_before[-1], 100)
            assert (poisoned.value.partition, poisoned.value.offset) == (partition, bad)
            assert poisoned.value.raw.value == poison.value
        assert [r.offset for r in log.read(TOPIC, partition, bad, 100)] == good_after
        assert [r.offset for r in log.read(TOPIC, partition, -1, 100)] == good_before  # rebuild
    finally:
        publisher.close()
        log.close()


def test_a_caught_up_wait_returns_at_once_while_a_read_left_records_in_the_buffer(
    kafka: KafkaSettings, recording: Recording
) -> None:
    """A pass reads each partition until it brings nothing more, then waits for the broker;
    records fetched but not yet read (another partition's poll brought them, or a page
    stopped short) must not wait for new ones to arrive."""
    _publish_spread(kafka, recording, records=10)
    partition, records = max(_reference(kafka).items(), key=lambda item: len(item[1]))
    log = KafkaEventLog(kafka)
    try:
        first = log.read(TOPIC, partition, -1, 1)
        assert first == records[:1]  # the rest of the partition is fetched into its buffer
        started = time.monotonic()
        assert log.wait_for_records(20.0)
        assert time.monotonic() - started < 5.0  # nothing new arrived: the unread ones count
        rest = log.read(TOPIC, partition, first[0].offset, 100_000)
        assert rest == records[1:]
        started = time.monotonic()
        assert not log.wait_for_records(1.0)  # read to the end: now it waits for the broker
        assert time.monotonic() - started >= 0.9
    finally:
        log.close()
