"""A cluster that asks for TLS and SCRAM credentials, as a shared one does.

The local stack's broker has a second listener, SASL_SSL with SCRAM-SHA-512
and a certificate signed by a CA the stack generates, and a third that
authenticates clients by their certificate (mutual TLS, as Strimzi's ``tls``
authentication), and a fourth that asks for both (SCRAM over TLS, and a client
certificate); ``deploy/local/stack.sh`` exports where to reach them. The
relay publishes through each and the log reads back through it, byte for byte
what the event store holds; a wrong password, a missing client certificate or a
broker whose certificate the client does not trust gets nothing published and a
message that says what to check.
"""

from __future__ import annotations

import os

import pytest
from pydantic import SecretStr

from shared.application.ledger import CooperationLedger
from shared.events import wire
from shared.kafka.errors import BrokerUnavailableError, PublishFailedError
from shared.kafka.log import KafkaEventLog
from shared.kafka.names import events_topic
from shared.kafka.producer import KafkaPublisher
from shared.kafka.settings import KafkaSettings
from shared.kafka.topics import KafkaTopicAdmin
from shared.relay.ports import RelayStateStore
from shared.relay.relay import Relay
from tests.kafka.conftest import write_interleaved
from tests.requirements import unavailable

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


@pytest.fixture
def mutual(kafka_settings: KafkaSettings) -> KafkaSettings:
    """This test's settings, through the listener that asks for a client certificate."""
    env = os.environ
    bootstrap, cafile, cert, key = (
        env.get(f"ENTENTE_TEST_KAFKA_{name}")
        for name in ("MTLS_BOOTSTRAP", "CAFILE", "CLIENT_CERT", "CLIENT_KEY")
    )
    if not (bootstrap and cafile and cert and key):
        unavailable(
            "a broker with a mutual-TLS listener is needed: deploy/local/stack.sh start kafka "
            "exports ENTENTE_TEST_KAFKA_MTLS_BOOTSTRAP and the client certificate (make test does)"
        )
    return kafka_settings.model_copy(
        update={
            "bootstrap_servers": bootstrap,
            "security_protocol": "SSL",
            "ssl_cafile": cafile,
            "ssl_certfile": cert,
            "ssl_keyfile": key,
        }
    )


@pytest.fixture
def both(secured: KafkaSettings, mutual: KafkaSettings) -> KafkaSettings:
    """SCRAM credentials and a client certificate, through the listener asking for both."""
    bootstrap = os.environ.get("ENTENTE_TEST_KAFKA_SASL_MTLS_BOOTSTRAP")
    if not bootstrap:
        unavailable(
            "a broker with a SASL_SSL listener requiring a client certificate is needed: "
            "deploy/local/stack.sh start kafka exports ENTENTE_TEST_KAFKA_SASL_MTLS_BOOTSTRAP"
        )
    return secured.model_copy(
        update={
            "bootstrap_servers": bootstrap,
            "ssl_certfile": mutual.ssl_certfile,
            "ssl_keyfile": mutual.ssl_keyfile,
        }
    )


@pytest.mark.parametrize("listener", ["secured", "mutual", "both"])
def test_the_relay_publishes_through_the_listener_and_the_log_reads_it_back(
    listener: str,
    request: pytest.FixtureRequest,
    ledger: CooperationLedger,
    state: RelayStateStore,
    tenant: str,
) -> None:
    """SASL_SSL with SCRAM (``secured``), TLS with a client certificate (``mutual``), both."""
    settings: KafkaSettings = request.getfixturevalue(listener)
    write_interleaved(ledger, records=4, amendments=1)
    admin = KafkaTopicAdmin(settings)
    publisher = KafkaPublisher(settings)
    log = KafkaEventLog(settings)
    try:
        admin.ensure_tenant_topics(tenant)
        assert Relay(ledger, publisher, state).catch_up() == 8
        topic = events_topic(tenant)
        records = [r for p in log.partitions(topic) for r in log.read_raw(topic, p, -1, 100)]
    finally:
        log.close()
        publisher.close()
        admin.close()
    published = sorted(
        (wire.decode(r.headers, r.value, r.key)[0] for r in records), key=lambda e: e.position
    )
    assert published == [event for _, event in ledger.read_log(0, 100)]
    assert state.load().count == 8


@pytest.mark.parametrize("listener", ["secured", "both"])
def test_a_wrong_password_publishes_nothing_and_says_what_to_check(
    listener: str,
    request: pytest.FixtureRequest,
    ledger: CooperationLedger,
    state: RelayStateStore,
) -> None:
    """SCRAM alone, and SCRAM with a valid client certificate (``both``)."""
    settings: KafkaSettings = request.getfixturevalue(listener)
    wrong = settings.model_copy(
        update={"sasl_password": SecretStr("not-the-password"), "bootstrap_timeout_ms": 3000}
    )
    write_interleaved(ledger, records=2, amendments=0)
    publisher = KafkaPublisher(wrong)
    try:
        with pytest.raises(PublishFailedError) as refused:  # the running relay retries it
            Relay(ledger, publisher, state).catch_up()
    finally:
        publisher.close()
    assert "ENTENTE_KAFKA_SASL_USERNAME and _PASSWORD" in str(refused.value)
    assert "not-the-password" not in str(refused.value)
    assert state.load().count == 0


def test_a_broker_certificate_from_an_unknown_ca_is_refused(secured: KafkaSettings) -> None:
    # No ssl_cafile: the system's CAs, which never signed the stack's broker certificate.
    untrusted = secured.model_copy(update={"ssl_cafile": None, "bootstrap_timeout_ms": 3000})
    with pytest.raises(BrokerUnavailableError, match="ENTENTE_KAFKA_SSL_CAFILE"):
        KafkaTopicAdmin(untrusted).ensure_tenant_topics("police")


@pytest.mark.parametrize("listener", ["mutual", "both"])
def test_a_client_without_a_certificate_is_refused_where_one_is_required(
    listener: str, request: pytest.FixtureRequest
) -> None:
    """TLS client authentication alone, and with SCRAM (``both``: the password is right)."""
    settings: KafkaSettings = request.getfixturevalue(listener)
    anonymous = settings.model_copy(
        update={"ssl_certfile": None, "ssl_keyfile": None, "bootstrap_timeout_ms": 3000}
    )
    with pytest.raises(BrokerUnavailableError, match="ENTENTE_KAFKA_SSL_CAFILE"):
        KafkaTopicAdmin(anonymous).ensure_tenant_topics("police")
