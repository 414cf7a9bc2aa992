"""Overlap alerts reach ``entente.reporting.alerts`` on the real broker, in order, at least once.

The reporting projector writes alerts in its own transaction (the outbox);
``AlertRelay`` publishes them and moves its position only after the broker's
acks. These tests use a real Kafka broker and a real PostgreSQL reporting
area; the last one runs the whole path as deployed: tenant relays → tenant
topics → the reporting service (Kafka log) → the alerts topic.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from services.reporting.bootstrap import ReportingService, bootstrap
from services.reporting.settings import ReportingSettings
from shared.application.stores import SqliteStore
from shared.domain.mission import Mission
from shared.domain.vocabulary import Classification
from shared.events.alert_schemas import ALERT_HEADERS_SCHEMA, ALERT_SCHEMA
from shared.events.wire import WireMessage
from shared.kafka.errors import TopicMisconfiguredError
from shared.kafka.log import KafkaEventLog
from shared.kafka.names import alerts_topic
from shared.kafka.producer import KafkaPublisher
from shared.kafka.settings import KafkaSettings
from shared.kafka.topics import KafkaTopicAdmin, reporting_topics
from shared.log.ports import RawRecord, UnknownTopicOrPartitionError
from shared.relay.relay import Relay
from shared.relay.state import relay_state_store
from shared.reporting import queries
from shared.reporting.alert_messages import decode_alert
from shared.reporting.alert_relay import AlertPositionConflictError, AlertRelay
from shared.reporting.overlaps import DETECTED, RESOLVED
from shared.reporting.postgres import PostgresReportingStore
from shared.reporting.projector import ReportingProjector
from shared.reporting.store import ReportingStore
from tests.kafka.conftest import event_log, kafka_settings, publisher, topic_admin
from tests.projector.support import wait_until
from tests.reporting.support import TENANTS, World
from tests.tcp_cut import Cut

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
#: The Kafka fixtures (a topic prefix of this test's own, short timeouts) are the log's.
__all__ = ["event_log", "kafka_settings", "publisher", "topic_admin"]


@pytest.fixture
def pg_store(postgres_url: str) -> Iterator[PostgresReportingStore]:
    found = PostgresReportingStore(postgres_url, f"t{uuid.uuid4().hex[:10]}_entente_reporting")
    found.setup()
    yield found
    found.drop()
    found.dispose()


@pytest.fixture
def raised(
    world: World, pg_store: PostgresReportingStore, topic_admin: KafkaTopicAdmin
) -> ReportingProjector:
    """The alerts topic created, the pairs below recorded and projected: alerts raised."""
    topic_admin.ensure_reporting_topics()
    overlapping_pairs(world)
    projector = ReportingProjector(pg_store, world.log, TENANTS)
    projector.catch_up()
    return projector


def overlapping_pairs(w: World) -> None:
    """Two overlaps in BR (three directorates) and one in VN; one restricted mission."""
    w.mission("police", "br-p", country="BR", start=date(2024, 9, 1), end=date(2024, 9, 10))
    w.mission("gendarmerie", "br-g", country="BR", start=date(2024, 9, 5), end=date(2024, 9, 15))
    w.mission("police", "vn-p", country="VN", start=date(2024, 3, 4), end=date(2024, 3, 8))
    w.mission(
        "civil-protection",
        "vn-c",
        country="VN",
        start=date(2024, 3, 8),
        end=date(2024, 3, 12),
        classification=Classification.RESTRICTED,
    )


def on_topic(log: KafkaEventLog) -> list[RawRecord]:
    return log.read_raw(alerts_topic(), 0, -1, 10_000)


def _published(log: KafkaEventLog) -> list[RawRecord]:
    """What the alerts topic holds, nothing while the alert relay has not created it yet."""
    try:
        return on_topic(log)
    except UnknownTopicOrPartitionError:
        return []


def table_alerts(store: ReportingStore) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = queries.alerts(store, TENANTS, limit=1000)["items"]
    return items


def schema_errors(schema: dict[str, Any], instance: object) -> list[str]:
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(instance)]


class CrashAfterAcks:
    """A publisher that delivers (the broker acks) and then dies before the caller goes on."""

    def __init__(self, inner: KafkaPublisher) -> None:
        self.inner = inner

    def publish(self, topic: str, messages: Sequence[WireMessage]) -> None:
        self.inner.publish(topic, messages)
        raise SystemExit("killed after the acks")

    def close(self) -> None:
        pass


@pytest.mark.usefixtures("raised")
def test_the_alerts_table_is_published_in_order_and_each_message_honours_the_contract(
    pg_store: PostgresReportingStore,
    publisher: KafkaPublisher,
    event_log: KafkaEventLog,
) -> None:
    relay = AlertRelay(pg_store, publisher)

    assert relay.catch_up() == 2
    assert relay.catch_up() == 0

    alerts = table_alerts(pg_store)
    records = on_topic(event_log)
    assert [r.header("ce_id") for r in records] == [a["id"].encode() for a in alerts]
    assert relay.position() == alerts[-1]["seq"]
    for record, alert in zip(records, alerts, strict=True):
        headers = {name: value.decode() for name, value in record.headers}
        assert schema_errors(ALERT_HEADERS_SCHEMA, headers) == []
        decoded = decode_alert(record.headers, record.value)
        assert schema_errors(ALERT_SCHEMA, decoded.data) == []
        assert (decoded.type, decoded.data) == (DETECTED, alert["data"])
        assert record.key == f"{alert['data']['country']}/{alert['data']['theme']}".encode()
    vn = next(decode_alert(r.headers, r.value) for r in records if r.key and r.key[:2] == b"VN")
    assert {"directorate": "civil-protection", "restricted": True} in vn.data["missions"]
    assert "vn-c" not in str(vn.data)
    # Its cause is the restricted mission's event: no record time, no causation id on the log.
    assert (vn.time, vn.caused_by) == (None, None)
    vn_record = next(r for r in records if r.key and r.key[:2] == b"VN")
    assert not {"ce_time", "ce_causationid"} & {name for name, _ in vn_record.headers}
    others = [decode_alert(r.headers, r.value) for r in records if r is not vn_record]
    assert all(a.time is not None and a.caused_by is not None for a in others)


def test_a_later_change_publishes_its_resolution_after_what_was_already_published(
    world: World,
    pg_store: PostgresReportingStore,
    raised: ReportingProjector,
    publisher: KafkaPublisher,
    event_log: KafkaEventLog,
) -> None:
    relay = AlertRelay(pg_store, publisher)
    relay.catch_up()
    police = world.context("police")

    world.change(Mission, "br-p", lambda m: m.cancel(police, date(2024, 8, 1), "Annulée"))
    raised.catch_up()

    assert relay.catch_up() == 1
    types = [decode_alert(r.headers, r.value).type for r in on_topic(event_log)]
    assert types == [DETECTED, DETECTED, RESOLVED]


@pytest.mark.usefixtures("raised")
def test_a_crash_after_the_acks_republishes_the_same_alerts_and_skips_none(
    pg_store: PostgresReportingStore,
    publisher: KafkaPublisher,
    event_log: KafkaEventLog,
) -> None:

    with pytest.raises(SystemExit):
        AlertRelay(pg_store, CrashAfterAcks(publisher)).catch_up()
    restarted = AlertRelay(pg_store, publisher)
    assert restarted.position() == 0
    assert restarted.catch_up() == 2

    ids = [r.header("ce_id") for r in on_topic(event_log)]
    assert len(ids) == 4  # at least once: the page went out twice
    assert list(dict.fromkeys(ids)) == [a["id"].encode() for a in table_alerts(pg_store)]


@pytest.mark.usefixtures("raised")
def test_a_second_relay_that_fell_behind_is_refused_rather_than_moving_the_position_back(
    pg_store: PostgresReportingStore,
    publisher: KafkaPublisher,
) -> None:
    first = AlertRelay(pg_store, publisher, page_size=1)
    second = AlertRelay(pg_store, publisher, page_size=1)
    first.catch_up()

    with pytest.raises(AlertPositionConflictError):
        second._save(0, 1)  # what a relay that read position 0 before the first one moved does
    assert first.position() == 2


def test_a_compacted_alerts_topic_is_refused(
    kafka_settings: KafkaSettings, topic_admin: KafkaTopicAdmin
) -> None:
    topic_admin.ensure_reporting_topics()
    topic_admin.alter_config(alerts_topic(), {"cleanup.policy": "compact"})

    with pytest.raises(TopicMisconfiguredError, match="compact"):
        topic_admin.verify_topic(reporting_topics(kafka_settings)[0])


def test_the_reporting_service_publishes_alerts_from_the_tenant_topics(
    world: World,
    postgres_url: str,
    kafka_settings: KafkaSettings,
    topic_admin: KafkaTopicAdmin,
    publisher: KafkaPublisher,
    event_log: KafkaEventLog,
    tmp_path: Path,
) -> None:
    published = _deployed(
        world, postgres_url, kafka_settings, topic_admin, publisher, event_log, tmp_path
    )

    assert sorted(a.subject for a in published) == ["BR/cybercrime", "VN/cybercrime"]
    assert all(a.type == DETECTED for a in published)


def test_a_reporting_service_started_before_its_broker_waits_and_then_publishes(
    world: World,
    postgres_url: str,
    kafka_settings: KafkaSettings,
    topic_admin: KafkaTopicAdmin,
    publisher: KafkaPublisher,
    event_log: KafkaEventLog,
    tmp_path: Path,
) -> None:
    """It gave up after 30 s and exited (probe 5): it now waits, not ready and saying why."""
    host, port = kafka_settings.bootstrap_servers.split(",")[0].rsplit(":", 1)
    with closing(Cut((host, int(port)))) as cut:
        cut.sever()
        late = kafka_settings.model_copy(update={"bootstrap_servers": f"127.0.0.1:{cut.port}"})
        seen: list[str | None] = []

        def while_cut(service: ReportingService) -> None:
            seen.append(service.runner.stop_reason("reporting"))
            assert wait_until(lambda: service.runner.failure is not None, timeout=30)
            seen.append(service.runner.stop_reason("reporting"))
            assert service.alert_relay is not None
            assert service.alert_relay.is_alive()
            cut.restore()

        published = _deployed(
            world, postgres_url, late, topic_admin, publisher, event_log, tmp_path, while_cut
        )

    assert seen[0] is not None
    assert "has not reached its log yet" in seen[0]
    assert seen[1] is not None
    assert "broker" in seen[1].lower()
    assert sorted(a.subject for a in published) == ["BR/cybercrime", "VN/cybercrime"]


def _deployed(
    world: World,
    postgres_url: str,
    kafka: KafkaSettings,
    topic_admin: KafkaTopicAdmin,
    publisher: KafkaPublisher,
    event_log: KafkaEventLog,
    tmp_path: Path,
    started: Callable[[ReportingService], None] = lambda _: None,
) -> list[Any]:
    """The alerts the reporting service (over ``kafka``) published for ``overlapping_pairs``,
    relayed as deployed; ``started`` is called once the service started."""
    overlapping_pairs(world)
    for tenant, ledger in world.ledgers.items():
        topic_admin.ensure_tenant_topics(tenant)
        state = relay_state_store(SqliteStore(tmp_path / "events"), tenant)
        Relay(ledger, publisher, state).catch_up()
        state.close()
    settings = ReportingSettings(
        tenants=TENANTS,
        event_log="kafka",
        reporting_url=postgres_url,
        reporting_schema=f"t{uuid.uuid4().hex[:10]}_entente_reporting",
        data_dir=tmp_path / "reporting",
        reporting_poll_interval=0.05,
    )
    service = bootstrap(settings, kafka=kafka)
    service.start()
    try:
        started(service)
        deadline = time.monotonic() + 60
        while len(_published(event_log)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        return [decode_alert(r.headers, r.value) for r in on_topic(event_log)]
    finally:
        service.stop()
        PostgresReportingStore(postgres_url, settings.reporting_schema).drop()


@pytest.mark.usefixtures("raised")
def test_two_replicas_relaying_at_once_both_keep_running_and_skip_nothing(
    pg_store: PostgresReportingStore,
    publisher: KafkaPublisher,
    event_log: KafkaEventLog,
) -> None:
    stop = threading.Event()
    relays = [AlertRelay(pg_store, publisher, page_size=1, poll_interval=0.01) for _ in "ab"]
    threads = [threading.Thread(target=r.run, args=(stop,), daemon=True) for r in relays]
    for thread in threads:
        thread.start()
    try:
        deadline = time.monotonic() + 30
        while relays[0].position() < table_alerts(pg_store)[-1]["seq"]:
            assert time.monotonic() < deadline, "the alerts were not all published"
            time.sleep(0.05)
        assert all(thread.is_alive() for thread in threads)
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)

    ids = [r.header("ce_id") for r in on_topic(event_log)]
    assert list(dict.fromkeys(ids)) == [a["id"].encode() for a in table_alerts(pg_store)]
