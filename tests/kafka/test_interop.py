"""A client that is not ours reads a tenant topic and sees valid CloudEvents headers.

Kafka's own console consumer (from the jars the local stack caches) prints
the headers of what our relay published; that is what another ministry's
system would see.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from shared.application.ledger import CooperationLedger
from shared.kafka.producer import KafkaPublisher
from shared.kafka.settings import KafkaSettings
from shared.relay.ports import RelayStateStore
from tests.kafka.conftest import sign
from tests.kafka.test_relay import relay_of
from tests.kafka.test_relay import topics as topics
from tests.requirements import unavailable

pytestmark = pytest.mark.kafka

REPO = Path(__file__).parents[2]


def _kafka_libs() -> Path:
    stack = Path(os.environ.get("ENTENTE_STACK_DIR", REPO / ".cache" / "stack"))
    libs = stack / "kafka" / "libs"
    if not any(libs.glob("kafka-tools-*.jar")) or shutil.which("java") is None:
        message = f"Kafka's command-line tools are needed in {libs} (deploy/local/stack.sh)"
        unavailable(message)
    return libs


def test_kafkas_console_consumer_reads_cloudevents_headers(
    ledger: CooperationLedger,
    kafka_settings: KafkaSettings,
    publisher: KafkaPublisher,
    state: RelayStateStore,
    topics: str,
) -> None:
    libs = _kafka_libs()
    record = sign(ledger, "FR-VN-2011-CM")
    relay_of(ledger, publisher, state).catch_up()
    physical = kafka_settings.physical(topics)

    printed = subprocess.run(
        [
            "java",
            f"-Dlog4j2.configurationFile={REPO / 'deploy/local/kafka-tools-log4j2.properties'}",
            "-cp",
            f"{libs}/*",
            "org.apache.kafka.tools.consumer.ConsoleConsumer",
            "--bootstrap-server",
            kafka_settings.bootstrap_servers,
            "--topic",
            physical,
            "--from-beginning",
            "--max-messages",
            "1",
            "--timeout-ms",
            "30000",
            "--formatter-property",
            "print.headers=true",
            "--formatter-property",
            "print.key=true",
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=True,
    ).stdout

    assert "ce_specversion:1.0" in printed
    assert "ce_type:fr.interieur.entente.agreement.signed.v2" in printed
    assert f"ce_source:/entente/{ledger.tenant}" in printed
    assert "content-type:application/json" in printed
    assert str(record) in printed  # the key, and ce_subject
    assert '"payload"' in printed
