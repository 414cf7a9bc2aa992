"""W2: bulk imports of 100 missions over HTTP, against a raw 100-row ``executemany``.

The subject is the real tenant service (its own uvicorn process, PostgreSQL
events and views, embedded projector, dev RS256 token) answering
``POST /api/<tenant>/missions/imports`` with 100 requests per body and an
Idempotency-Key. The baseline writes the same 100 JSON bodies per transaction
straight into a plain table with psycopg's ``executemany`` — no HTTP, no
aggregate, no receipt — which is the floor of "100 rows, one transaction".
Both sides run ``CLIENTS`` threads back to back (closed loop) and count events.
"""

from __future__ import annotations

import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from bench.harness import Comparison, Sample, compare
from bench.stack import Stack
from bench.web import drain, mission, serve
from shared.application.bulk import MAX_ITEMS
from shared.auth.dev_issuer import DevIssuer
from shared.settings import Settings

Log = Callable[[str], None]
#: A request's events is a batch; one batch is one transaction on both sides.
BATCH = MAX_ITEMS
CLIENTS = 4


def batch(first: int) -> list[dict[str, Any]]:
    return [mission(first + i) for i in range(BATCH)]


def closed_loop(
    seconds: float, one: Callable[[Any, int], None], open_client: Callable[[], Any]
) -> Sample:
    """``CLIENTS`` threads each running ``one(client, i)`` back to back for ``seconds``.

    Every call writes one batch; the sample counts events (batches × ``BATCH``)
    and keeps each batch's latency.
    """
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    counter = iter(range(1_000_000_000))
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        with open_client() as client:
            while time.perf_counter() < deadline:
                with lock:
                    i = next(counter)
                sent = time.perf_counter()
                try:
                    one(client, i)
                except Exception as error:  # reported after the run, with the first failure
                    with lock:
                        failures.append(repr(error)[:300])
                    return
                with lock:
                    latencies.append(time.perf_counter() - sent)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise RuntimeError(f"{len(failures)} batches failed, first: {failures[0]}")
    return Sample(len(latencies) * BATCH, time.perf_counter() - started, tuple(latencies))


def w2(stack: Stack, seconds: float, rounds: int, log: Log) -> Comparison:
    tenant = stack.tenant("w2")
    table = sql.Identifier(stack.schema("w2raw"), "raw_events")
    stack.execute(
        sql.SQL("CREATE TABLE {} (id uuid PRIMARY KEY, body jsonb NOT NULL)").format(table)
    )
    insert = sql.SQL("INSERT INTO {} (id, body) VALUES (%s, %s)").format(table)

    def raw_open() -> psycopg.Connection[Any]:
        return psycopg.connect(stack.postgres_url, autocommit=True)  # BEGIN..COMMIT per batch

    def raw_one(connection: psycopg.Connection[Any], i: int) -> None:
        with connection.transaction(), connection.cursor() as cursor:
            cursor.executemany(insert, [(uuid.uuid4(), Jsonb(b)) for b in batch(i * BATCH)])

    with tempfile.TemporaryDirectory(prefix="entente-bench-") as directory:
        settings = Settings(tenants=[tenant], data_dir=Path(directory), auth="dev")
        issuer = DevIssuer(Path(directory), settings.issuer, settings.audience, [tenant])
        token = {"Authorization": f"Bearer {issuer.token(f'{tenant}-recorder')}"}
        with serve("tenant", tenant, directory, kafka=stack.kafka("w2")) as service:
            url = f"{service.url}/api/{tenant}/missions/imports"

            def http_open() -> httpx.Client:
                return httpx.Client(timeout=60)

            def http_one(client: httpx.Client, i: int) -> None:
                response = client.post(
                    url,
                    json={"items": batch(i * BATCH)},
                    headers={**token, "Idempotency-Key": uuid.uuid4().hex},
                )
                if response.status_code != 201 or response.json()["count"] != BATCH:
                    raise RuntimeError(f"{response.status_code} {response.text[:200]}")

            closed_loop(1, http_one, http_open)  # warm-up: connections, caches, first tables
            closed_loop(1, raw_one, raw_open)
            drain(service.url, tenant, token, log, after="the warm-up")  # pipeline up and idle
            with service.pipeline_paused():
                return compare(
                    lambda _round: closed_loop(seconds, http_one, http_open),
                    lambda _round: closed_loop(seconds, raw_one, raw_open),
                    rounds,
                    log,
                    "W2",
                )
