"""PostgreSQL down: a store call answers its fault in seconds, and recovers by itself.

The library retries a call ten times, each waiting 30 s for a pooled connection:
with PostgreSQL down, a command was held four minutes before its 503, and a client
that gave up first could find its command recorded minutes later (probe 5). Each
attempt now waits ``POOL_WAIT_S``. The
server is put out of reach here by a TCP relay in front of the real one, cut and
restored as a network failure would.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import closing
from urllib.parse import urlsplit, urlunsplit
from uuid import uuid4

import pytest
from eventsourcing.persistence import PersistenceError

from shared.application.ledger import CooperationLedger
from shared.application.recorder import ATTEMPTS, POOL_WAIT_S
from shared.application.stores import PostgresStore
from tests.tcp_cut import Cut

pytestmark = pytest.mark.postgres


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
