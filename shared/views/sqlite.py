"""Views in SQLite: one file per tenant, for the embedded mode.

Writers open ``BEGIN IMMEDIATE``, taking the file's write lock before reading
the tracking row: a deferred transaction that reads and then writes can fail
with "database is locked" when two writers meet, and a projector must never
base its work on a tracking offset another writer is about to move. Readers
open a deferred ``BEGIN`` in WAL mode, which gives them a snapshot that writers
do not block.

A rebuild fills a second file; the swap copies its rows into the live file in
one transaction, so readers see the old views or the new ones, never a mix,
and open connections stay valid (replacing the file under them would not).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, delete, event, insert, select

from shared.private_dirs import make_private_dir
from shared.views.store import LIVE, REBUILD, Area, ViewSession, check_tenant
from shared.views.tables import create_views, tables_for

#: SQLite has no schemas: both files hold the same unqualified tables.
TABLES = tables_for(None)


def _engine(path: Path, *, write: bool) -> Engine:
    engine = create_engine(
        URL.create("sqlite", database=str(path)),
        connect_args={"timeout": 30, "check_same_thread": False},
    )
    begin = "BEGIN IMMEDIATE" if write else "BEGIN"

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)

    return engine


class SqliteViewStore:
    """One views file per tenant under ``directory`` (``<tenant>.views.sqlite3``)."""

    def __init__(self, directory: Path, tenants: Sequence[str]) -> None:
        self.directory = directory
        self.tenants = list(tenants)
        self._engines: dict[tuple[str, Area, bool], Engine] = {}
        self._ready: set[str] = set()
        self._lock = threading.Lock()

    def path(self, tenant: str, area: Area = LIVE) -> Path:
        suffix = "views" if area == LIVE else "views.rebuild"
        return self.directory / f"{tenant}.{suffix}.sqlite3"

    def setup(self) -> None:
        for tenant in self.tenants:
            self._live_engine(tenant, write=True)

    @contextmanager
    def write(self, tenant: str, area: Area = LIVE) -> Iterator[ViewSession]:
        check_tenant(tenant, self.tenants)
        engine = self._live_engine(tenant, write=True) if area == LIVE else self._get(tenant, area)
        with engine.begin() as connection:
            session = ViewSession(connection, TABLES)
            yield session
            session.rows.flush()

    @contextmanager
    def read(self, tenant: str, *, one_statement: bool = False) -> Iterator[ViewSession]:
        """A snapshot (``one_statement`` changes nothing here: SQLite's BEGIN is local)."""
        check_tenant(tenant, self.tenants)
        with self._live_engine(tenant, write=False).begin() as connection:
            yield ViewSession(connection, TABLES)

    def reset(self, tenant: str, area: Area) -> None:
        if area != REBUILD:
            raise ValueError("only the rebuild area is ever reset; live views are swapped")
        self.discard(tenant, area)
        with self._get(tenant, area).begin() as connection:
            TABLES.metadata.create_all(connection)

    def discard(self, tenant: str, area: Area) -> None:
        if area != REBUILD:
            raise ValueError("only the rebuild area is ever discarded")
        check_tenant(tenant, self.tenants)
        with self._lock:
            for key in [k for k in self._engines if k[:2] == (tenant, area)]:
                self._engines.pop(key).dispose()
        path = self.path(tenant, area)
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)

    def analyze(self, tenant: str, area: Area) -> None:
        """Nothing: the rebuilt rows are copied into the live database, whose planner
        chooses the same index plans without statistics."""
        check_tenant(tenant, self.tenants)

    def promote(self, tenant: str, live: ViewSession) -> None:
        target = live.connection
        for table in reversed(TABLES.metadata.sorted_tables):
            target.execute(delete(table))
        with self._get(tenant, REBUILD, write=False).begin() as source:
            for table in TABLES.metadata.sorted_tables:
                rows = [dict(row) for row in source.execute(select(table)).mappings()]
                if rows:
                    target.execute(insert(table), rows)

    def dispose(self) -> None:
        with self._lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()
            self._ready.clear()

    def _live_engine(self, tenant: str, *, write: bool) -> Engine:
        """The live engine; creates the tables the first time this process uses them."""
        if tenant not in self._ready:
            with self._get(tenant, LIVE).begin() as connection:
                create_views(connection, TABLES)
            self._ready.add(tenant)
        return self._get(tenant, LIVE, write=write)

    def _get(self, tenant: str, area: Area, *, write: bool = True) -> Engine:
        with self._lock:
            key = (tenant, area, write)
            if key not in self._engines:
                make_private_dir(self.directory)
                self._engines[key] = _engine(self.path(tenant, area), write=write)
            return self._engines[key]
