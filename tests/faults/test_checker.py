"""The checker fails when it should: deliberately broken runs, each caught and counted.

Each test records a few hundred events, publishes them with the real relay
code and projects them with the real projector, into the real broker and
PostgreSQL, with one deliberate fault in between: a relay that loses a
message, one that swaps two events of a record, a message altered on the
way, a projector that applies an event twice, one that never sees an event.
The healthy run, with a page republished as after a relay crash, passes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from uuid import uuid4

import pytest

from shared.events import wire
from shared.events.envelope import EventEnvelope
from shared.events.wire import WireMessage
from shared.kafka.dead_letters import KafkaDeadLetters
from shared.kafka.names import events_topic
from shared.kafka.producer import KafkaPublisher
from shared.log.ports import EventLog, LogRecord
from shared.relay.ports import Publisher
from shared.relay.relay import Relay
from shared.views.handlers import HANDLERS
from shared.views.projector import Projector
from tests.faults.support import Tenant

pytestmark = [pytest.mark.faults, pytest.mark.kafka, pytest.mark.postgres, pytest.mark.timeout(120)]

ROOT = Path(__file__).resolve().parents[2]
EVENTS = 300
SEED = 20140603


@pytest.fixture
def publisher(tenant: Tenant) -> Iterator[KafkaPublisher]:
    publisher = KafkaPublisher(tenant.kafka)
    yield publisher
    publisher.close()


@pytest.fixture
def stored(tenant: Tenant) -> list[EventEnvelope]:
    """``EVENTS`` events recorded by the fault tests' writers, as the store holds them."""
    writers = tenant.writers(EVENTS, seed=SEED)
    for writer in writers:
        writer.join(timeout=60)
        assert writer.error is None
    events = [event for _, event in tenant.ledgers[0].read_log(0, 10 * EVENTS)]
    assert len(events) == EVENTS
    return events


def record_id(message: WireMessage) -> str:
    return message.key.decode()


def version(message: WireMessage) -> int:
    return int(dict(message.headers)["ce_recordversion"])


class Rewriting:
    """The real publisher, with a rewrite of each page of events (what a broken relay does)."""

    def __init__(
        self,
        publisher: KafkaPublisher,
        tenant: str,
        rewrite: Callable[[list[WireMessage]], list[WireMessage]],
    ) -> None:
        self._publisher = publisher
        self._topic = events_topic(tenant)
        self._rewrite = rewrite

    def publish(self, topic: str, messages: Sequence[WireMessage]) -> None:
        page = list(messages)
        self._publisher.publish(topic, self._rewrite(page) if topic == self._topic else page)

    def close(self) -> None:
        self._publisher.close()


def relay(tenant: Tenant, publisher: Publisher) -> None:
    Relay(tenant.ledgers[0], publisher, tenant.relay_state).catch_up()


def project(tenant: Tenant, log: EventLog | None = None) -> None:
    Projector(tenant.views, log or tenant.log, [tenant.name]).catch_up()


def second_versions(page: list[WireMessage]) -> tuple[int, int]:
    """Indexes of the first record's versions 1 and 2 in a page holding both."""
    first = {}
    for index, message in enumerate(page):
        key = (record_id(message), version(message))
        first[key] = index
        if key[1] == 2 and (key[0], 1) in first:
            return first[(key[0], 1)], index
    raise AssertionError("no record with versions 1 and 2 in this page")


def test_a_healthy_run_with_a_republished_page_passes(
    tenant: Tenant, stored: list[EventEnvelope], publisher: KafkaPublisher
) -> None:
    republished: list[WireMessage] = []

    def remember(page: list[WireMessage]) -> list[WireMessage]:
        republished.extend(page[:50])  # acknowledged, then the relay died before saving
        return page

    relay(tenant, Rewriting(publisher, tenant.name, remember))
    publisher.publish(tenant.topic, republished)
    project(tenant)

    report = tenant.check()

    assert report.ok, report.summary()
    assert (report.lost, report.duplicated, report.reordered, report.republished) == (0, 0, 0, 50)
    assert report.topic is not None
    assert report.topic.messages == EVENTS + 50
    assert "check of" in report.summary()
    assert "OK" in report.summary().splitlines()[0]


def test_a_relay_that_loses_a_message_is_caught(
    tenant: Tenant, stored: list[EventEnvelope], publisher: KafkaPublisher
) -> None:
    victim = stored[EVENTS // 2]

    def drop(page: list[WireMessage]) -> list[WireMessage]:
        return [m for m in page if (record_id(m), version(m)) != _key(victim)]

    relay(tenant, Rewriting(publisher, tenant.name, drop))

    report = tenant.check(views=False)

    assert not report.ok
    assert (report.lost, report.duplicated, report.reordered) == (1, 0, 0)
    assert report.topic is not None
    assert report.topic.lost == {_key(victim)}
    assert f"lost: {victim.aggregate_type} {victim.aggregate_id} v{victim.version}" in (
        report.summary()
    )


def test_a_relay_that_swaps_two_events_of_a_record_is_caught(
    tenant: Tenant, stored: list[EventEnvelope], publisher: KafkaPublisher
) -> None:
    def swap(page: list[WireMessage]) -> list[WireMessage]:
        one, two = second_versions(page)
        page[one], page[two] = page[two], page[one]
        return page

    relay(tenant, Rewriting(publisher, tenant.name, swap))

    report = tenant.check(views=False)

    assert not report.ok
    assert (report.lost, report.duplicated, report.reordered) == (0, 0, 1)
    assert "FAILED" in report.summary()


def test_a_message_altered_on_the_way_is_caught(
    tenant: Tenant, stored: list[EventEnvelope], publisher: KafkaPublisher
) -> None:
    victim = stored[7]

    def alter(page: list[WireMessage]) -> list[WireMessage]:
        return [_altered(m) if (record_id(m), version(m)) == _key(victim) else m for m in page]

    relay(tenant, Rewriting(publisher, tenant.name, alter))

    report = tenant.check(views=False)

    assert not report.ok
    assert report.topic is not None
    assert report.topic.altered == 1
    assert report.topic.lost == {_key(victim)}


def _altered(message: WireMessage) -> WireMessage:
    event, link = wire.decode(message.headers, message.value, message.key)
    return wire.encode(replace(event, data={**event.data, "title": "Accord falsifié"}), link)


def test_a_projector_that_applies_an_event_twice_is_caught(
    tenant: Tenant, stored: list[EventEnvelope], publisher: KafkaPublisher
) -> None:
    relay(tenant, publisher)
    project(tenant)
    last = {event.aggregate_id: event for event in stored}
    amended = next(e for e in last.values() if e.event_name == "amended")
    with tenant.views.write(tenant.name) as session:  # past the version check of apply_record
        HANDLERS[amended.type](session, amended)

    report = tenant.check()

    assert not report.ok
    assert (report.lost, report.duplicated, report.reordered) == (0, 1, 0)
    assert report.views is not None
    assert not report.views.equal_to_rebuild
    assert f"diverged: {amended.aggregate_id} at v{amended.version}" in report.summary()
    assert "lost 0, duplicated or altered 1 (`entente audit verify " in report.summary()


class Hiding:
    """The real log, except that one event never reaches the reader."""

    def __init__(self, log: EventLog, hidden: tuple[str, int]) -> None:
        self._log = log
        self._hidden = hidden

    def topics(self) -> list[str]:
        return self._log.topics()

    def partitions(self, topic: str) -> list[int]:
        return self._log.partitions(topic)

    def read(self, topic: str, partition: int, after: int, limit: int) -> list[LogRecord]:
        records = self._log.read(topic, partition, after, limit)
        return [r for r in records if _key(r.event) != self._hidden]

    def end_offset(self, topic: str, partition: int) -> int:
        return self._log.end_offset(topic, partition)


def test_a_projector_that_never_sees_an_event_is_caught(
    tenant: Tenant, stored: list[EventEnvelope], publisher: KafkaPublisher
) -> None:
    relay(tenant, publisher)
    last = {event.aggregate_id: event for event in stored}
    hidden = next(e for e in last.values() if e.version > 1)  # its last event: no gap follows
    project(tenant, Hiding(tenant.log, _key(hidden)))

    report = tenant.check()

    assert not report.ok
    assert (report.lost, report.duplicated, report.reordered) == (1, 0, 0)
    assert report.views is not None
    assert report.views.not_applied == {_key(hidden)}
    assert report.topic is not None
    assert report.topic.ok


def poison(template: EventEnvelope) -> list[WireMessage]:
    """An undecodable message, and an event of a type no handler knows (of a new record)."""
    garbage = WireMessage(key=b"k-1", headers=[("ce_type", b"x")], value=b"\xff{not json")
    record = str(uuid4())
    teleported = "fr.interieur.entente.agreement.teleported.v1"
    event = replace(
        template, id=str(uuid4()), type=teleported, aggregate_id=record, subject=record, version=1
    )
    return [garbage, wire.encode(event, "00" * 32)]


def test_poison_messages_fail_the_topic_check_until_the_projector_parked_them(
    tenant: Tenant, stored: list[EventEnvelope], publisher: KafkaPublisher
) -> None:
    relay(tenant, publisher)
    publisher.publish(tenant.topic, poison(stored[0]))

    unparked = tenant.check(views=False)
    project(tenant)
    parked = tenant.check()

    assert unparked.topic is not None
    assert (unparked.topic.undecodable, unparked.topic.unknown, unparked.topic.parked) == (1, 1, 0)
    assert not unparked.ok
    assert parked.topic is not None
    assert (parked.topic.undecodable, parked.topic.unknown, parked.topic.parked) == (0, 0, 2)
    assert parked.ok, parked.summary()
    assert "2 parked by the projector" in parked.summary()


def test_messages_parked_on_the_dead_letter_topic_pass_the_check_without_the_views(
    tenant: Tenant, stored: list[EventEnvelope], publisher: KafkaPublisher
) -> None:
    relay(tenant, publisher)
    publisher.publish(tenant.topic, poison(stored[0]))
    parking = KafkaDeadLetters(publisher)  # as the deployed projector parks
    Projector(tenant.views, tenant.log, [tenant.name], dead_letters=parking).catch_up()

    report = tenant.check(views=False)

    assert report.topic is not None
    assert (report.topic.undecodable, report.topic.unknown, report.topic.parked) == (0, 0, 2)
    assert report.ok, report.summary()


def test_entente_check_exits_1_and_prints_the_counts_on_a_broken_run(
    tenant: Tenant, stored: list[EventEnvelope], publisher: KafkaPublisher, tmp_path: Path
) -> None:
    victim = stored[-1]

    def drop(page: list[WireMessage]) -> list[WireMessage]:
        return [m for m in page if (record_id(m), version(m)) != _key(victim)]

    relay(tenant, Rewriting(publisher, tenant.name, drop))
    project(tenant)

    done = subprocess.run(
        [str(Path(sys.executable).with_name("entente")), "check", tenant.name],
        cwd=ROOT,
        env=_service_env(tenant, tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 1, done.stderr
    assert f"check of {tenant.name}: FAILED" in done.stdout
    assert "lost 1, duplicated 0, reordered 0" in done.stdout
    # The broker's name, prefix included: the one an operator looks up (it lacked the prefix).
    assert tenant.kafka.topic_prefix
    assert f"  topic {tenant.kafka.physical(events_topic(tenant.name))}: " in done.stdout


def _service_env(tenant: Tenant, data_dir: Path) -> dict[str, str]:
    """What a deployment sets: the store, the views and the cluster (see the README)."""
    return {
        **os.environ,
        "ENTENTE_STORE": "postgres",
        "ENTENTE_POSTGRES_URL": tenant.postgres_url,
        "ENTENTE_VIEWS_URL": tenant.postgres_url,
        "ENTENTE_DATA_DIR": str(data_dir),
        "ENTENTE_TENANTS": tenant.name,
        "ENTENTE_KAFKA_BOOTSTRAP_SERVERS": tenant.kafka.bootstrap_servers,
        "ENTENTE_KAFKA_TOPIC_PREFIX": tenant.kafka.topic_prefix,
        "ENTENTE_EVENT_LOG": "kafka",  # as the projector's and the audit's containers
    }


def _key(event: EventEnvelope) -> tuple[str, int]:
    return event.aggregate_id, event.version
