"""The relay's probes and metrics: alive while its loop turns, ready only while it publishes.

A ledger on SQLite, the relay's own SQLite state and a publisher that can be
made to fail (as a broker away does): the relay runs in a thread as
``entente relay`` runs it, and its HTTP face (``services/relay/app.py``) is read
with a test client.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.relay.app import create_app
from shared.application.ledger import CooperationLedger, Idempotency
from shared.application.stores import SqliteStore
from shared.events.wire import WireMessage
from shared.kafka.errors import PublishFailedError
from shared.kafka.names import events_topic
from shared.relay.health import RelayHealth
from shared.relay.ports import RelayState, RelayStateStore
from shared.relay.relay import Relay, RelayOptions
from shared.relay.state import relay_state_store
from tests.audit.support import sign as receipted_sign
from tests.kafka.conftest import sign
from tests.unit.test_relay_under_a_trickle import Clock
from tests.unit.test_relay_under_a_trickle import ledger as ledger
from tests.unit.test_relay_under_a_trickle import state as state

TENANT = "police"


class Flaky:
    """A publisher that refuses while ``down`` is set, and keeps what it accepts."""

    def __init__(self) -> None:
        self.down = threading.Event()
        self.accepted: list[WireMessage] = []

    def publish(self, topic: str, messages: Sequence[WireMessage]) -> None:
        if self.down.is_set():
            raise PublishFailedError("broker unreachable (test)")
        if topic == events_topic(TENANT):
            self.accepted.extend(messages)

    def close(self) -> None:
        return None


def eventually(check: Callable[[], bool], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


@pytest.fixture
def running(ledger: CooperationLedger, tmp_path: Path) -> Iterator[tuple[Flaky, Relay, TestClient]]:
    """A relay running in a thread (fast polls and retries), and its HTTP face."""
    publisher = Flaky()
    options = RelayOptions(poll_interval=0.02, max_backoff=0.05, checkpoint_interval=0.05)
    # The SQLite state store belongs to the thread that uses it: the relay's.
    state = relay_state_store(SqliteStore(tmp_path / "events"), TENANT)
    relay = Relay(ledger, publisher, state, options)
    stop = threading.Event()

    def run() -> None:
        try:
            relay.run(stop)
        finally:
            state.close()

    thread = threading.Thread(target=run)
    thread.start()
    try:
        with TestClient(create_app(TENANT, relay.health, ledger.last_event_position)) as client:
            yield publisher, relay, client
    finally:
        stop.set()
        thread.join(10)


def series(client: TestClient) -> dict[str, float]:
    """The relay's samples, by name, from one scrape."""
    response = client.get("/metrics")
    assert response.status_code == 200
    found = {}
    for line in response.text.splitlines():
        if line.startswith("entente_relay_"):
            name, value = line.rsplit(" ", 1)
            found[name.split("{")[0]] = float(value)
    return found


def test_a_publishing_relay_is_alive_and_ready_and_says_how_far_it_is(
    ledger: CooperationLedger, running: tuple[Flaky, Relay, TestClient]
) -> None:
    publisher, _relay, client = running
    for i in range(3):
        sign(ledger, f"A-{i}")
    eventually(lambda: len(publisher.accepted) == 3)
    eventually(lambda: client.get("/readyz").json().get("count") == 3)

    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 200
    last = ledger.last_event_position()  # each agreement's reference claim follows its event
    assert ready.json() == {"status": "ready", "position": last, "count": 3}
    seen = series(client)
    assert seen["entente_relay_chain_size"] == 3
    assert seen["entente_relay_published_position"] == last
    assert seen["entente_relay_store_position"] == last
    assert seen["entente_relay_lag"] == 0
    assert seen["entente_relay_events_published_total"] == 3
    assert seen["entente_relay_retrying"] == 0
    assert seen["entente_relay_store_up"] == 1


def test_a_caught_up_relay_has_no_lag_when_the_store_ends_with_a_receipt(
    ledger: CooperationLedger, running: tuple[Flaky, Relay, TestClient]
) -> None:
    """A command sent with an Idempotency-Key stores a receipt after its event, which no
    relay publishes: the lag said 1 for ever, and "alert on lag > 0" fired on quiet tenants."""
    publisher, _relay, client = running
    receipted_sign(ledger, "A-0", key=Idempotency("key-A-0", "fingerprint"))
    eventually(lambda: len(publisher.accepted) == 1)
    eventually(lambda: client.get("/readyz").json().get("count") == 1)

    # The store: the event, its reference claim, the claims marker, the receipt.
    (event,) = [position for position, _ in ledger.read_log(0, 10)]
    assert ledger.position() == event + 3
    assert ledger.last_event_position() == event
    seen = series(client)
    assert seen["entente_relay_store_position"] == event
    assert seen["entente_relay_published_position"] == event
    assert seen["entente_relay_lag"] == 0


def test_a_relay_waiting_out_a_broker_outage_is_alive_not_ready_and_catches_up_after(
    ledger: CooperationLedger, running: tuple[Flaky, Relay, TestClient]
) -> None:
    publisher, _relay, client = running
    sign(ledger, "A-0")
    eventually(lambda: client.get("/readyz").status_code == 200)

    publisher.down.set()
    sign(ledger, "A-1")
    eventually(lambda: client.get("/readyz").status_code == 503)
    problem = client.get("/readyz")
    assert problem.headers["content-type"].startswith("application/problem+json")
    assert "broker unreachable (test)" in problem.json()["detail"]
    assert client.get("/healthz").status_code == 200  # retrying is not stuck: no restart
    seen = series(client)
    assert seen["entente_relay_retrying"] == 1
    assert seen["entente_relay_failures_total"] >= 1
    assert seen["entente_relay_lag"] >= 1  # A-1 stored, not published

    publisher.down.clear()
    eventually(lambda: client.get("/readyz").status_code == 200)
    assert len(publisher.accepted) == 2  # nothing lost, nothing twice
    assert series(client)["entente_relay_lag"] == 0


def test_metrics_still_answer_when_the_store_cannot_be_read() -> None:
    health = RelayHealth()
    health.looked(RelayState(position=7, head="h", count=5), 5)

    def unreadable() -> int:
        raise OSError("database unreachable (test)")

    with TestClient(create_app(TENANT, health, unreadable)) as client:
        seen = series(client)
    assert seen["entente_relay_store_up"] == 0
    assert "entente_relay_lag" not in seen
    assert seen["entente_relay_chain_size"] == 5


def test_a_loop_silent_for_longer_than_the_limit_fails_liveness() -> None:
    clock = Clock()
    health = RelayHealth(stale_after=300.0, monotonic=clock)
    with TestClient(create_app(TENANT, health, lambda: 0)) as client:
        assert client.get("/healthz").status_code == 503  # not started yet
        assert client.get("/readyz").status_code == 503
        health.beat()
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 503  # no look finished yet
        health.looked(RelayState(position=0, head="h", count=0), 0)
        assert client.get("/readyz").status_code == 200

        clock.now += 299
        assert client.get("/healthz").status_code == 200
        clock.now += 2  # a call stuck past the limit
        stuck = client.get("/healthz")
        assert stuck.status_code == 503
        assert "silent 301s" in stuck.json()["detail"]
        assert client.get("/readyz").status_code == 503


class CountingHealth(RelayHealth):
    def __init__(self) -> None:
        super().__init__()
        self.beats = 0

    def progressed(self) -> None:
        self.beats += 1
        super().progressed()


def test_a_long_catch_up_beats_at_every_acknowledged_page(
    ledger: CooperationLedger, state: RelayStateStore
) -> None:
    for i in range(5):
        sign(ledger, f"A-{i}")
    health = CountingHealth()
    options = RelayOptions(page_size=2, checkpoint_every=2)
    relay = Relay(ledger, Flaky(), state, options, health=health)
    assert relay.catch_up() == 5
    assert health.beats == 3  # pages of 2, 2 and 1: a long catch-up is not a stuck loop


def test_a_look_without_progress_for_longer_than_the_limit_is_not_ready() -> None:
    """A look blocked on a broker or database that does not answer left the relay ready
    for the producer's whole delivery timeout (two minutes of an outage, probe 5)."""
    clock = Clock()
    health = RelayHealth(monotonic=clock, stalled_after=20.0)
    with TestClient(create_app(TENANT, health, lambda: 0)) as client:
        health.looking()
        health.looked(RelayState(position=3, head="h", count=3), 3)
        health.looking()  # the next look: it blocks
        clock.now += 19
        assert client.get("/readyz").status_code == 200
        health.progressed()  # a page acknowledged: it moves
        clock.now += 19
        assert client.get("/readyz").status_code == 200
        clock.now += 2
        stalled = client.get("/readyz")
        assert stalled.status_code == 503
        assert "no progress for 21 s" in stalled.json()["detail"]
        assert client.get("/healthz").status_code == 200  # waiting, not stuck: no restart
        health.looked(RelayState(position=4, head="h", count=4), 1)
        assert client.get("/readyz").status_code == 200
        clock.now += 60  # idle between looks: not a stall
        health.beat()
        assert client.get("/readyz").status_code == 200


def test_probes_served_on_port_0_are_logged_with_the_port_they_got(
    ledger: CooperationLedger, caplog: pytest.LogCaptureFixture
) -> None:
    """``entente relay --port 0`` logged "http://127.0.0.1:0", a place nobody could reach."""
    import httpx

    from services.relay.main import _serve

    with caplog.at_level("INFO", logger="entente.relay"):
        server = _serve(TENANT, RelayHealth(), ledger, ("127.0.0.1", 0))
    try:
        (line,) = [r.getMessage() for r in caplog.records if "probes and metrics" in r.getMessage()]
        url = line.rsplit(" ", 1)[-1]
        assert not url.endswith(":0"), line
        assert httpx.get(f"{url}/healthz").status_code in (200, 503)
    finally:
        server.should_exit = True
