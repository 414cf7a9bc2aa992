"""M1 for the relay and the projector: each run as its own process, as deployed.

``entente relay <tenant>`` publishes a store of ``events`` events to Kafka, and
``entente project`` (Kafka log) projects them into PostgreSQL views. Each one's
VmRSS is sampled every 0.1 s while it works (the peak is "under load") and read
again once it has caught up and idled for two seconds ("at rest").
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
from psycopg import sql

from bench.stack import Stack, clone, fill
from bench.web import free_port
from shared.application.stores import schema_for
from shared.kafka.settings import KafkaSettings
from shared.kafka.topics import KafkaTopicAdmin
from shared.relay.state import TABLE as RELAY_STATE
from shared.views.postgres import PostgresViewStore
from shared.views.waiting import current_position

Log = Callable[[str], None]
SEED = 200
LIMIT_S = 300.0


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def watch(
    process: subprocess.Popen[bytes], done: Callable[[], bool], what: str
) -> tuple[float, float]:
    """(peak MiB while working, MiB at rest two seconds after ``done``)."""
    peak, deadline = 0.0, time.monotonic() + LIMIT_S
    while not done():
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not catch up within {LIMIT_S:.0f} s")
        peak = max(peak, rss_mib(process.pid))
        time.sleep(0.1)
    time.sleep(2)
    return peak, rss_mib(process.pid)


def processes(stack: Stack, events: int, log: Log) -> dict[str, float]:
    """Peak and resting VmRSS of a relay and a projector process over ``events`` events."""
    tenant = stack.tenant("m1")
    ledger = stack.ledger(tenant)
    fill(ledger, min(SEED, events))
    stored = clone(stack, tenant, events)
    end = ledger.position()
    ledger.close()
    kafka = stack.kafka("m1")
    admin = KafkaTopicAdmin(kafka)
    admin.ensure_tenant_topics(tenant)
    admin.close()
    memory: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="entente-bench-m1-") as directory:
        env = _environment(stack, kafka, tenant, Path(directory))
        entente = str(Path(sys.executable).with_name("entente"))
        # As deployed: with its probes and metrics (compose and the chart give it --port).
        command = [entente, "relay", tenant, "--poll-interval", "0.2", "--port", str(free_port())]
        relay = subprocess.Popen(command, env=env)  # noqa: S603
        try:
            peak, rest = watch(relay, lambda: _published(stack, tenant) >= end, "the relay")
        finally:
            relay.terminate()
            relay.wait(timeout=30)
        memory[f"relay process, publishing {stored:,} events (peak)"] = peak
        memory["relay process, at rest"] = rest
        views = PostgresViewStore(stack.postgres_url, [tenant])
        command = [entente, "project", "--port", "0", "--tenants", tenant]
        projector = subprocess.Popen(command, env={**env, "ENTENTE_EVENT_LOG": "kafka"})  # noqa: S603
        try:
            peak, rest = watch(
                projector,
                lambda: _projected(views, tenant) >= end,
                "the projector",
            )
        finally:
            projector.terminate()
            projector.wait(timeout=30)
            views.dispose()
        memory[f"projector process, projecting {stored:,} events (peak)"] = peak
        memory["projector process, at rest"] = rest
    log("  M1: " + ", ".join(f"{k} {v:.0f} MiB" for k, v in memory.items()))
    return memory


def _environment(stack: Stack, kafka: KafkaSettings, tenant: str, data: Path) -> dict[str, str]:
    return {
        **os.environ,
        "ENTENTE_TENANTS": tenant,
        "ENTENTE_STORE": "postgres",
        "ENTENTE_POSTGRES_URL": stack.postgres_url,
        "ENTENTE_VIEWS_URL": stack.postgres_url,
        "ENTENTE_DATA_DIR": str(data),
        "ENTENTE_AUTH": "dev",
        "ENTENTE_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "ENTENTE_KAFKA_TOPIC_PREFIX": kafka.topic_prefix,
        "ENTENTE_KAFKA_PARTITIONS": str(kafka.partitions),
    }


def _published(stack: Stack, tenant: str) -> int:
    table = sql.Identifier(schema_for(tenant), RELAY_STATE)
    query = sql.SQL("SELECT position FROM {} WHERE tenant = %s").format(table)
    try:
        with psycopg.connect(stack.postgres_url, autocommit=True) as connection:
            row = connection.execute(query, (tenant,)).fetchone()
    except psycopg.errors.UndefinedTable:
        return 0
    return 0 if row is None else int(row[0])


def _projected(views: PostgresViewStore, tenant: str) -> int:
    try:
        return current_position(views, tenant).position
    except Exception:  # the projector has not created its tables yet
        return 0
