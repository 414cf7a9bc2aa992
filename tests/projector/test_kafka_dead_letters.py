"""Dead letters on a Kafka topic: acknowledged before the tracking commits, or nothing moves.

A recording publisher stands in for the broker here (what it saw, and what the
views held at that moment); ``test_kafka_log.py`` runs the same against a real one.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence

import pytest

from shared.events.wire import WireMessage
from shared.kafka.dead_letters import KafkaDeadLetters, dead_letter_message, tenant_of
from shared.kafka.errors import PublishFailedError
from shared.views.dead_letters import DeadLetter, parked_count
from shared.views.errors import DeadLetterPublishError
from shared.views.projector import Projector
from shared.views.runner import ProjectorThread
from shared.views.store import ViewStore
from shared.views.tracking import tracked_offset

from .support import (
    POISON,
    TENANT,
    TOPIC,
    PoisonLog,
    Recording,
    clock,
    garbage,
    spaced,
    wait_until,
    with_poison,
)


class RecordingPublisher:
    """Publishes nowhere; remembers each message and what the views held when it was sent."""

    def __init__(self, store: ViewStore, failures: int = 0) -> None:
        self.store = store
        self.failures = failures
        self.sent: list[tuple[str, WireMessage]] = []
        self.committed_then: list[tuple[int, int]] = []  # (tracked offset, parked) seen

    def publish(self, topic: str, messages: Sequence[WireMessage]) -> None:
        with self.store.read(TENANT) as session:  # another connection: committed state only
            seen = (tracked_offset(session, TOPIC, 0), parked_count(session))
        self.committed_then.append(seen)
        if self.failures:
            self.failures -= 1
            raise PublishFailedError("the broker did not acknowledge (simulated)")
        self.sent.extend((topic, message) for message in messages)


@pytest.mark.parametrize("kind", list(POISON))
def test_a_letter_is_acknowledged_before_the_tracking_moves_past_it(
    store: ViewStore, scenario: Recording, kind: str
) -> None:
    records = spaced(scenario)
    items, poison = with_poison(records, kind, after=4)
    publisher = RecordingPublisher(store)
    parking = KafkaDeadLetters(publisher)

    Projector(store, PoisonLog(items), [TENANT], dead_letters=parking, clock=clock).catch_up()

    ((topic, message),) = publisher.sent
    assert topic == "entente.police.events.dlt"
    assert message.key == f"{TOPIC}:0:{poison.offset}".encode()
    ((tracked_then, parked_then),) = publisher.committed_then  # sent inside the transaction:
    assert tracked_then < poison.offset  # the tracking had not moved past it yet
    assert parked_then == 0
    with store.read(TENANT) as session:
        assert (tracked_offset(session, TOPIC, 0), parked_count(session)) == (
            records[-1].offset,
            1,
        )


def test_a_letter_the_broker_did_not_acknowledge_moves_nothing_and_is_retried(
    store: ViewStore, scenario: Recording
) -> None:
    records = spaced(scenario)
    items, poison = with_poison(records, "undecodable", after=0)
    publisher = RecordingPublisher(store, failures=2)
    projector = Projector(
        store, PoisonLog(items), [TENANT], dead_letters=KafkaDeadLetters(publisher), clock=clock
    )

    with pytest.raises(DeadLetterPublishError, match=rf"@{poison.offset}"):
        projector.run_once()  # the event before the poison is applied, then this batch fails
    with store.read(TENANT) as session:
        assert (tracked_offset(session, TOPIC, 0), parked_count(session)) == (records[0].offset, 0)

    runner = ProjectorThread(projector, poll_interval=0.01)  # retries: not a projection error
    runner.start()
    try:
        assert wait_until(lambda: len(publisher.sent) == 1 and runner.failure is None)
        assert wait_until(lambda: runner.last_pass_at is not None)
    finally:
        runner.stop()
    assert not runner.stopped_by_error
    with store.read(TENANT) as session:
        assert (tracked_offset(session, TOPIC, 0), parked_count(session)) == (
            records[-1].offset,
            1,
        )


def test_the_message_carries_where_and_what_in_headers_and_why_in_its_value() -> None:
    raw = garbage(41)
    letter = DeadLetter(
        topic=TOPIC,
        partition=0,
        offset=41,
        kind="undecodable",
        reason="not an Entente CloudEvent: 'Claire Martin' is not a date",
        parked_at=clock(),
        key=raw.key,
        headers=tuple(raw.headers),
        value=raw.value,
    )

    message = dead_letter_message(letter)

    assert message.key == b"entente.police.events:0:41"
    assert dict(message.headers) == {
        "entente_dlt_topic": b"entente.police.events",
        "entente_dlt_partition": b"0",
        "entente_dlt_offset": b"41",
        "entente_dlt_kind": b"undecodable",
    }  # no reason there: it can quote personal data, which never goes in a header
    body = json.loads(message.value)
    assert body["reason"] == letter.reason
    assert body["parked_at"] == "2014-06-01T12:00:00+00:00"
    assert base64.b64decode(body["value"]) == raw.value
    assert [[n, base64.b64decode(v)] for n, v in body["headers"]] == [["ce_type", b"x"]]


def test_only_tenant_event_topics_have_a_dead_letter_topic() -> None:
    assert tenant_of("entente.civil-protection.events") == "civil-protection"
    for wrong in ("entente.police.checkpoints", "police", "entente..events"):
        with pytest.raises(ValueError, match="not a tenant's event topic"):
            tenant_of(wrong)
