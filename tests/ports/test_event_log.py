"""The EventLog contract: one suite, run against every implementation of the port.

Each implementation is a *harness* (the log under test, the ledger that feeds
it, and a ``sync`` step that makes written events readable: nothing for the
embedded log, a relay pass for Kafka). Adding an implementation is one entry in
``HARNESSES`` and one ``pytest.param`` in the fixture.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import psycopg
import pytest
from psycopg import sql

from shared.application.ledger import CooperationLedger, Idempotency
from shared.application.stores import PostgresStore, SqliteStore, schema_for
from shared.domain.agreement import Agreement
from shared.domain.context import Actor, CommandContext
from shared.domain.mission import Mission
from shared.domain.vocabulary import Classification
from shared.kafka.log import KafkaEventLog
from shared.kafka.producer import KafkaPublisher
from shared.kafka.settings import KafkaSettings
from shared.kafka.topics import KafkaTopicAdmin
from shared.log.embedded import EmbeddedEventLog
from shared.log.ports import EventLog, LogRecord, UnknownTopicOrPartitionError, topic_for
from shared.relay.relay import Relay
from shared.relay.state import relay_state_store

TENANT = "police"
OTHER = "gendarmerie"
TODAY = date(2014, 6, 1)
CTX = CommandContext(TENANT, Actor("u-1", "Claire Martin"))


@dataclass
class Harness:
    """A log under test, the ledgers it reads, and how to make new events readable."""

    log: EventLog
    ledgers: dict[str, CooperationLedger]
    sync: Callable[[], None] = lambda: None

    @property
    def ledger(self) -> CooperationLedger:
        return self.ledgers[TENANT]


def _clock() -> datetime:
    return datetime(2014, 6, 1, 12, tzinfo=UTC)


def _embedded_sqlite(request: pytest.FixtureRequest, unique: str) -> Iterator[Harness]:
    tmp_path: Path = request.getfixturevalue("tmp_path")
    store = SqliteStore(tmp_path / "events")
    ledgers = {t: CooperationLedger(t, store, clock=_clock) for t in (TENANT, OTHER)}
    yield Harness(EmbeddedEventLog(ledgers), ledgers)
    for ledger in ledgers.values():
        ledger.close()


def _embedded_postgres(request: pytest.FixtureRequest, unique: str) -> Iterator[Harness]:
    url: str = request.getfixturevalue("postgres_url")
    store = PostgresStore(url, schema_prefix=f"t{unique}_")
    ledgers = {t: CooperationLedger(t, store, clock=_clock) for t in (TENANT, OTHER)}
    yield Harness(EmbeddedEventLog(ledgers), ledgers)
    for ledger in ledgers.values():
        ledger.close()
    with psycopg.connect(url, autocommit=True) as connection:
        for tenant in ledgers:
            schema = sql.Identifier(store.schema_prefix + schema_for(tenant))
            connection.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(schema))


def _kafka(request: pytest.FixtureRequest, unique: str) -> Iterator[Harness]:
    """Ledgers on SQLite; a relay per tenant publishes to one-partition topics of this test."""
    bootstrap: str = request.getfixturevalue("kafka_bootstrap")
    settings = KafkaSettings(bootstrap_servers=bootstrap, topic_prefix=f"t{unique}.", partitions=1)
    store = SqliteStore(request.getfixturevalue("tmp_path") / "events")
    ledgers = {t: CooperationLedger(t, store, clock=_clock) for t in (TENANT, OTHER)}
    admin = KafkaTopicAdmin(settings)
    for tenant in ledgers:
        admin.ensure_tenant_topics(tenant)
    admin.close()
    publisher, log = KafkaPublisher(settings), KafkaEventLog(settings)
    states = {tenant: relay_state_store(store, tenant) for tenant in ledgers}
    relays = [Relay(ledgers[tenant], publisher, state) for tenant, state in states.items()]

    def sync() -> None:
        for relay in relays:
            relay.catch_up()

    yield Harness(log, ledgers, sync)
    log.close()
    publisher.close()
    for tenant, ledger in ledgers.items():
        states[tenant].close()
        ledger.close()


HARNESSES: dict[str, Callable[[pytest.FixtureRequest, str], Iterator[Harness]]] = {
    "embedded-sqlite": _embedded_sqlite,
    "embedded-postgres": _embedded_postgres,
    "kafka": _kafka,
}


@pytest.fixture(
    params=[
        pytest.param("embedded-sqlite"),
        pytest.param("embedded-postgres", marks=pytest.mark.postgres),
        pytest.param("kafka", marks=pytest.mark.kafka),
    ]
)
def harness(request: pytest.FixtureRequest, unique: str) -> Iterator[Harness]:
    yield from HARNESSES[request.param](request, unique)


def sign(ledger: CooperationLedger, reference: str, key: str | None = None) -> UUID:
    """Records an agreement; with ``key``, also a command receipt (not published)."""
    idempotency = Idempotency(key, f"fp-{key}") if key else None
    result = ledger.create(
        lambda id: Agreement.sign(
            CommandContext(ledger.tenant, CTX.actor),
            id=id,
            reference=reference,
            title=f"Accord {reference}",
            kind="funding-convention",
            partner_countries=["VN"],
            partner_organisations=[],
            themes=["counterfeit-medicines"],
            signed_on=date(2011, 12, 9),
            signed_at="Hanoï",
            duration_months=36,
            funding=(Decimal("1000000.00"), "EUR"),
            funder="Union européenne",
            classification=Classification.PUBLIC,
            today=TODAY,
        ),
        idempotency,
    )
    return result.record_id


def mission_through_scheduling(ledger: CooperationLedger) -> UUID:
    """A mission with three events, interleaved with other records by the caller."""
    record = ledger.create(
        lambda id: Mission.request(
            CTX,
            id=id,
            title="Gestion d'une scène de crime",
            mission_type="training-course",
            countries=["KH"],
            organisations=[],
            themes=["forensic-science"],
            requested_by="Police nationale cambodgienne",
            post_id=None,
            requested_on=date(2013, 4, 10),
            description="",
            classification=Classification.INTERNAL,
            today=TODAY,
        ),
        None,
    ).record_id
    sign(ledger, "BETWEEN-1")
    ledger.change(
        Mission, record, 1, lambda m: m.validate(CTX, date(2013, 5, 2), "MEAE", "D-13-77"), None
    )
    ledger.change(
        Mission,
        record,
        2,
        lambda m: m.schedule(
            CTX, date(2013, 10, 7), date(2013, 10, 11), "Phnom Penh", 3, None, date(2013, 6, 1)
        ),
        Idempotency("schedule-1", "fp"),
    )
    return record


def write_history(harness: Harness) -> list[LogRecord]:
    """Seven events (and two receipts) in the tenant, one in another; all records read back."""
    sign(harness.ledger, "A-1", key="k-1")
    sign(harness.ledger, "A-2")
    mission_through_scheduling(harness.ledger)
    sign(harness.ledgers[OTHER], "OTHER-1")
    sign(harness.ledger, "A-3")
    harness.sync()
    return read_all(harness.log, topic_for(TENANT))


def read_all(log: EventLog, topic: str) -> list[LogRecord]:
    return [record for p in log.partitions(topic) for record in log.read(topic, p, -1, 10_000)]


def test_topics_are_one_per_tenant(harness: Harness) -> None:
    assert {topic_for(TENANT), topic_for(OTHER)} <= set(harness.log.topics())
    assert harness.log.partitions(topic_for(TENANT)) != []


def test_an_empty_topic_has_no_records_and_end_offset_minus_one(harness: Harness) -> None:
    topic = topic_for(TENANT)
    for partition in harness.log.partitions(topic):
        assert harness.log.read(topic, partition, -1, 100) == []
        assert harness.log.end_offset(topic, partition) == -1


def test_replay_from_minus_one_returns_every_event_in_order(harness: Harness) -> None:
    records = write_history(harness)

    assert [r.event.type.split(".")[-2:] for r in records] == [
        ["signed", "v2"],
        ["signed", "v2"],
        ["requested", "v1"],
        ["signed", "v2"],
        ["validated", "v1"],
        ["scheduled", "v1"],
        ["signed", "v2"],
    ]
    offsets = [r.offset for r in records]
    assert offsets == sorted(set(offsets))
    positions = [r.event.position for r in records]
    assert positions == sorted(set(positions))
    assert {r.event.tenant for r in records} == {TENANT}
    assert {r.topic for r in records} == {topic_for(TENANT)}


def test_key_is_the_aggregate_id_and_versions_follow_per_aggregate(harness: Harness) -> None:
    records = write_history(harness)

    assert all(r.key == r.event.aggregate_id for r in records)
    mission_versions = [r.event.version for r in records if r.event.aggregate_type == "mission"]
    assert mission_versions == [1, 2, 3]


def test_after_returns_exactly_the_records_past_any_offset(harness: Harness) -> None:
    records = write_history(harness)
    topic, partition = records[0].topic, records[0].partition

    for index, record in enumerate(records):
        assert harness.log.read(topic, partition, record.offset, 100) == records[index + 1 :]
    assert harness.log.read(topic, partition, -1, 100) == records


def test_a_page_limit_is_honoured_and_paging_reads_each_record_once(harness: Harness) -> None:
    records = write_history(harness)
    topic, partition = records[0].topic, records[0].partition

    assert harness.log.read(topic, partition, -1, 2) == records[:2]
    seen: list[LogRecord] = []
    after = -1
    while page := harness.log.read(topic, partition, after, 3):
        assert len(page) <= 3
        seen.extend(page)
        after = page[-1].offset
    assert seen == records


def test_end_offset_is_the_offset_of_the_last_record(harness: Harness) -> None:
    records = write_history(harness)  # the last command wrote a receipt after its event
    sign(harness.ledger, "A-4", key="k-last")
    harness.sync()
    last = read_all(harness.log, topic_for(TENANT))[-1]

    assert last.offset > records[-1].offset
    assert harness.log.end_offset(last.topic, last.partition) == last.offset
    assert harness.log.read(last.topic, last.partition, last.offset, 10) == []


def test_new_events_appear_after_the_last_offset_read(harness: Harness) -> None:
    records = write_history(harness)
    sign(harness.ledger, "A-5")
    harness.sync()

    new = harness.log.read(records[-1].topic, records[-1].partition, records[-1].offset, 10)
    assert [r.event.data["reference"] for r in new] == ["A-5"]


def test_tenants_do_not_see_each_other(harness: Harness) -> None:
    write_history(harness)

    other = read_all(harness.log, topic_for(OTHER))
    assert [r.event.data["reference"] for r in other] == ["OTHER-1"]
    assert {r.event.tenant for r in other} == {OTHER}


def test_an_unknown_topic_or_partition_is_an_error_not_an_empty_log(harness: Harness) -> None:
    with pytest.raises(UnknownTopicOrPartitionError):
        harness.log.read(topic_for("douanes"), 0, -1, 10)
    with pytest.raises(UnknownTopicOrPartitionError):
        harness.log.end_offset(topic_for(TENANT), 99)
