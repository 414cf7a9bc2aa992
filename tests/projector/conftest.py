"""Fixtures of the projector tests (helpers in ``support``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.kafka.settings import KafkaSettings
from shared.kafka.topics import KafkaTopicAdmin
from shared.views.store import ViewStore

from .support import BACKENDS, TENANT, Recording, open_recording, open_store, record_some


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recording]:
    """Twelve events of four agreements, recorded once per module; tests only read them."""
    recording = open_recording(tmp_path_factory.mktemp("events"))
    record_some(recording)
    yield recording
    recording.ledger.close()


@pytest.fixture
def recording(tmp_path: Path) -> Iterator[Recording]:
    """An empty ledger of its own, for tests that record while projecting."""
    recording = open_recording(tmp_path / "events")
    yield recording
    recording.ledger.close()


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ViewStore]:
    """Empty views per test, on SQLite and on PostgreSQL."""
    yield from open_store(request, request.param, tmp_path)


@pytest.fixture
def kafka(kafka_bootstrap: str, unique: str) -> KafkaSettings:
    """Kafka with two partitions per event topic of ``TENANT``, in a namespace of this test
    only (the Kafka tests: a broker is needed)."""
    settings = KafkaSettings(
        bootstrap_servers=kafka_bootstrap,
        topic_prefix=f"t{unique}.",
        partitions=2,
        bootstrap_timeout_ms=5_000,
        request_timeout_ms=5_000,
        delivery_timeout_ms=10_000,
        read_timeout_ms=10_000,
    )
    admin = KafkaTopicAdmin(settings)
    admin.ensure_tenant_topics(TENANT)
    admin.close()
    return settings
