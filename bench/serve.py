"""The two HTTP servers H1 compares, each run as its own uvicorn process on 127.0.0.1.

``python -m bench.serve tenant TENANT DATA_DIR PORT``: the real tenant service
(PostgreSQL events and views, dev tokens), deployed as in production
(docker-compose.yml): ``ENTENTE_EMBEDDED_PROJECTOR=false``; the tenant's relay
(event store → Kafka, ``python -m bench.serve relay TENANT``) and the projector
service reading Kafka (``python -m bench.serve projector TENANT DATA_DIR``) each
run in a process of their own, which this process starts and stops. Kafka comes
from ``ENTENTE_KAFKA_*`` (the caller's run prefix).
``python -m bench.serve raw SCHEMA PORT``: a minimal FastAPI endpoint doing one
raw INSERT per request.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from psycopg import sql
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from shared.heap import collect_less_often, keep_freed_memory


def _urls() -> tuple[str, str]:
    url = os.environ["ENTENTE_TEST_POSTGRES_URL"]
    return url, url.replace("postgresql://", "postgresql+psycopg://", 1)


def _stack(tenant: str, data_dir: Path) -> dict[str, Any]:
    """The settings every process of the bench's tenant shares: the local stack, dev tokens."""
    url, views_url = _urls()
    return {
        "tenants": [tenant],
        "data_dir": data_dir,
        "store": "postgres",
        "postgres_url": url,
        "views_url": views_url,
        "auth": "dev",
    }


def tenant_app(tenant: str, data_dir: Path) -> FastAPI:
    from services.tenant.main import build
    from shared.settings import Settings

    return build(Settings(**_stack(tenant, data_dir), embedded_projector=False))


def run_projector(tenant: str, data_dir: Path) -> None:
    """The projector service's runner (no HTTP face) over Kafka, until SIGTERM."""
    from services.projector.bootstrap import bootstrap
    from services.projector.settings import ProjectorSettings

    # poll_interval: the deployed default (a caught-up projector waits on Kafka)
    service = bootstrap(ProjectorSettings(**_stack(tenant, data_dir), event_log="kafka"))
    _until_terminated(service.start, service.stop)


def run_relay(tenant: str) -> None:
    """The relay service (``services.relay.main.run``) of ``tenant``, until SIGTERM."""
    from services.relay.main import run
    from shared.settings import Settings

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    parent = os.getppid()
    threading.Thread(target=_stop_with(parent, stop), daemon=True).start()
    run(Settings(store="postgres", postgres_url=_urls()[0]), tenant, stop=stop)


def _until_terminated(start: Callable[[], None], stop: Callable[[], None]) -> None:
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    parent = os.getppid()
    start()
    try:
        while not stopped.wait(1.0) and os.getppid() == parent:  # ends with the tenant process
            pass
    finally:
        stop()


def _stop_with(parent: int, stop: threading.Event) -> Callable[[], None]:
    def watch() -> None:
        while not stop.wait(1.0):
            if os.getppid() != parent:  # the tenant process is gone
                stop.set()

    return watch


def _exit(*_: object) -> None:
    raise SystemExit(0)


def start(*args: str) -> subprocess.Popen[bytes]:
    """``python -m bench.serve <args>`` as a child process (same environment)."""
    return subprocess.Popen([sys.executable, "-m", "bench.serve", *args])  # noqa: S603


def raw_app(schema: str) -> FastAPI:
    pool = ConnectionPool(os.environ["ENTENTE_TEST_POSTGRES_URL"], min_size=5, max_size=5)
    table = sql.Identifier(schema, "raw_events")
    with pool.connection() as connection:
        connection.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (id uuid PRIMARY KEY, body jsonb NOT NULL)"
            ).format(table)
        )
    insert = sql.SQL("INSERT INTO {} (id, body) VALUES (%s, %s)").format(table)
    app = FastAPI()

    @app.post("/raw", status_code=201)
    def record(body: dict[str, Any]) -> dict[str, str]:
        record_id = uuid.uuid4()
        with pool.connection() as connection:
            connection.execute(insert, (record_id, Jsonb(body)))
        return {"id": str(record_id)}

    return app


def main(argv: list[str]) -> None:
    keep_freed_memory()  # as `entente` does; the raw baseline too, for a fair comparison
    collect_less_often()
    kind = argv[0]
    if kind in {"projector", "relay"}:
        # The bench pauses these two (SIGSTOP) during the H1 and W2 rounds. Should the
        # shell that started the bench exit meanwhile, their process group becomes an
        # orphan with stopped members, and POSIX sends it SIGHUP then SIGCONT: SIGHUP's
        # default action ended them silently (seen once, 2026-12-05). They stop with
        # their parent instead (``_stop_with``, ``_until_terminated``).
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    if kind == "projector":
        run_projector(argv[1], Path(argv[2]))
        return
    if kind == "relay":
        run_relay(argv[1])
        return
    if kind == "tenant":
        from services.relay.main import prepare_topics
        from shared.kafka.settings import KafkaSettings

        app = tenant_app(argv[1], Path(argv[2]))  # creates the event tables
        app.state.platform.views.setup()  # and the view tables, before the projector races it
        prepare_topics(KafkaSettings(), argv[1])  # before the projector reads them
        pipeline = [start("relay", argv[1]), start("projector", argv[1], argv[2])]
        # uvicorn re-raises the SIGTERM it caught once it has shut down; exiting by
        # SystemExit instead runs the ``finally`` that stops the pipeline first.
        signal.signal(signal.SIGTERM, _exit)
        try:
            uvicorn.run(
                app, host="127.0.0.1", port=int(argv[3]), log_level="warning", access_log=False
            )
        finally:
            for process in pipeline:
                process.terminate()
            for process in pipeline:
                process.wait(timeout=30)
        return
    app = raw_app(argv[1])
    uvicorn.run(app, host="127.0.0.1", port=int(argv[2]), log_level="warning", access_log=False)


if __name__ == "__main__":
    main(sys.argv[1:])
