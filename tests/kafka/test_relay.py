"""The relay against a real broker and a real PostgreSQL event store.

Published in notification order, keyed by record id, as CloudEvents; chained as
a recomputation from the store says; the position moves only after the acks;
a restart resumes without skipping or reordering; checkpoints carry size and head.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg import sql

from shared.application.ledger import CooperationLedger
from shared.application.stores import PostgresStore, SqliteStore, schema_for
from shared.events import chain, wire
from shared.events.envelope import EventEnvelope
from shared.events.wire import WireMessage
from shared.kafka.errors import PublishFailedError, TopicMisconfiguredError
from shared.kafka.log import KafkaEventLog
from shared.kafka.names import checkpoints_topic, events_topic
from shared.kafka.producer import KafkaPublisher
from shared.kafka.settings import KafkaSettings
from shared.kafka.topics import KafkaTopicAdmin
from shared.log.ports import RawRecord
from shared.relay.checkpoint import decode_checkpoint
from shared.relay.errors import RelayStateAheadError, RelayStateConflictError
from shared.relay.ports import RelayState, RelayStateStore
from shared.relay.relay import Relay, RelayOptions
from shared.relay.state import relay_state_store
from shared.settings import Settings
from tests.kafka.conftest import sign, write_interleaved

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def topics(topic_admin: KafkaTopicAdmin, tenant: str) -> str:
    topic_admin.ensure_tenant_topics(tenant)
    return events_topic(tenant)


def relay_of(
    ledger: CooperationLedger,
    publisher: KafkaPublisher,
    state: RelayStateStore,
    every: int = 1000,
    page: int = 1000,
) -> Relay:
    return Relay(ledger, publisher, state, RelayOptions(page_size=page, checkpoint_every=every))


def on_topic(log: KafkaEventLog, topic: str) -> list[RawRecord]:
    """Every record of every partition (raw, with its chain hash header)."""
    return [r for p in log.partitions(topic) for r in log.read_raw(topic, p, -1, 100_000)]


def decoded(records: list[RawRecord]) -> list[tuple[EventEnvelope, str]]:
    return [wire.decode(r.headers, r.value, r.key) for r in records]


def in_store(ledger: CooperationLedger) -> list[tuple[int, EventEnvelope]]:
    return list(ledger.read_log(0, 100_000))


def expected_links(ledger: CooperationLedger) -> dict[int, str]:
    """Notification id → link, recomputed from the event store alone."""
    links, head = {}, chain.genesis(ledger.tenant)
    for position, event in in_store(ledger):
        head = chain.link(head, event)
        links[position] = head
    return links


def test_events_are_published_in_notification_order_keyed_by_record_id_as_cloudevents(
    ledger: CooperationLedger,
    publisher: KafkaPublisher,
    state: RelayStateStore,
    event_log: KafkaEventLog,
    topics: str,
) -> None:
    ids = write_interleaved(ledger, records=6, amendments=2)

    assert relay_of(ledger, publisher, state).catch_up() == 18

    records = on_topic(event_log, topics)
    assert len(records) == 18
    for record in records:
        headers = dict(record.headers)
        assert headers["ce_specversion"] == b"1.0"
        assert {"ce_id", "ce_source", "ce_type", "ce_time", "ce_subject"} <= headers.keys()
        assert headers["content-type"] == b"application/json"
        assert headers["ce_tenant"] == ledger.tenant.encode()
        assert record.key == headers["ce_subject"]
    by_partition: dict[int, list[EventEnvelope]] = {}
    for record, (event, _link) in zip(records, decoded(records), strict=True):
        by_partition.setdefault(record.partition, []).append(event)
    for events in by_partition.values():  # notification order within each partition
        assert [e.position for e in events] == sorted(e.position for e in events)
    for record_id in ids:  # one record's events: one partition, versions 1, 2, 3
        holding = [
            p
            for p, events in by_partition.items()
            if any(e.aggregate_id == str(record_id) for e in events)
        ]
        assert len(holding) == 1
        versions = [e.version for e in by_partition[holding[0]] if e.aggregate_id == str(record_id)]
        assert versions == [1, 2, 3]
    published = sorted((e for e, _ in decoded(records)), key=lambda e: e.position)
    assert published == [event for _, event in in_store(ledger)]


def test_with_several_partitions_records_are_still_spread_by_key(
    ledger: CooperationLedger,
    publisher: KafkaPublisher,
    state: RelayStateStore,
    event_log: KafkaEventLog,
    topics: str,
) -> None:
    """The one-partition shortcut stays off: three partitions are used, one per record id."""
    write_interleaved(ledger, records=40, amendments=1)  # all on two of three: p < 1e-6

    relay_of(ledger, publisher, state).catch_up()

    records = on_topic(event_log, topics)
    assert len(records) == 80
    partitions_of: dict[bytes | None, set[int]] = {}
    for record in records:
        partitions_of.setdefault(record.key, set()).add(record.partition)
    assert all(len(held) == 1 for held in partitions_of.values())
    assert {record.partition for record in records} == {0, 1, 2}


def test_a_single_partition_topic_receives_every_record_in_order(
    kafka_settings: KafkaSettings,
    ledger: CooperationLedger,
    pg_store: PostgresStore,
    event_log: KafkaEventLog,
) -> None:
    """As deployed (one partition): the publisher names it, every record is on it, in order."""
    single = kafka_settings.model_copy(update={"partitions": 1})
    admin = KafkaTopicAdmin(single)
    admin.ensure_tenant_topics(ledger.tenant)
    admin.close()
    write_interleaved(ledger, records=5, amendments=1)
    publisher, store = KafkaPublisher(single), relay_state_store(pg_store, ledger.tenant)
    try:
        assert relay_of(ledger, publisher, store).catch_up() == 10
    finally:
        publisher.close()
        store.close()

    topic = events_topic(ledger.tenant)
    records = on_topic(event_log, topic)
    assert event_log.partitions(topic) == [0]
    assert [e.position for e, _ in decoded(records)] == [p for p, _ in in_store(ledger)]


def test_chain_links_on_the_topic_equal_a_recomputation_from_the_event_store(
    ledger: CooperationLedger,
    publisher: KafkaPublisher,
    state: RelayStateStore,
    event_log: KafkaEventLog,
    topics: str,
) -> None:
    write_interleaved(ledger, records=4, amendments=2)
    relay_of(ledger, publisher, state, page=5).catch_up()

    links = expected_links(ledger)
    on_log = {event.position: link for event, link in decoded(on_topic(event_log, topics))}
    assert on_log == links
    last = max(links)
    assert state.load() == RelayState(position=last, head=links[last], count=len(links))


def test_the_position_does_not_move_when_no_broker_acknowledges(
    ledger: CooperationLedger,
    kafka_settings: KafkaSettings,
    publisher: KafkaPublisher,
    state: RelayStateStore,
    event_log: KafkaEventLog,
    topics: str,
) -> None:
    write_interleaved(ledger, records=3, amendments=1)
    nowhere = kafka_settings.model_copy(
        update={"bootstrap_servers": "127.0.0.1:9", "bootstrap_timeout_ms": 500}
    )
    unreachable = KafkaPublisher(nowhere)

    with pytest.raises(PublishFailedError):
        relay_of(ledger, unreachable, state).catch_up()
    assert state.load() == RelayState(0, chain.genesis(ledger.tenant), 0)

    assert relay_of(ledger, publisher, state).catch_up() == 6
    assert len(on_topic(event_log, topics)) == 6


def test_a_page_the_broker_refuses_is_not_recorded_and_is_published_once_it_accepts(
    ledger: CooperationLedger,
    topic_admin: KafkaTopicAdmin,
    publisher: KafkaPublisher,
    state: RelayStateStore,
    event_log: KafkaEventLog,
    topics: str,
) -> None:
    write_interleaved(ledger, records=3, amendments=0)
    relay = relay_of(ledger, publisher, state, page=2)
    relay.catch_up()
    before = state.load()
    write_interleaved(ledger, records=3, amendments=0)
    _configure(topic_admin, topics, "200")  # every event is larger

    with pytest.raises(PublishFailedError):
        relay.catch_up()
    assert state.load() == before

    _configure(topic_admin, topics, "1048588")
    assert relay.catch_up() == 3
    published = sorted(e.position for e, _ in decoded(on_topic(event_log, topics)))
    assert published == [position for position, _ in in_store(ledger)]


def _configure(admin: KafkaTopicAdmin, topic: str, max_bytes: str) -> None:
    """Sets the topic's largest message and waits until the broker applies it (the change
    is asynchronous: a send right after it could still be judged by the old limit)."""
    admin.alter_config(topic, {"max.message.bytes": max_bytes})
    deadline = time.monotonic() + 10
    while admin.config_of(topic).get("max.message.bytes") != max_bytes:
        assert time.monotonic() < deadline, "the broker did not apply max.message.bytes"
        time.sleep(0.05)


class SimulatedCrash(BaseException):
    """Stands for the process dying: nothing in the relay may catch it."""


class CrashAfterAcks:
    """The real state store, except that the next save "crashes" (raises) instead."""

    def __init__(self, store: RelayStateStore) -> None:
        self._store = store
        self.crashes = 1

    def load(self) -> RelayState:
        return self._store.load()

    def save(self, previous: RelayState, new: RelayState) -> None:
        if self.crashes:
            self.crashes -= 1
            raise SimulatedCrash("between the broker's acks and the save")
        self._store.save(previous, new)

    def close(self) -> None:
        self._store.close()


def test_a_restart_republishes_from_the_stored_position_never_skipping_or_reordering(
    ledger: CooperationLedger,
    pg_store: PostgresStore,
    kafka_settings: KafkaSettings,
    state: RelayStateStore,
    event_log: KafkaEventLog,
    topics: str,
) -> None:
    write_interleaved(ledger, records=4, amendments=0)
    first = KafkaPublisher(kafka_settings)
    relay_of(ledger, first, state, page=2).catch_up()
    write_interleaved(ledger, records=4, amendments=1)  # 8 more events
    crashing = CrashAfterAcks(state)
    with pytest.raises(SimulatedCrash):
        relay_of(ledger, first, crashing, page=2).catch_up()  # acked, not saved
    first.close()

    restarted_state = relay_state_store(pg_store, ledger.tenant)
    restarted = KafkaPublisher(kafka_settings)
    try:
        assert relay_of(ledger, restarted, restarted_state, page=2).catch_up() == 8
    finally:
        restarted.close()
        restarted_state.close()

    events = [e for e, _ in decoded(on_topic(event_log, topics))]
    assert len(events) == 4 + 2 + 8  # the page acked before the crash is there twice
    unique = {(e.aggregate_id, e.version): e for e in events}  # what readers de-duplicate by
    assert sorted(unique.values(), key=lambda e: e.position) == [e for _, e in in_store(ledger)]
    links = expected_links(ledger)
    assert all(link == links[e.position] for e, link in decoded(on_topic(event_log, topics)))


def test_checkpoints_carry_the_size_head_and_position_of_the_chain(
    ledger: CooperationLedger,
    publisher: KafkaPublisher,
    state: RelayStateStore,
    event_log: KafkaEventLog,
    topics: str,
) -> None:
    write_interleaved(ledger, records=5, amendments=1)  # 10 events
    relay_of(ledger, publisher, state, every=4).catch_up()

    raw = event_log.read_raw(checkpoints_topic(ledger.tenant), 0, -1, 100)
    checkpoints = [decode_checkpoint(r.headers, r.value) for r in raw]
    links = expected_links(ledger)
    positions = list(links)
    assert [c.size for c in checkpoints] == [4, 8, 10]
    for checkpoint in checkpoints:
        assert checkpoint.tenant == ledger.tenant
        assert checkpoint.position == positions[checkpoint.size - 1]
        assert checkpoint.head == links[checkpoint.position]
        assert checkpoint.chain_version == chain.CHAIN_VERSION
    assert all(r.key == ledger.tenant.encode() for r in raw)


def test_a_restarted_relay_with_nothing_new_still_checkpoints_once(
    ledger: CooperationLedger,
    publisher: KafkaPublisher,
    state: RelayStateStore,
    event_log: KafkaEventLog,
    topics: str,
) -> None:
    sign(ledger, "A-1")
    relay_of(ledger, publisher, state).catch_up()
    restarted = relay_of(ledger, publisher, state)

    assert restarted.catch_up() == 0
    assert restarted.catch_up() == 0
    raw = event_log.read_raw(checkpoints_topic(ledger.tenant), 0, -1, 100)
    assert [decode_checkpoint(r.headers, r.value).size for r in raw] == [1, 1]


class FailingFirst:
    """The real publisher, except that its first ``failures`` publications fail (an outage)."""

    def __init__(self, publisher: KafkaPublisher, failures: int) -> None:
        self._publisher = publisher
        self.failures = failures

    def publish(self, topic: str, messages: Sequence[WireMessage]) -> None:
        if self.failures:
            self.failures -= 1
            raise PublishFailedError("the broker is away")
        self._publisher.publish(topic, messages)

    def close(self) -> None:
        self._publisher.close()


def test_the_run_loop_waits_out_an_outage_then_follows_new_events_until_stopped(
    ledger: CooperationLedger,
    pg_store: PostgresStore,
    publisher: KafkaPublisher,
    state: RelayStateStore,
    event_log: KafkaEventLog,
    topics: str,
) -> None:
    write_interleaved(ledger, records=4, amendments=0)
    options = RelayOptions(poll_interval=0.02, max_backoff=0.1)
    relay = Relay(ledger, FailingFirst(publisher, failures=3), state, options)
    stop = threading.Event()
    running = threading.Thread(target=relay.run, args=(stop,))
    observer = relay_state_store(pg_store, ledger.tenant)
    running.start()
    try:
        _wait_for(lambda: observer.load().count == 4)
        write_interleaved(ledger, records=2, amendments=0)
        _wait_for(lambda: observer.load().count == 6)
    finally:
        stop.set()
        running.join(timeout=10)
        observer.close()
    assert not running.is_alive()
    published = sorted(e.position for e, _ in decoded(on_topic(event_log, topics)))
    assert published == [position for position, _ in in_store(ledger)]


@pytest.mark.parametrize("attempt", range(3))
def test_state_stores_starting_together_all_load_the_one_state(
    pg_store: PostgresStore, tenant: str, ledger: CooperationLedger, attempt: int
) -> None:
    # PostgreSQL's CREATE TABLE IF NOT EXISTS is not atomic: a creator that loses the
    # race can fail on the table's row type ("type … already exists", DuplicateObject).
    # A relay and its observer did, once, in a clean-clone run: the relay's loop died.
    stores = [relay_state_store(pg_store, tenant) for _ in range(6)]
    barrier = threading.Barrier(len(stores))

    def load(store: RelayStateStore) -> RelayState:
        barrier.wait()
        return store.load()

    try:
        with ThreadPoolExecutor(len(stores)) as pool:
            states = list(pool.map(load, stores))
    finally:
        for store in stores:
            store.close()
    assert states == [RelayState(0, chain.genesis(tenant), 0)] * len(stores)


def _wait_for(condition: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not reached in {seconds} s"
        time.sleep(0.05)


def test_the_relay_service_refuses_to_start_against_a_retention_limited_topic(
    pg_store: PostgresStore,
    kafka_settings: KafkaSettings,
    topic_admin: KafkaTopicAdmin,
    tenant: str,
    topics: str,
) -> None:
    from services.relay.main import run

    topic_admin.alter_config(topics, {"retention.ms": "86400000"})
    settings = Settings(store="postgres", postgres_url=pg_store.url)

    with pytest.raises(TopicMisconfiguredError, match=r"retention\.ms"):
        run(settings, tenant, kafka=kafka_settings)


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_a_second_relay_for_the_same_tenant_is_caught_on_save(
    kind: str, pg_store: PostgresStore, tmp_path: Path, tenant: str, ledger: CooperationLedger
) -> None:
    store = SqliteStore(tmp_path) if kind == "sqlite" else pg_store
    one, two = relay_state_store(store, tenant), relay_state_store(store, tenant)
    try:
        start = one.load()
        assert two.load() == start
        two.save(start, RelayState(5, "ab" * 32, 3))

        with pytest.raises(RelayStateConflictError):
            one.save(start, RelayState(5, "cd" * 32, 3))
        assert one.load() == RelayState(5, "ab" * 32, 3)
    finally:
        one.close()
        two.close()


def test_a_relay_ahead_of_its_event_store_refuses_to_publish(
    ledger: CooperationLedger, publisher: KafkaPublisher, state: RelayStateStore, topics: str
) -> None:
    sign(ledger, "A-1")
    state.save(state.load(), RelayState(999, "ab" * 32, 999))

    with pytest.raises(RelayStateAheadError):
        relay_of(ledger, publisher, state).catch_up()


def test_the_relay_service_publishes_an_insert_at_once_not_at_its_next_look(
    postgres_url: str, kafka_settings: KafkaSettings, tenant: str, topics: str
) -> None:
    """Woken by the insert's notification: with a 60 s poll interval, it still follows."""
    from services.relay.main import run

    store = PostgresStore(postgres_url)  # what the service's settings build: no test prefix
    ledger = CooperationLedger(tenant, store)
    state = relay_state_store(store, tenant)
    stop = threading.Event()
    settings = Settings(store="postgres", postgres_url=postgres_url)
    relay = threading.Thread(
        target=run,
        args=(settings, tenant),
        kwargs={"kafka": kafka_settings, "options": RelayOptions(poll_interval=60), "stop": stop},
    )
    try:
        sign(ledger, "A-1")
        relay.start()
        _wait_for(lambda: state.load().count == 1)  # its first look
        sign(ledger, "A-2")
        sign(ledger, "A-3")
        _wait_for(lambda: state.load().count == 3)  # within 20 s: woken, not polled
    finally:
        stop.set()
        relay.join(10)
        state.close()
        ledger.close()
        _drop_schema(postgres_url, store, tenant)
    assert not relay.is_alive()


def _relay_env(postgres_url: str, kafka_settings: KafkaSettings, tenant: str) -> dict[str, str]:
    return {
        **os.environ,
        "ENTENTE_TENANTS": tenant,  # a relay refuses a tenant not configured
        "ENTENTE_STORE": "postgres",
        "ENTENTE_POSTGRES_URL": postgres_url,
        "ENTENTE_KAFKA_BOOTSTRAP_SERVERS": kafka_settings.bootstrap_servers,
        "ENTENTE_KAFKA_TOPIC_PREFIX": kafka_settings.topic_prefix,
    }


def test_the_relay_process_publishes_serves_its_probes_and_stops_cleanly_on_sigterm(
    postgres_url: str, kafka_settings: KafkaSettings, tenant: str
) -> None:
    store = PostgresStore(postgres_url)  # what the service's settings build: no test prefix
    ledger = CooperationLedger(tenant, store)
    state = relay_state_store(store, tenant)
    port = _free_port()
    command = [sys.executable, "-m", "services.relay", tenant, "--poll-interval", "0.1"]
    command += ["--port", str(port)]
    try:
        write_interleaved(ledger, records=3, amendments=0)
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=_relay_env(postgres_url, kafka_settings, tenant),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            _wait_until_published(state, 3, process)
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 10
            while (ready := httpx.get(f"{url}/readyz")).json().get("count") != 3:
                assert time.monotonic() < deadline, ready.text
                time.sleep(0.1)
            assert ready.status_code == 200
            assert ready.json()["position"] == ledger.last_event_position()
            assert httpx.get(f"{url}/healthz").status_code == 200
            metrics = httpx.get(f"{url}/metrics").text
            assert f'entente_relay_chain_size{{tenant="{tenant}"}} 3.0' in metrics
            assert f'entente_relay_lag{{tenant="{tenant}"}} 0.0' in metrics
            output = _stopped(process)
        finally:
            if process.poll() is None:
                process.kill()
        assert f"relay {tenant}: stopped" in output
    finally:
        state.close()
        ledger.close()
        _drop_schema(postgres_url, store, tenant)


def test_a_relay_started_before_its_broker_waits_not_ready_then_publishes(
    postgres_url: str, kafka_settings: KafkaSettings, tenant: str
) -> None:
    """It exited after 30 s, and its orchestrator's back-off then delayed publication for
    minutes after the broker came: it now waits, alive, not ready, saying why."""
    store = PostgresStore(postgres_url)
    ledger = CooperationLedger(tenant, store)
    state = relay_state_store(store, tenant)
    broker_port, probes = _free_port(), _free_port()
    env = _relay_env(postgres_url, kafka_settings, tenant)
    env["ENTENTE_KAFKA_BOOTSTRAP_SERVERS"] = f"127.0.0.1:{broker_port}"  # nobody there yet
    env["ENTENTE_KAFKA_BOOTSTRAP_TIMEOUT_MS"] = "1000"
    command = [sys.executable, "-m", "services.relay", tenant, "--port", str(probes)]
    forwarder = None
    try:
        write_interleaved(ledger, records=3, amendments=0)
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
        try:
            url = f"http://127.0.0.1:{probes}"
            waiting = _eventually_answer(f"{url}/readyz", process, lambda r: "Broker" in r.text)
            assert waiting.status_code == 503
            assert "the relay is retrying: BrokerUnavailableError" in waiting.json()["detail"]
            assert httpx.get(f"{url}/healthz").status_code == 200  # alive: no restart
            assert process.poll() is None

            forwarder = _forward(broker_port, kafka_settings.bootstrap_servers.split(",")[0])
            _wait_until_published(state, 3, process, within=60)
            ready = _eventually_answer(f"{url}/readyz", process, lambda r: r.status_code == 200)
            assert ready.json()["count"] == 3
            output = _stopped(process)
        finally:
            if process.poll() is None:
                process.kill()
        assert f"relay {tenant}: waiting for the broker" in output
    finally:
        if forwarder is not None:
            forwarder.close()
        state.close()
        ledger.close()
        _drop_schema(postgres_url, store, tenant)


def _eventually_answer(
    url: str, process: subprocess.Popen[str], good: Callable[[httpx.Response], bool]
) -> httpx.Response:
    """The first answer of ``url`` that is ``good`` (within 30 s, the process alive)."""
    deadline = time.monotonic() + 30
    while True:
        assert process.poll() is None, process.communicate()[0]
        try:
            answer = httpx.get(url)
            if good(answer):
                return answer
        except httpx.TransportError:  # not listening yet
            answer = None
        assert time.monotonic() < deadline, None if answer is None else answer.text
        time.sleep(0.1)


def _forward(port: int, target: str) -> socket.socket:
    """A TCP forwarder from 127.0.0.1:``port`` to ``target`` (the broker arriving late)."""
    host, target_port = target.rsplit(":", 1)
    listening = socket.create_server(("127.0.0.1", port))

    def pipe(source: socket.socket, sink: socket.socket) -> None:
        with source, sink:
            while data := source.recv(65536):
                sink.sendall(data)

    def accept() -> None:
        while True:
            try:
                client, _ = listening.accept()
            except OSError:  # closed: the test is over
                return
            upstream = socket.create_connection((host, int(target_port)))
            threading.Thread(target=pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return listening


def test_a_relay_whose_probe_port_is_taken_stops_with_a_clear_message(
    postgres_url: str, kafka_settings: KafkaSettings, tenant: str
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "services.relay", tenant, "--port", str(port)],
            cwd=ROOT,
            env=_relay_env(postgres_url, kafka_settings, tenant),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    _drop_schema(postgres_url, PostgresStore(postgres_url), tenant)
    assert result.returncode != 0
    assert f"could not serve its probes on 127.0.0.1:{port}" in result.stdout + result.stderr


def _stopped(process: subprocess.Popen[str]) -> str:
    """SIGTERM, then the output of its clean stop (exit status 0 within 15 s)."""
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=15)
    assert process.returncode == 0, output
    return output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_until_published(
    state: RelayStateStore, count: int, process: subprocess.Popen[str], within: float = 30
) -> None:
    deadline = time.monotonic() + within
    while state.load().count < count:
        assert process.poll() is None, process.communicate()[0]
        assert time.monotonic() < deadline, f"the relay published nothing in {within:.0f} s"
        time.sleep(0.1)


def _drop_schema(url: str, store: PostgresStore, tenant: str) -> None:
    with psycopg.connect(url, autocommit=True) as connection:
        schema = sql.Identifier(store.schema_prefix + schema_for(tenant))
        connection.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(schema))
