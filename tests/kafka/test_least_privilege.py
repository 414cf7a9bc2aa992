"""Each component with a Kafka identity of its own and only the ACLs ``shared.kafka.access`` lists.

The local broker authorizes (StandardAuthorizer; super users only for the
PLAINTEXT listeners and the stack's own identities). Each test makes SCRAM users
of its own and gives them the ACLs of ``component_grants`` (the table of
docs/deployment.md), through ``KafkaAccessAdmin`` as ``entente kafka acls --apply``
does, on this test's topics only. With them the relay creates, checks and
publishes, and the projector checks, reads and parks a dead letter; without them
the broker refuses, and nothing is published in another's name.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import SecretStr

from shared.application.ledger import CooperationLedger
from shared.events.wire import WireMessage
from shared.kafka.access import KafkaAccessAdmin, component_grants
from shared.kafka.errors import PublishFailedError
from shared.kafka.log import KafkaEventLog
from shared.kafka.names import checkpoints_topic, dead_letter_topic, events_topic
from shared.kafka.producer import KafkaPublisher
from shared.kafka.settings import KafkaSettings
from shared.kafka.topics import KafkaTopicAdmin
from shared.log.ports import UnknownTopicOrPartitionError
from shared.relay.ports import RelayStateStore
from shared.relay.relay import Relay
from tests.kafka.conftest import scram_user, write_interleaved

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


@dataclass(frozen=True)
class Identities:
    relay: KafkaSettings
    projector: KafkaSettings


@pytest.fixture
def identities(
    secured: KafkaSettings, kafka_settings: KafkaSettings, tenant: str, unique: str
) -> Identities:
    """A relay user and a projector user of this test, each with its documented ACLs only."""
    roles = ("relay", "projector")
    users = {role: f"t{unique}-{role}" for role in roles}
    passwords = {role: secrets.token_hex(16) for role in roles}
    # The users stay (unique names, a throwaway broker): deleting two made Kafka 4.2.1
    # forget every SCRAM credential at its next restart (see ``scram_user``).
    for role in roles:
        scram_user(kafka_settings, users[role], passwords[role])
    admin = KafkaAccessAdmin(kafka_settings)  # PLAINTEXT: a super user
    try:
        admin.grant(f"User:{users['relay']}", component_grants("relay", [tenant], kafka_settings))
        projector = component_grants("projector", [tenant], kafka_settings)
        admin.grant(f"User:{users['projector']}", projector)
    finally:
        admin.close()
    return Identities(
        *(
            secured.model_copy(
                update={"sasl_username": users[r], "sasl_password": SecretStr(passwords[r])}
            )
            for r in roles
        )
    )


def _read_all(settings: KafkaSettings, tenant: str) -> int:
    log = KafkaEventLog(settings)
    try:
        topic = events_topic(tenant)
        return sum(len(log.read_raw(topic, p, -1, 1000)) for p in log.partitions(topic))
    finally:
        log.close()


def _publish(settings: KafkaSettings, topic: str) -> None:
    publisher = KafkaPublisher(settings)
    try:
        publisher.publish(topic, [WireMessage(b"k", [], b"{}")])
    finally:
        publisher.close()


def test_the_relay_and_the_projector_work_with_their_acls_alone(
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

    checker = KafkaTopicAdmin(identities.projector)
    try:
        checker.verify_tenant_topics(tenant)  # what the projector does at start
    finally:
        checker.close()
    assert _read_all(identities.projector, tenant) == 6
    _publish(identities.projector, dead_letter_topic(tenant))  # a poison message parked


def test_the_projector_cannot_publish_on_the_tenant_topic(
    identities: Identities, kafka_settings: KafkaSettings, tenant: str, topic_admin: KafkaTopicAdmin
) -> None:
    topic_admin.ensure_tenant_topics(tenant)
    with pytest.raises(PublishFailedError, match=r"(?i)authoriz"):
        _publish(identities.projector, events_topic(tenant))
    assert _read_all(kafka_settings, tenant) == 0


def test_a_relay_cannot_write_another_tenant_s_topic(
    identities: Identities, kafka_settings: KafkaSettings, topic_admin: KafkaTopicAdmin
) -> None:
    topic_admin.ensure_tenant_topics("other")
    with pytest.raises(PublishFailedError, match=r"(?i)authoriz"):
        _publish(identities.relay, events_topic("other"))
    assert _read_all(kafka_settings, "other") == 0


def test_entente_kafka_acls_apply_grants_the_audit_what_it_reads(
    secured: KafkaSettings,
    kafka_settings: KafkaSettings,
    ledger: CooperationLedger,
    state: RelayStateStore,
    publisher: KafkaPublisher,
    topic_admin: KafkaTopicAdmin,
    tenant: str,
    unique: str,
) -> None:
    write_interleaved(ledger, records=2, amendments=0)
    topic_admin.ensure_tenant_topics(tenant)
    assert Relay(ledger, publisher, state).catch_up() == 2  # events and a checkpoint
    user, password = f"t{unique}-audit", secrets.token_hex(16)
    scram_user(kafka_settings, user, password)
    auditor = secured.model_copy(
        update={"sasl_username": user, "sasl_password": SecretStr(password)}
    )
    with pytest.raises(UnknownTopicOrPartitionError):  # without an ACL it is not even listed
        _read_all(auditor, tenant)

    command = [str(Path(sys.executable).parent / "entente"), "kafka", "acls", "audit"]
    command += [f"User:{user}", "--tenants", tenant, "--apply"]
    done = subprocess.run(
        command,
        env={
            **os.environ,
            "ENTENTE_KAFKA_BOOTSTRAP_SERVERS": kafka_settings.bootstrap_servers,
            "ENTENTE_KAFKA_TOPIC_PREFIX": kafka_settings.topic_prefix,
            "ENTENTE_TENANTS": tenant,  # the tenants --tenants may name
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == f"4 ACLs created for User:{user}"
    assert _read_all(auditor, tenant) == 2
    log = KafkaEventLog(auditor)
    try:
        checkpoints = checkpoints_topic(tenant)
        assert log.read_raw(checkpoints, 0, -1, 10)  # the relay's checkpoint, readable
    finally:
        log.close()
