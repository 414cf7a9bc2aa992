"""PostgreSQL down: a store call answers its fault in seconds, and recovers by itself.

The library retries a call ten times, each waiting 30 s for a pooled connection:
with PostgreSQL down, a command was held four minutes before its 503, and a client
that gave up first could find its command recorded minutes later (probe 5). Each
attempt now waits ``POOL_WAIT_S``. The
server is put out of reach here by a TCP relay in front of the real one, cut and
restored as a network failure would.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import closing, suppress
from urllib.parse import urlsplit, urlunsplit
from uuid import uuid4

import pytest
from eventsourcing.persistence import PersistenceError

from shared.application.ledger import CooperationLedger
from shared.application.recorder import ATTEMPTS, POOL_WAIT_S
from shared.application.stores import PostgresStore

pytestmark = pytest.mark.postgres


class Cut:
    """A TCP relay to ``upstream`` that can be cut (every connection dropped, new ones
    refused) and restored."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.cut = False
        self.open: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.cut:
                client.close()
                continue
            server = socket.create_connection(self.upstream)
            with self.lock:
                self.open += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()

    def sever(self) -> None:
        self.cut = True
        with self.lock:
            for connection in self.open:
                with suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
                connection.close()
            self.open.clear()

    def restore(self) -> None:
        self.cut = False

    def close(self) -> None:
        self.sever()
        self.listener.close()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    with suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    with suppress(OSError):
        sink.shutdown(socket.SHUT_WR)


@pytest.fixture
def relayed(postgres_url: str) -> Iterator[tuple[str, Cut]]:
    parts = urlsplit(postgres_url)
    cut = Cut((parts.hostname or "127.0.0.1", parts.port or 5432))
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{cut.port}"
    url = urlunsplit(parts._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) == 2 else host))
    with closing(cut):
        yield url, cut


def test_a_command_during_an_outage_fails_in_seconds_and_the_next_succeeds(
    relayed: tuple[str, Cut], unique: str
) -> None:
    url, cut = relayed
    ledger = CooperationLedger("police", PostgresStore(url, schema_prefix=f"o{unique}_"))
    before = ledger.position()

    cut.sever()
    started = time.monotonic()
    with pytest.raises(PersistenceError):
        ledger.recorder.select_events(uuid4())
    took = time.monotonic() - started
    cut.restore()

    # Each attempt waits at most POOL_WAIT_S for a connection (was 30 s: four minutes).
    assert took < ATTEMPTS * (POOL_WAIT_S + 0.5) + 5, took
    assert ledger.position() == before  # back by itself, no restart
    ledger.close()


def test_the_store_s_pool_waits_seconds_not_the_library_s_thirty() -> None:
    env = PostgresStore("postgresql://u:p@db:5432/entente").env("police")

    assert env["POSTGRES_CONNECT_TIMEOUT"] == str(POOL_WAIT_S)
    assert POOL_WAIT_S * ATTEMPTS <= 30
