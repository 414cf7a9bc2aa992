"""Kafka fixtures: a namespaced topic set per test, ledgers on real stores, event writers.

Each test gets its own ``topic_prefix`` (``t<unique>.``), so tests share one
broker without sharing a topic, and its own tenant slug for the event store.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime
from uuid import UUID

import psycopg
import pytest
from psycopg import sql
from pydantic import SecretStr

from shared.application.ledger import CooperationLedger
from shared.application.stores import PostgresStore, schema_for
from shared.domain.agreement import Agreement
from shared.domain.context import Actor, CommandContext
from shared.kafka.access import KafkaAccessAdmin
from shared.kafka.log import KafkaEventLog
from shared.kafka.producer import KafkaPublisher
from shared.kafka.settings import KafkaSettings
from shared.kafka.topics import KafkaTopicAdmin
from shared.relay.ports import RelayStateStore
from shared.relay.state import relay_state_store
from tests.agreements import signed_agreement
from tests.requirements import unavailable

TODAY = date(2014, 6, 1)


def _clock() -> datetime:
    return datetime(2014, 6, 1, 12, tzinfo=UTC)


@pytest.fixture
def tenant(unique: str) -> str:
    return f"t{unique}"


@pytest.fixture
def kafka_settings(kafka_bootstrap: str, unique: str) -> KafkaSettings:
    """Fast timeouts, three partitions, and topics of this test only."""
    return KafkaSettings(
        bootstrap_servers=kafka_bootstrap,
        topic_prefix=f"t{unique}.",
        partitions=3,
        bootstrap_timeout_ms=5_000,
        request_timeout_ms=5_000,
        delivery_timeout_ms=10_000,
        read_timeout_ms=10_000,
    )


@pytest.fixture
def topic_admin(kafka_settings: KafkaSettings) -> Iterator[KafkaTopicAdmin]:
    admin = KafkaTopicAdmin(kafka_settings)
    yield admin
    admin.close()


@pytest.fixture
def publisher(kafka_settings: KafkaSettings) -> Iterator[KafkaPublisher]:
    publisher = KafkaPublisher(kafka_settings)
    yield publisher
    publisher.close()


@pytest.fixture
def event_log(kafka_settings: KafkaSettings) -> Iterator[KafkaEventLog]:
    log = KafkaEventLog(kafka_settings)
    yield log
    log.close()


@pytest.fixture
def pg_store(postgres_url: str, unique: str, tenant: str) -> Iterator[PostgresStore]:
    """The tenant's event store in its own PostgreSQL schema, dropped afterwards."""
    store = PostgresStore(postgres_url, schema_prefix=f"t{unique}_")
    yield store
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        schema = sql.Identifier(store.schema_prefix + schema_for(tenant))
        connection.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(schema))


@pytest.fixture
def ledger(pg_store: PostgresStore, tenant: str) -> Iterator[CooperationLedger]:
    ledger = CooperationLedger(tenant, pg_store, clock=_clock)
    yield ledger
    ledger.close()


@pytest.fixture
def state(
    pg_store: PostgresStore, tenant: str, ledger: CooperationLedger
) -> Iterator[RelayStateStore]:
    """The relay's state beside the tenant's events (its PostgreSQL schema)."""
    store = relay_state_store(pg_store, tenant)
    yield store
    store.close()


def sign(ledger: CooperationLedger, reference: str) -> UUID:
    """Records one agreement (one event)."""
    ctx = CommandContext(ledger.tenant, Actor("u-1", "Claire Martin"))
    return ledger.create(
        lambda id: signed_agreement(ctx, id, reference),
        None,
    ).record_id


def amend(ledger: CooperationLedger, record: UUID, version: int) -> None:
    """Adds one event to an existing agreement at ``version``."""
    ctx = CommandContext(ledger.tenant, Actor("u-2", "Jean Dupont"))
    ledger.change(
        Agreement,
        record,
        version,
        lambda a: a.amend(ctx, date(2012, 1, 1), f"Avenant {version}"),
        None,
    )


#: Agreement references never used twice: a directorate's references are unique, and
#: a test may write several histories into one store.
REFERENCES = itertools.count()


def write_interleaved(ledger: CooperationLedger, records: int, amendments: int) -> list[UUID]:
    """``records`` agreements, then ``amendments`` rounds amending each: interleaved histories."""
    ids = [sign(ledger, f"A-{next(REFERENCES)}") for _ in range(records)]
    for round_ in range(amendments):
        for record in ids:
            amend(ledger, record, round_ + 1)
    return ids


@pytest.fixture
def secured(kafka_settings: KafkaSettings) -> KafkaSettings:
    """This test's settings, through the broker's SASL_SSL listener."""
    env = os.environ
    names = ("BOOTSTRAP", "USERNAME", "PASSWORD")
    given = {n: env.get(f"ENTENTE_TEST_KAFKA_SASL_{n}") for n in names}
    cafile = env.get("ENTENTE_TEST_KAFKA_CAFILE")
    if not all(given.values()) or not cafile:
        unavailable(
            "a broker with a SASL_SSL listener is needed: deploy/local/stack.sh start kafka "
            "exports ENTENTE_TEST_KAFKA_SASL_* and ENTENTE_TEST_KAFKA_CAFILE (make test does)"
        )
    username, password = given["USERNAME"] or "", given["PASSWORD"] or ""
    scram_user(kafka_settings, username, password)
    return kafka_settings.model_copy(
        update={
            "bootstrap_servers": given["BOOTSTRAP"],
            "security_protocol": "SASL_SSL",
            "sasl_username": username,
            "sasl_password": SecretStr(password),
            "ssl_cafile": cafile,
        }
    )


def scram_user(plaintext: KafkaSettings, username: str, password: str) -> None:
    """Creates (or resets) a SCRAM-SHA-512 user through the PLAINTEXT listener (a super user).

    The stack adds its user when it formats the log dir, but Kafka 4.2.1 forgot every
    SCRAM credential across a restart once two users had been deleted (reproduced:
    create and delete two users, restart: none left), and the faults suite restarts the
    broker; so each test that signs in asserts its user first.
    """
    admin = KafkaAccessAdmin(plaintext)
    try:
        admin.set_scram_user(username, password, "SCRAM-SHA-512")
    finally:
        admin.close()
