"""Every entente process bounds its PostgreSQL connection attempts (shared.connect_timeout).

A server that accepts the TCP connection and never answers made libpq wait for ever:
``entente check`` and ``entente serve`` hung without a word.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.connect_timeout import DEFAULT_SECONDS, bound_connection_attempts

ROOT = Path(__file__).resolve().parents[2]
ATTEMPT = """
import psycopg, sys
from shared.connect_timeout import bound_connection_attempts
bound_connection_attempts()
try:
    psycopg.connect(sys.argv[1])
except psycopg.OperationalError as error:
    print(type(error).__name__)
"""


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield server.getsockname()[1]
    server.close()
    for connection in accepted:
        connection.close()


def test_a_server_that_never_answers_times_out(silent_server: int) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PGCONNECT_TIMEOUT"}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", ATTEMPT, f"postgresql://u:p@127.0.0.1:{silent_server}/db"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    waited = time.monotonic() - started

    assert done.stdout.strip() == "ConnectionTimeout", done.stderr
    assert DEFAULT_SECONDS - 1 < waited < DEFAULT_SECONDS + 15


def test_an_operator_s_own_timeout_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGCONNECT_TIMEOUT", "42")
    bound_connection_attempts()
    assert os.environ["PGCONNECT_TIMEOUT"] == "42"
    monkeypatch.delenv("PGCONNECT_TIMEOUT")
    bound_connection_attempts()
    assert os.environ["PGCONNECT_TIMEOUT"] == str(DEFAULT_SECONDS)
