"""The clients keep the pitfalls away: idempotence explicit, safe consumer, CRC-32C in C."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from shared.errors import ConfigurationError
from shared.kafka.clients import consumer_config, create_producer, producer_config
from shared.kafka.crc import native_crc32c_in_use, require_native_crc32c
from shared.kafka.settings import KafkaSettings

ROOT = Path(__file__).resolve().parents[2]


def test_the_producer_asks_for_idempotence_explicitly_with_acks_all() -> None:
    config = producer_config(KafkaSettings())

    assert config["enable_idempotence"] is True  # explicit: a conflict raises, never disables
    assert config["acks"] == "all"
    assert config["retries"] > 0
    assert 1 <= config["max_in_flight_requests_per_connection"] <= 5
    assert config["allow_auto_create_topics"] is False
    assert config["linger_ms"] > 0
    assert config["batch_size"] >= 64 * 1024


@pytest.mark.kafka
def test_the_producer_built_against_a_broker_is_idempotent(kafka_settings: KafkaSettings) -> None:
    producer = create_producer(kafka_settings)
    try:
        assert producer.config["enable_idempotence"] is True
        assert producer.config["acks"] == -1
    finally:
        producer.close(timeout=1)


@pytest.mark.kafka
def test_a_setting_that_conflicts_with_idempotence_is_refused_not_tolerated(
    kafka_settings: KafkaSettings,
) -> None:
    too_many_in_flight = kafka_settings.model_copy(update={"max_in_flight": 6})

    with pytest.raises(ConfigurationError, match="idempotence"):
        create_producer(too_many_in_flight)


def test_the_consumer_never_moves_by_itself() -> None:
    config = consumer_config(KafkaSettings())

    assert config["enable_auto_commit"] is False
    assert config["auto_offset_reset"] == "none"
    assert config["isolation_level"] == "read_committed"
    assert config["allow_auto_create_topics"] is False
    assert config["group_id"] is None


def test_kafka_python_checksums_with_the_crc32c_extension() -> None:
    assert native_crc32c_in_use()
    require_native_crc32c()


def test_without_the_extension_the_start_up_check_refuses() -> None:
    """A fresh interpreter where ``crc32c`` cannot be imported, as on a broken install."""
    script = (
        "import sys; sys.modules['crc32c'] = None\n"
        "from shared.kafka.crc import require_native_crc32c\n"
        "from shared.errors import ConfigurationError\n"
        "try:\n    require_native_crc32c()\n"
        "except ConfigurationError as error:\n    print('refused:', error.detail)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )

    assert result.stdout.startswith("refused: kafka-python is using its pure-Python CRC-32C")


def test_only_shared_kafka_imports_the_kafka_client() -> None:
    importer = re.compile(r"^\s*(from kafka[. ]|import kafka\b)", re.MULTILINE)
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("shared", "services", "tests")
        for path in (ROOT / folder).rglob("*.py")
        if importer.search(path.read_text(encoding="utf-8"))
        and not path.is_relative_to(ROOT / "shared" / "kafka")
    ]

    assert offenders == []


def test_the_relay_logic_loads_without_the_kafka_client() -> None:
    script = "import sys, shared.relay.relay; print('kafka' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "False"
