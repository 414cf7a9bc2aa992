"""The relay's and projector's processes log Entente's INFO, and only kafka-python's warnings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import logging
from shared.cli.logs import configure_process_logging
configure_process_logging()
import shared.kafka.clients  # as the relay and the projector do
logging.getLogger("kafka.net.manager").info("kafka connection details")
logging.getLogger("kafka.net.selector").warning("kafka slow task")
logging.getLogger("kafka.net.selector").warning(
    "Task <Task> ran for 0.122s (>0.100s threshold). It is blocking the event loop -- "
    "likely a tight sync loop inside a coroutine. Other pollers will time out."
)
logging.getLogger("entente.relay").info("relay police: published 3 events")
"""


def test_kafka_info_lines_are_left_out_and_entente_info_and_kafka_warnings_kept() -> None:
    run = subprocess.run(  # a process of its own: logging is configured once per process
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, check=True
    )

    lines = run.stderr.splitlines()
    assert any(line.endswith("entente.relay relay police: published 3 events") for line in lines)
    assert any(line.endswith("kafka.net.selector kafka slow task") for line in lines)
    assert not any("kafka connection details" in line for line in lines)
    # The I/O thread waiting for the interpreter lock (shared/kafka/slow_steps.py).
    assert not any("blocking the event loop" in line for line in lines)
