"""Each component with a Kafka identity of its own and only the ACLs docs/deployment.md lists.

The local broker authorizes (StandardAuthorizer; super users only for the
PLAINTEXT listeners and the stack's own identities). Each test makes SCRAM users
of its own through the SASL_SSL listener's twin, the PLAINTEXT admin, and gives
them the ACLs of the deployment guide's table, on this test's topics only:

- the relay: Create, Write, Describe and DescribeConfigs on the topics whose names
  start with ``entente.<tenant>.``;
- a reader (the projector): Describe and DescribeConfigs on the topics whose names
  start with ``entente.<tenant>.`` (it checks all three at start), Read on
  ``entente.<tenant>.events``, Write on ``entente.<tenant>.events.dlt`` (dead letters).

With them the relay publishes and the projector's log reads everything; without
them the broker refuses, and nothing is published in another's name.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from kafka import KafkaAdminClient
from kafka.admin import (
    ACL,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    ResourcePattern,
    ResourceType,
    UserScramCredentialDeletion,
    UserScramCredentialUpsertion,
)
from pydantic import SecretStr

from shared.application.ledger import CooperationLedger
from shared.application.stores import PostgresStore
from shared.events.wire import WireMessage
from shared.kafka.errors import PublishFailedError
from shared.kafka.log import KafkaEventLog
from shared.kafka.names import dead_letter_topic, events_topic
from shared.kafka.producer import KafkaPublisher
from shared.kafka.settings import KafkaSettings
from shared.kafka.topics import KafkaTopicAdmin
from shared.relay.ports import RelayStateStore
from shared.relay.relay import Relay
from shared.relay.state import relay_state_store
from tests.kafka.conftest import write_interleaved

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

MECHANISM = "SCRAM-SHA-512"


@dataclass(frozen=True)
class Identities:
    relay: KafkaSettings
    reader: KafkaSettings


def _acl(user: str, operation: ACLOperation, name: str, prefixed: bool) -> ACL:
    pattern = ACLResourcePatternType.PREFIXED if prefixed else ACLResourcePatternType.LITERAL
    return ACL(
        principal=f"User:{user}",
        host="*",
        operation=operation,
        permission_type=ACLPermissionType.ALLOW,
        resource_pattern=ResourcePattern(ResourceType.TOPIC, name, pattern),
    )


@pytest.fixture
def identities(
    secured: KafkaSettings, kafka_settings: KafkaSettings, tenant: str, unique: str
) -> Iterator[Identities]:
    """A relay user and a reader user of this test, each with the guide's ACLs only."""
    admin = KafkaAdminClient(**kafka_settings.client_config("admin"))  # PLAINTEXT: super user
    users = {role: f"t{unique}-{role}" for role in ("relay", "reader")}
    passwords = {role: secrets.token_hex(16) for role in users}
    physical = kafka_settings.physical
    acls = [
        _acl(users["relay"], op, physical(f"entente.{tenant}."), prefixed=True)
        for op in (
            ACLOperation.CREATE,
            ACLOperation.WRITE,
            ACLOperation.DESCRIBE,
            ACLOperation.DESCRIBE_CONFIGS,
        )
    ]
    acls += [
        _acl(users["reader"], op, physical(f"entente.{tenant}."), prefixed=True)
        for op in (ACLOperation.DESCRIBE, ACLOperation.DESCRIBE_CONFIGS)
    ]
    acls.append(_acl(users["reader"], ACLOperation.READ, physical(events_topic(tenant)), False))
    acls.append(
        _acl(users["reader"], ACLOperation.WRITE, physical(dead_letter_topic(tenant)), False)
    )
    try:
        made = admin.alter_user_scram_credentials(
            [UserScramCredentialUpsertion(users[r], MECHANISM, passwords[r]) for r in users]
        )
        assert not any(made.values()), made
        created = admin.create_acls(acls)
        assert not created["failed"], created
        yield Identities(
            *(
                secured.model_copy(
                    update={"sasl_username": users[r], "sasl_password": SecretStr(passwords[r])}
                )
                for r in ("relay", "reader")
            )
        )
    finally:
        admin.alter_user_scram_credentials(
            [UserScramCredentialDeletion(users[r], MECHANISM) for r in users]
        )
        admin.close()


@pytest.fixture
def state(
    pg_store: PostgresStore, tenant: str, ledger: CooperationLedger
) -> Iterator[RelayStateStore]:
    store = relay_state_store(pg_store, tenant)
    yield store
    store.close()


def _read_all(settings: KafkaSettings, tenant: str) -> int:
    log = KafkaEventLog(settings)
    try:
        topic = events_topic(tenant)
        return sum(len(log.read_raw(topic, p, -1, 1000)) for p in log.partitions(topic))
    finally:
        log.close()


def test_the_relay_and_the_projector_work_with_the_documented_acls_alone(
    identities: Identities, ledger: CooperationLedger, state: RelayStateStore, tenant: str
) -> None:
    write_interleaved(ledger, records=3, amendments=1)
    admin = KafkaTopicAdmin(identities.relay)
    publisher = KafkaPublisher(identities.relay)
    try:
        admin.ensure_tenant_topics(tenant)  # creates and checks the three topics
        assert Relay(ledger, publisher, state).catch_up() == 6
    finally:
        publisher.close()
        admin.close()
    checker = KafkaTopicAdmin(identities.reader)
    try:
        checker.verify_tenant_topics(tenant)  # what the projector does at start
    finally:
        checker.close()
    assert _read_all(identities.reader, tenant) == 6
    parking = KafkaPublisher(identities.reader)  # a poison message parked as a dead letter
    try:
        parking.publish(dead_letter_topic(tenant), [WireMessage(b"k", [], b"{}")])
    finally:
        parking.close()


def test_a_reader_cannot_publish_on_the_tenant_topic(
    identities: Identities, kafka_settings: KafkaSettings, tenant: str, topic_admin: KafkaTopicAdmin
) -> None:
    topic_admin.ensure_tenant_topics(tenant)
    forged = KafkaPublisher(identities.reader)
    try:
        with pytest.raises(PublishFailedError, match=r"(?i)authoriz"):
            forged.publish(events_topic(tenant), [WireMessage(b"k", [], b"{}")])
    finally:
        forged.close()
    assert _read_all(kafka_settings, tenant) == 0


def test_a_relay_cannot_write_another_tenant_s_topic(
    identities: Identities, kafka_settings: KafkaSettings, topic_admin: KafkaTopicAdmin
) -> None:
    topic_admin.ensure_tenant_topics("other")
    publisher = KafkaPublisher(identities.relay)
    try:
        with pytest.raises(PublishFailedError, match=r"(?i)authoriz"):
            publisher.publish(events_topic("other"), [WireMessage(b"k", [], b"{}")])
    finally:
        publisher.close()
    assert _read_all(kafka_settings, "other") == 0
