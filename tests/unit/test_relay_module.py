"""``python -m services.relay`` refuses bad settings as ``entente relay`` does: one line, exit 2.

It ran the command on its own: a bad setting printed a traceback whose values
included the Kafka password and the database URL with its password.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECRETS = ("hunter2secret", "TopSecretPw")


@pytest.mark.parametrize(
    ("setting", "said"),
    [
        ({"ENTENTE_KAFKA_SASL_PASSWORD": "hunter2secret"}, "SASL credentials are set"),
        (
            {
                "ENTENTE_STORE": "postgres",
                "ENTENTE_POSTGRES_URL": "postgresql://u:TopSecretPw@h:99999/d",
            },
            "ENTENTE_POSTGRES_URL: Value error",
        ),
        ({"ENTENTE_STORE": "foo"}, "ENTENTE_STORE: Input should be 'sqlite' or 'postgres'"),
    ],
    ids=["kafka-password", "database-url", "store"],
)
def test_a_bad_setting_is_one_line_without_secrets(
    tmp_path: Path, setting: dict[str, str], said: str
) -> None:
    env = {**os.environ, "ENTENTE_DATA_DIR": str(tmp_path), **setting}
    done = subprocess.run(
        [sys.executable, "-m", "services.relay", "police"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip

    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("entente: invalid settings"), done.stderr
    assert said in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not any(secret in done.stdout + done.stderr for secret in SECRETS)


STUCK = """
import logging, os, signal, time
logging.basicConfig(level=logging.INFO)
from services.relay.main import _stop_on_signals
stop = _stop_on_signals(within=0.5)
os.kill(os.getpid(), signal.SIGTERM)
time.sleep(30)  # a loop waiting on a store that does not answer
"""


def test_a_relay_stuck_after_sigterm_leaves_within_its_bound() -> None:
    """It waited about 150 s on a database outage, past every grace period."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", STUCK],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip

    assert time.monotonic() - started < 15
    assert done.returncode == 1
    assert "stopping after the current page" in done.stderr
    assert "leaving now; the page in flight is published again" in done.stderr


def test_a_relay_waiting_for_its_broker_at_start_up_stops_when_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Waiting, it is alive and not ready, with the reason; a stop ends the wait at once."""
    from services.relay import main
    from shared.kafka.errors import BrokerUnavailableError
    from shared.kafka.settings import KafkaSettings
    from shared.relay.health import RelayHealth

    tries: list[float] = []
    stop = threading.Event()

    def unreachable(_kafka: KafkaSettings, _tenant: str) -> None:
        tries.append(time.monotonic())
        if len(tries) == 3:
            stop.set()  # SIGTERM during the third try
        raise BrokerUnavailableError("no Kafka broker answered in time at k:9092")

    monkeypatch.setattr(main, "prepare_topics", unreachable)
    health = RelayHealth()

    prepared = main.topics_prepared(KafkaSettings(), "police", health, stop, first_wait=0.05)

    assert prepared is False
    assert len(tries) == 3
    assert tries[1] - tries[0] >= 0.05
    assert tries[2] - tries[1] >= 0.1  # it backs off (doubling)
    seen = health.snapshot()
    assert seen.alive
    assert not seen.ready
    assert seen.failure == "BrokerUnavailableError: no Kafka broker answered in time at k:9092"
    assert seen.failures_total == 3
