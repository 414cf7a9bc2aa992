"""Verify against the Kafka log: the store and the topic compared event by event, and both
against the published checkpoints — each tampering caught, with the copy that is wrong.

The relay publishes a small history (checkpoints every 4 events). Database
tampering runs on SQLite and PostgreSQL; topic tampering appends forged
messages to the topic, or rebuilds it elsewhere with a message skipped or two
messages swapped (a topic cannot be edited in place).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest
from eventsourcing.utils import get_topic
from typer.testing import CliRunner

from shared.application.ledger import CooperationLedger
from shared.application.receipt import CommandReceipt
from shared.application.stores import EventStoreConfig
from shared.audit.bundle import verify_bundle
from shared.audit.export import export_bundle
from shared.audit.findings import Finding, Kind, VerifyReport
from shared.audit.topic import read_checkpoints
from shared.audit.verify import verify_tenant
from shared.cli.main import app
from shared.events import chain, wire
from shared.events.envelope import EventEnvelope
from shared.events.wire import WireMessage
from shared.kafka.log import KafkaEventLog
from shared.kafka.names import checkpoints_topic, events_topic
from shared.kafka.producer import KafkaPublisher
from shared.kafka.settings import KafkaSettings
from shared.kafka.topics import KafkaTopicAdmin
from shared.log.ports import RawRecord
from shared.relay.relay import Relay, RelayOptions
from shared.relay.state import relay_state_store

from .conftest import TENANT
from .support import StoreTamper, write_history

pytestmark = pytest.mark.kafka


def _settings(bootstrap: str) -> KafkaSettings:
    return KafkaSettings(
        bootstrap_servers=bootstrap,
        topic_prefix=f"a{uuid4().hex[:10]}.",
        partitions=3,
        bootstrap_timeout_ms=5_000,
        request_timeout_ms=5_000,
        delivery_timeout_ms=10_000,
        read_timeout_ms=10_000,
    )


def _topics(settings: KafkaSettings) -> None:
    admin = KafkaTopicAdmin(settings)
    try:
        admin.ensure_tenant_topics(TENANT)
    finally:
        admin.close()


@pytest.fixture
def kafka(kafka_bootstrap: str) -> KafkaSettings:
    settings = _settings(kafka_bootstrap)
    _topics(settings)
    return settings


@pytest.fixture
def topic(kafka: KafkaSettings) -> Iterator[KafkaEventLog]:
    log = KafkaEventLog(kafka)
    yield log
    log.close()


@pytest.fixture
def published(
    ledger: CooperationLedger, store: EventStoreConfig, kafka: KafkaSettings
) -> list[int]:
    """The history, relayed; its positions."""
    write_history(ledger)
    publisher, state = KafkaPublisher(kafka), relay_state_store(store, TENANT)
    try:
        Relay(ledger, publisher, state, RelayOptions(checkpoint_every=4)).catch_up()
    finally:
        publisher.close()
        state.close()
    return [position for position, _ in ledger.read_log(0, 1000)]


def _first(report: VerifyReport) -> Finding:
    assert report.first is not None, report.as_json()
    return report.first


def _messages(log: KafkaEventLog, topic: str) -> list[RawRecord]:
    return [r for p in log.partitions(topic) for r in log.read_raw(topic, p, -1, 1000)]


def _decoded(record: RawRecord) -> tuple[EventEnvelope, str]:
    return wire.decode(record.headers, record.value, record.key)


def _copy(bootstrap: str, events: list[RawRecord], checkpoints: list[RawRecord]) -> KafkaEventLog:
    """A fresh topic set holding ``events`` (in this order) and the checkpoints."""
    settings = _settings(bootstrap)
    _topics(settings)
    publisher = KafkaPublisher(settings)
    try:
        for record in events:  # one by one, so the order within each partition is this order
            publisher.publish(
                events_topic(TENANT), [WireMessage(record.key or b"", record.headers, record.value)]
            )
        publisher.publish(
            checkpoints_topic(TENANT),
            [WireMessage(r.key or b"", r.headers, r.value) for r in checkpoints],
        )
    finally:
        publisher.close()
    return KafkaEventLog(settings)


def test_an_untouched_history_verifies_against_topic_and_checkpoints(
    ledger: CooperationLedger, published: list[int], topic: KafkaEventLog
) -> None:
    report = verify_tenant(ledger, topic=topic)

    assert report.ok, [f.line() for f in report.findings]
    assert report.witnesses[-1] == "topic: 9 messages in 3 partitions, 9 events, 3 checkpoints"
    assert report.last_position == published[-1]


@pytest.mark.parametrize(
    ("case", "kind"),
    [
        ("update-state", Kind.ALTERED),
        ("delete-row", Kind.MISSING),
        ("insert-forged-row", Kind.INSERTED),
        ("swap-order", Kind.REORDERED),
    ],
)
def test_database_tampering_is_blamed_on_the_store(
    ledger: CooperationLedger,
    postgres: str | None,
    published: list[int],
    topic: KafkaEventLog,
    case: str,
    kind: Kind,
) -> None:
    tamper = StoreTamper(ledger, postgres)
    where = {"update-state": published[3], "delete-row": published[4], "swap-order": published[1]}
    if case == "update-state":
        tamper.update_state(published[3], lambda state: state.update(summary="Avenant falsifié"))
    elif case == "delete-row":
        tamper.delete(published[4])
    elif case == "swap-order":
        tamper.swap(published[1], published[5])
    else:
        receipts = tamper.topics(get_topic(CommandReceipt.Issued))
        slot = next(p for p in range(1, published[-1]) if p in receipts)
        tamper.delete(slot)  # a command receipt: not part of the chain (a claim's slot
        # would be a finding of its own: the agreement whose reference it held)
        tamper.insert_copy(published[0], slot, uuid4(), 1)
        where[case] = slot

    report = verify_tenant(ledger, topic=topic)

    first = _first(report)
    assert (first.kind, first.source, first.position) == (kind, "store", where[case])
    assert first.witness == "the topic"
    checkpoint_findings = [f for f in report.findings if "checkpoint" in f.witness]
    assert {f.source for f in checkpoint_findings} == {"store"}  # the topic still matches them


def test_a_forged_message_for_a_new_event_is_an_insertion_in_the_topic(
    ledger: CooperationLedger, published: list[int], topic: KafkaEventLog, kafka: KafkaSettings
) -> None:
    records = sorted(_messages(topic, events_topic(TENANT)), key=lambda r: _decoded(r)[0].position)
    genuine, claim = _decoded(records[0])
    slot = next(p for p in range(1, published[-1]) if p not in published)
    record_id = str(uuid4())
    forged = dataclasses.replace(
        genuine,
        id=str(uuid4()),
        aggregate_id=record_id,
        subject=record_id,
        position=slot,
        data={**genuine.data, "title": "Accord fictif"},
    )
    publisher = KafkaPublisher(kafka)
    publisher.publish(events_topic(TENANT), [wire.encode(forged, chain.link(claim, forged))])
    publisher.close()

    first = _first(verify_tenant(ledger, topic=topic))

    assert (first.kind, first.source, first.position) == (Kind.INSERTED, "topic", slot)
    assert first.event_id == forged.id


def test_a_second_different_message_for_an_event_is_an_alteration_of_the_topic(
    ledger: CooperationLedger, published: list[int], topic: KafkaEventLog, kafka: KafkaSettings
) -> None:
    records = sorted(_messages(topic, events_topic(TENANT)), key=lambda r: _decoded(r)[0].position)
    genuine, claim = _decoded(records[3])
    forged = dataclasses.replace(genuine, data={**genuine.data, "summary": "Avenant falsifié"})
    publisher = KafkaPublisher(kafka)
    publisher.publish(events_topic(TENANT), [wire.encode(forged, claim)])
    publisher.close()

    first = _first(verify_tenant(ledger, topic=topic))

    assert (first.kind, first.source, first.position) == (Kind.ALTERED, "topic", published[3])
    assert 'data.summary: "Avenant 1" became "Avenant falsifié"' in first.detail


def test_a_skipped_message_is_missing_from_the_topic(
    ledger: CooperationLedger, published: list[int], topic: KafkaEventLog, kafka_bootstrap: str
) -> None:
    events = _messages(topic, events_topic(TENANT))
    skipped = [r for r in events if _decoded(r)[0].position != published[4]]
    copy = _copy(kafka_bootstrap, skipped, _messages(topic, checkpoints_topic(TENANT)))

    report = verify_tenant(ledger, topic=copy)
    copy.close()

    first = _first(report)
    assert (first.kind, first.source, first.position) == (Kind.MISSING, "topic", published[4])
    assert first.witness == "the store"


def test_two_messages_swapped_in_a_partition_are_reordered_in_the_topic(
    ledger: CooperationLedger, published: list[int], topic: KafkaEventLog, kafka_bootstrap: str
) -> None:
    events = _messages(topic, events_topic(TENANT))
    one_record = [r for r in events if r.key == events[0].key]  # one key: one partition
    i, j = events.index(one_record[0]), events.index(one_record[1])
    events[i], events[j] = events[j], events[i]
    copy = _copy(kafka_bootstrap, events, _messages(topic, checkpoints_topic(TENANT)))

    report = verify_tenant(ledger, topic=copy)
    copy.close()

    first = _first(report)
    expected = _decoded(one_record[0])[0].position
    assert (first.kind, first.source, first.position) == (Kind.REORDERED, "topic", expected)
    assert "in the same partition" in first.detail


def test_an_export_carries_the_published_checkpoints_and_checks_them_offline(
    ledger: CooperationLedger, published: list[int], topic: KafkaEventLog, tmp_path: Path
) -> None:
    checkpoints = read_checkpoints(topic, TENANT)

    manifest = export_bundle(ledger, tmp_path / "bundle.zip", checkpoints=checkpoints)

    assert [c["size"] for c in manifest["checkpoints"]] == [4, 8, 9]
    assert manifest["checkpoints"][-1]["head"] == manifest["head"]
    report = verify_bundle(tmp_path / "bundle.zip")
    assert report.ok, [f.line() for f in report.findings]
    assert report.witnesses[-1] == "3 checkpoints in the manifest"


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)  # found under ENTENTE_DATA_DIR
def test_the_command_reads_the_topic_when_told_to(
    ledger: CooperationLedger, published: list[int], kafka: KafkaSettings, tmp_path: Path
) -> None:
    env = {
        "ENTENTE_DATA_DIR": str(tmp_path),
        "ENTENTE_TENANTS": '["police"]',
        "ENTENTE_EVENT_LOG": "kafka",
        "ENTENTE_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "ENTENTE_KAFKA_TOPIC_PREFIX": kafka.topic_prefix,
    }
    runner = CliRunner(env=env)

    verified = runner.invoke(app, ["audit", "verify", "police"])
    exported = runner.invoke(app, ["audit", "export", "police", "--out", str(tmp_path / "b.zip")])
    StoreTamper(ledger).delete(published[-1])
    tampered = runner.invoke(app, ["audit", "verify", "police"])

    assert verified.exit_code == 0, verified.output
    assert "topic: 9 messages in 3 partitions, 9 events, 3 checkpoints" in verified.output
    assert exported.exit_code == 0, exported.output
    assert "(3 checkpoints)" in exported.output
    assert tampered.exit_code == 1, tampered.output
    assert f"FIRST PROBLEM: MISSING in the store at position {published[-1]}" in tampered.output
