"""The fault harness: one tenant's writers, relay and projector, and the progress of each.

A ``Tenant`` bundles what a fault test wires: the event store (real
PostgreSQL, one schema per tenant), the topics (real Kafka, namespaced per
test), the views (PostgreSQL, the projector's schema of the tenant) and
observers of progress: the messages on the topic, the relay's state row, the
views' tracking rows. A ``KillPlan`` SIGKILLs a service when its progress
reaches each of its points and starts it again at once.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.context import ForkServerContext
from pathlib import Path

import psycopg
from psycopg import sql

from services.projector.settings import ProjectorSettings
from shared.application.ledger import CooperationLedger
from shared.application.stores import PostgresStore, schema_for
from shared.checker.check import check
from shared.checker.report import CheckReport
from shared.kafka.log import KafkaEventLog
from shared.kafka.names import events_topic
from shared.kafka.settings import KafkaSettings
from shared.kafka.topics import KafkaTopicAdmin
from shared.relay.ports import RelayStateStore
from shared.relay.relay import RelayOptions
from shared.relay.state import relay_state_store
from shared.settings import Settings
from shared.views.postgres import PostgresViewStore
from tests.faults.processes import Restartable, projector_process, relay_process
from tests.faults.workload import Writer

#: What issue 3 asks: 20 kills at random points while 20,000 events flow.
EVENTS = 20_000
KILLS = 20
#: Writers recording at once (each its own ledger, as two service instances would).
WRITERS = 2


@dataclass
class Tenant:
    """One test's tenant on the real servers, with its observers."""

    name: str
    postgres_url: str
    kafka: KafkaSettings
    store: PostgresStore = field(init=False)
    relay_state: RelayStateStore = field(init=False)
    views: PostgresViewStore = field(init=False)
    log: KafkaEventLog = field(init=False)
    progress_log: KafkaEventLog = field(init=False)
    ledgers: list[CooperationLedger] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.store = PostgresStore(self.postgres_url)  # what the services' settings build
        self.ledgers.append(CooperationLedger(self.name, self.store))
        self.relay_state = relay_state_store(self.store, self.name)
        self.views = PostgresViewStore(self.postgres_url, [self.name])
        self.log = KafkaEventLog(self.kafka)
        self.progress_log = KafkaEventLog(self.kafka)  # a consumer is not thread-safe

    @property
    def topic(self) -> str:
        return events_topic(self.name)

    def writers(self, total: int, seed: int, rate: float | None = None) -> list[Writer]:
        """``WRITERS`` writers sharing ``total`` events (and ``rate`` events/s at most), started."""
        while len(self.ledgers) < WRITERS:
            self.ledgers.append(CooperationLedger(self.name, self.store))
        share = [total // WRITERS + (i < total % WRITERS) for i in range(WRITERS)]
        writers = [
            Writer(ledger, n, seed + i, f"w{i}", None if rate is None else rate / WRITERS)
            for i, (ledger, n) in enumerate(zip(self.ledgers, share, strict=True))
        ]
        for writer in writers:
            writer.start()
        return writers

    def on_topic(self) -> int:
        """How many messages the broker holds on the event topic (acknowledged sends)."""
        log = self.progress_log
        return sum(log.end_offset(self.topic, p) + 1 for p in log.partitions(self.topic))

    def published(self) -> int:
        """How many events the relay saved as published (its state row)."""
        return self.relay_state.load().count

    def consumed(self) -> int:
        """How many messages the views consumed, over every partition (tracking rows)."""
        with self.views.read(self.name) as session:
            tracking = session.tables.tracking
            offsets = session.connection.execute(tracking.select()).mappings()
            return sum(int(row["offset"]) + 1 for row in offsets)

    def projected_to_the_end(self) -> bool:
        """True when each partition's tracked offset is its last offset."""
        ends = {p: self.log.end_offset(self.topic, p) for p in self.log.partitions(self.topic)}
        with self.views.read(self.name) as session:
            tracking = session.tables.tracking
            rows = session.connection.execute(tracking.select()).mappings()
            tracked = {int(row["partition"]): int(row["offset"]) for row in rows}
        return all(tracked.get(p, -1) == end for p, end in ends.items())

    def check(self, *, views: bool = True) -> CheckReport:
        return check(self.ledgers[0], self.log, self.views if views else None)

    def close(self) -> None:
        """Closes every client and drops the tenant's schemas (store, relay state, views)."""
        self.log.close()
        self.progress_log.close()
        self.relay_state.close()
        for ledger in self.ledgers:
            ledger.close()
        self.views.drop(self.name)
        self.views.dispose()
        with psycopg.connect(self.postgres_url, autocommit=True) as connection:
            schema = sql.Identifier(schema_for(self.name))
            connection.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(schema))


def kafka_settings_for(bootstrap: str, unique: str) -> KafkaSettings:
    """This test's topics only; timeouts short enough to notice an outage quickly."""
    return KafkaSettings(
        bootstrap_servers=bootstrap,
        topic_prefix=f"t{unique}.",
        partitions=3,
        bootstrap_timeout_ms=10_000,
        request_timeout_ms=10_000,
        delivery_timeout_ms=20_000,
        read_timeout_ms=20_000,
    )


def open_tenant(postgres_url: str, kafka: KafkaSettings, unique: str) -> Iterator[Tenant]:
    admin = KafkaTopicAdmin(kafka)
    try:
        admin.ensure_tenant_topics(f"t{unique}")
    finally:
        admin.close()
    tenant = Tenant(f"t{unique}", postgres_url, kafka)
    yield tenant
    tenant.close()


def written(writers: Sequence[Writer]) -> int:
    for writer in writers:
        assert writer.error is None, f"{writer.name} failed: {writer.error!r}"
    return sum(writer.written for writer in writers)


def writers_healthy(writers: Sequence[Writer]) -> Callable[[], None]:
    """A ``watch`` that fails as soon as a writer failed."""

    def healthy() -> None:
        written(writers)

    return healthy


def wait_for(
    condition: Callable[[], bool],
    what: str,
    deadline: float,
    watch: Sequence[Callable[[], None]] = (),
) -> None:
    """Polls ``condition`` until ``deadline`` (monotonic); each ``watch`` asserts health."""
    while not condition():
        for healthy in watch:
            healthy()
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.05)


@dataclass(frozen=True)
class Kill:
    """One SIGKILL: which service, at what progress it was aimed, and the progress seen."""

    service: str
    aimed_at: int
    progress: int


def kill_points(rng: random.Random, events: int = EVENTS, kills: int = KILLS) -> list[int]:
    """``kills`` distinct progress points in (0, events), sorted."""
    return sorted(rng.sample(range(1, events), kills))


@dataclass
class KillPlan:
    """SIGKILL ``service`` when its ``progress`` reaches each point, then start it again at once.

    Each kill also waits until the restarted process made progress of its own
    (unless ``idle`` says there is nothing left to do), then a random moment
    up to ``jitter`` seconds, so kills land inside a page or a batch, between
    the broker's acknowledgement and the save, or between two pages.
    """

    service: Restartable
    progress: Callable[[], int]
    points: Sequence[int]
    jitter: float
    idle: Callable[[], bool]
    rng: random.Random
    kills: list[Kill] = field(default_factory=list)

    def run(self, deadline: float, watch: Sequence[Callable[[], None]]) -> None:
        for point in self.points:
            self._wait_for(point, deadline, watch)
            time.sleep(self.rng.uniform(0, self.jitter))
            self.kills.append(Kill(self.service.name, point, self.progress()))
            self.service.restart()

    def _wait_for(self, point: int, deadline: float, watch: Sequence[Callable[[], None]]) -> None:
        start = self.progress()

        def reached() -> bool:
            now = self.progress()
            return now >= point and (now > start or self.idle())

        wait_for(reached, f"{self.service.name} reaches {point}", deadline, watch)


def run_plans(
    plans: Sequence[KillPlan], deadline: float, watch: Sequence[Callable[[], None]]
) -> None:
    """Runs each plan in its own thread (the services are killed independently)."""
    failures: list[BaseException] = []

    def run(plan: KillPlan) -> None:
        try:
            plan.run(deadline, watch)
        except BaseException as error:  # re-raised below, in the test's thread
            failures.append(error)

    threads = [threading.Thread(target=run, args=(plan,), daemon=True) for plan in plans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(deadline - time.monotonic(), 0) + 30)
    if failures:
        raise failures[0]
    assert not any(thread.is_alive() for thread in threads), "a kill plan did not finish"


#: The relay as deployed, polling often and retrying soon (tests wait on it).
RELAY_OPTIONS = RelayOptions(poll_interval=0.05, max_backoff=1.0)


def relay_of(ctx: ForkServerContext, tenant: Tenant, logs: Path) -> Restartable:
    """The relay process of ``tenant``, logging into ``logs`` (not started)."""
    settings = Settings(store="postgres", postgres_url=tenant.postgres_url)
    args = (settings, tenant.name, tenant.kafka, RELAY_OPTIONS)
    return Restartable(ctx, "relay", relay_process, args, log_path(logs, "relay"))


def projector_of(ctx: ForkServerContext, tenant: Tenant, logs: Path) -> Restartable:
    """The projector process of ``tenant`` (Kafka in, PostgreSQL views out), not started."""
    settings = ProjectorSettings(
        tenants=[tenant.name],
        event_log="kafka",
        views_url=tenant.postgres_url,
        data_dir=logs / "projector-data",
        auth="dev",
        poll_interval=0.05,
    )
    args = (settings, tenant.kafka)
    return Restartable(ctx, "projector", projector_process, args, log_path(logs, "projector"))


def logs_of(*services: Restartable) -> str:
    return "\n".join(f"--- {s.name} ---\n{s.tail()}" for s in services)


def log_path(directory: Path, name: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    return directory / f"{name}.log"
