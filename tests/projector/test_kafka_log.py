"""Against a real broker: poison on a tenant topic is parked on its dead-letter topic.

Real events and three poison messages (not a CloudEvent, an unknown type, a
schema violation) are published to a tenant topic of this test only; the
projector reads it through ``KafkaEventLog``, applies every event, publishes
each poison message on ``….events.dlt`` (acknowledged) and records it in the
views, and a second pass parks nothing again.
"""

from __future__ import annotations

import json
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
from shared.kafka.dead_letters import KafkaDeadLetters
from shared.kafka.errors import TopicMissingError
from shared.kafka.log import KafkaEventLog
from shared.kafka.names import dead_letter_topic
from shared.kafka.producer import KafkaPublisher
from shared.kafka.settings import KafkaSettings
from shared.kafka.topics import KafkaTopicAdmin
from shared.views.dead_letters import parked_count
from shared.views.projector import Projector
from shared.views.sqlite import SqliteViewStore

from .support import TENANT, TOPIC, Recording, record_some

pytestmark = pytest.mark.kafka


@pytest.fixture
def kafka(kafka_bootstrap: str, unique: str) -> KafkaSettings:
    """Two partitions per event topic, in a namespace of this test only."""
    settings = KafkaSettings(
        bootstrap_servers=kafka_bootstrap,
        topic_prefix=f"t{unique}.",
        partitions=2,
        bootstrap_timeout_ms=5_000,
        request_timeout_ms=5_000,
        delivery_timeout_ms=10_000,
        read_timeout_ms=10_000,
    )
    admin = KafkaTopicAdmin(settings)
    admin.ensure_tenant_topics(TENANT)
    admin.close()
    return settings


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
