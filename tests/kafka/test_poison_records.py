"""What the Kafka log adds to the contract: poison records surface, never vanish.

A record that is not an Entente event (bytes that are not a CloudEvent, a key
that is not the record id, an event of another tenant) is returned as an error
carrying its place and bytes, after the good records before it.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from shared.application.ledger import CooperationLedger
from shared.events import chain, wire
from shared.kafka.log import KafkaEventLog
from shared.kafka.names import events_topic
from shared.kafka.producer import KafkaPublisher
from shared.kafka.settings import KafkaSettings
from shared.kafka.topics import KafkaTopicAdmin
from shared.log.ports import UndecodableRecordError
from tests.kafka.conftest import REFERENCES, sign

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


@pytest.fixture
def kafka_settings(kafka_settings: KafkaSettings) -> KafkaSettings:
    """One partition, so the offsets below are those of one sequence."""
    return kafka_settings.model_copy(update={"partitions": 1})


@pytest.fixture
def topic(topic_admin: KafkaTopicAdmin, tenant: str) -> str:
    topic_admin.ensure_tenant_topics(tenant)
    return events_topic(tenant)


def good_messages(ledger: CooperationLedger, count: int) -> list[wire.WireMessage]:
    for _ in range(count):
        sign(ledger, f"A-{next(REFERENCES)}")
    head, messages = chain.genesis(ledger.tenant), []
    for _position, event in ledger.read_log(0, 100):
        head = chain.link(head, event)
        messages.append(wire.encode(event, head))
    return messages


def poisons(ledger: CooperationLedger) -> dict[str, wire.WireMessage]:
    (good,) = good_messages(ledger, 1)
    event, link = wire.decode(good.headers, good.value, good.key)
    foreign = wire.encode(replace(event, tenant="someone-else"), link)
    return {
        "not an Entente CloudEvent": wire.WireMessage(b"k", [("ce_id", b"1")], b"\xff not json"),
        "not the record id": replace(good, key=b"another-record"),
        "an event of tenant 'someone-else'": foreign,
    }


@pytest.mark.parametrize(
    "kind", ["not an Entente CloudEvent", "not the record id", "an event of tenant"]
)
def test_a_poison_record_stops_the_read_after_the_good_ones_with_its_place_and_bytes(
    kind: str,
    ledger: CooperationLedger,
    publisher: KafkaPublisher,
    event_log: KafkaEventLog,
    topic: str,
) -> None:
    poison = next(m for reason, m in poisons(ledger).items() if reason.startswith(kind))
    good = good_messages(ledger, 2)[-2:]
    publisher.publish(topic, [good[0], poison, good[1]])

    first = event_log.read(topic, 0, -1, 10)
    assert [r.offset for r in first] == [0]
    with pytest.raises(UndecodableRecordError) as poisoned:
        event_log.read(topic, 0, 0, 10)
    assert (poisoned.value.partition, poisoned.value.offset) == (0, 1)
    assert poisoned.value.topic == topic
    assert kind in poisoned.value.reason
    assert poisoned.value.raw.value == poison.value
    assert [r.offset for r in event_log.read(topic, 0, 1, 10)] == [2]  # parked: go on after it
