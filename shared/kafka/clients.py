"""Building kafka-python clients: the one place their constructors are called.

Each factory checks the native CRC-32C first and turns the library's start-up
failures into our errors, so callers catch ``BrokerUnavailableError`` or
``ConfigurationError`` and never a ``kafka`` type.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.errors import KafkaConfigurationError, KafkaError, RetriableError

from shared.errors import ConfigurationError
from shared.kafka.crc import require_native_crc32c
from shared.kafka.errors import BrokerRequestError, BrokerUnavailableError
from shared.kafka.settings import KafkaSettings
from shared.kafka.slow_steps import leave_out_slow_steps

T = TypeVar("T")

leave_out_slow_steps()  # every process that builds a client here: see the module

#: Idempotence needs retries; the delivery timeout bounds them, as in the Java client.
RETRIES = 2**31 - 1


def producer_config(settings: KafkaSettings) -> dict[str, Any]:
    """The relay's producer settings (pitfalls.md, kafka-python 3.0).

    ``enable_idempotence=True`` is explicit: left at its default, kafka-python
    silently turns idempotence off when ``acks``, ``retries`` or the in-flight
    limit conflict with it; set explicitly, a conflict raises at start-up.
    """
    return {
        **settings.client_config("producer"),
        "acks": "all",
        "enable_idempotence": True,
        "retries": RETRIES,
        "max_in_flight_requests_per_connection": settings.max_in_flight,
        "delivery_timeout_ms": settings.delivery_timeout_ms,
        "max_block_ms": settings.request_timeout_ms,
        "linger_ms": settings.linger_ms,
        "batch_size": settings.batch_size,
        "allow_auto_create_topics": False,
    }


def consumer_config(settings: KafkaSettings) -> dict[str, Any]:
    """A reader that never moves by itself: no group, no auto-commit, no offset reset.

    Readers (projectors, auditors) keep their own positions and ``seek()``; a
    missing offset raises instead of jumping to the earliest or latest record;
    only committed records are read; reading never creates a topic.
    """
    return {
        **settings.client_config("consumer"),
        "group_id": None,
        "enable_auto_commit": False,
        "auto_offset_reset": "none",
        "isolation_level": "read_committed",
        "allow_auto_create_topics": False,
        "fetch_max_wait_ms": settings.fetch_max_wait_ms,
        "max_poll_records": 1000,
    }


def create_producer(settings: KafkaSettings) -> KafkaProducer:
    """An idempotent, acks=all producer, or a named error."""
    producer: KafkaProducer = _build(settings, lambda: KafkaProducer(**producer_config(settings)))
    if not producer.config["enable_idempotence"]:  # defence in depth: never publish without it
        producer.close(timeout=0)
        raise ConfigurationError("the Kafka producer came up without idempotence")
    return producer


def create_consumer(settings: KafkaSettings) -> KafkaConsumer:
    """A manually positioned consumer (see ``consumer_config``)."""
    consumer: KafkaConsumer = _build(settings, lambda: KafkaConsumer(**consumer_config(settings)))
    return consumer


def create_admin(settings: KafkaSettings) -> KafkaAdminClient:
    """An admin client for topic creation and verification."""
    admin: KafkaAdminClient = _build(
        settings, lambda: KafkaAdminClient(**settings.client_config("admin"))
    )
    return admin


def _build(settings: KafkaSettings, construct: Callable[[], T]) -> T:
    require_native_crc32c()
    with translated_errors(settings):
        return construct()


@contextmanager
def translated_errors(settings: KafkaSettings) -> Iterator[None]:
    """The library's failures as our named errors (no ``kafka`` type escapes)."""
    try:
        yield
    except KafkaConfigurationError as error:
        raise ConfigurationError(f"unsafe Kafka client settings: {error}") from None
    except RetriableError as error:
        raise BrokerUnavailableError(
            f"no Kafka broker answered in time at {settings.bootstrap_servers}: {error!r}"
            + _security_hint(settings)
        ) from None
    except KafkaError as error:
        raise BrokerRequestError(f"the Kafka broker refused a request: {error!r}") from None


def _security_hint(settings: KafkaSettings) -> str:
    """What else a silent broker can mean once TLS or SASL is on.

    A broker closes a connection whose credentials or certificate it refuses,
    and kafka-python reports that only as a lost connection, then as a timeout.
    """
    protocol = settings.security_protocol
    if protocol == "PLAINTEXT":
        return ""
    checks = ["ENTENTE_KAFKA_SECURITY_PROTOCOL"]
    if protocol.startswith("SASL_"):
        checks += ["ENTENTE_KAFKA_SASL_MECHANISM", "ENTENTE_KAFKA_SASL_USERNAME and _PASSWORD"]
    if protocol.endswith("SSL"):
        checks.append("ENTENTE_KAFKA_SSL_CAFILE")
    return (
        f" (with {protocol}, a broker also closes connections it cannot authenticate: "
        f"check {', '.join(checks)})"
    )
