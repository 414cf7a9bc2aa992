"""The reporting area in one SQLite file, for the embedded default.

Writers open ``BEGIN IMMEDIATE`` so the file's write lock is held before the
tracking offset is read (a deferred transaction could read, then fail to
write, or two writers could read the same offset). Readers open a deferred
``BEGIN`` in WAL mode: a snapshot that writers do not block.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event

from shared.private_dirs import private_database_file
from shared.reporting.store import ReportingSession
from shared.reporting.tables import forget_unserved_columns, tables_for

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


class SqliteReportingStore:
    """The consolidated tables in one file (``reporting.sqlite3``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer: Engine | None = None
        self._reader: Engine | None = None
        self._lock = threading.Lock()

    def setup(self) -> None:
        self._engines()

    @contextmanager
    def write(self) -> Iterator[ReportingSession]:
        writer, _ = self._engines()
        with writer.begin() as connection:
            yield ReportingSession(connection, TABLES)

    @contextmanager
    def read(self) -> Iterator[ReportingSession]:
        _, reader = self._engines()
        with reader.begin() as connection:
            yield ReportingSession(connection, TABLES)

    def dispose(self) -> None:
        with self._lock:
            for engine in (self._writer, self._reader):
                if engine is not None:
                    engine.dispose()
            self._writer = self._reader = None

    def _engines(self) -> tuple[Engine, Engine]:
        """Both engines; the first call creates the file and its tables."""
        with self._lock:
            if self._writer is None or self._reader is None:
                private_database_file(self.path)
                self._writer = _engine(self.path, write=True)
                with self._writer.begin() as connection:
                    TABLES.metadata.create_all(connection)
                    forget_unserved_columns(connection)
                self._reader = _engine(self.path, write=False)
            return self._writer, self._reader
