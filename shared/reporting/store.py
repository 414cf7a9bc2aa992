"""The reporting store port: where the consolidated area lives, and its transactions.

One area for every tenant (the figures cross them), so one writer at a time:
``write()`` is an *exclusive* transaction (SQLite ``BEGIN IMMEDIATE``, a
PostgreSQL advisory lock), so two reporting projectors serialise instead of
both reading the same tracking offset. ``read()`` is a snapshot: the rows and
the positions an answer reports are read consistently.

The embedded default is one SQLite file ``<data_dir>/reporting.sqlite3``; a
PostgreSQL URL gives the ``entente_reporting`` schema (another name can be
given, e.g. one per test).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection

from shared.reporting.deferred import DeferredInserts
from shared.reporting.tables import ReportingTables

SQLITE_FILE = "reporting.sqlite3"
SCHEMA = "entente_reporting"


@dataclass(frozen=True)
class ReportingSession:
    """A connection inside one transaction, and the reporting tables.

    ``inserts``: where the handlers' inserts wait during a projector batch
    (``deferred.deferring_inserts``); None: they run at once.
    """

    connection: Connection
    tables: ReportingTables
    inserts: DeferredInserts | None = None


class ReportingStore(Protocol):
    """Where the consolidated projection is stored: a SQLite file or a PostgreSQL schema."""

    def setup(self) -> None:
        """Creates the tables if missing (idempotent, safe at each start)."""
        ...

    def write(self) -> AbstractContextManager[ReportingSession]:
        """An exclusive write transaction: committed on exit, rolled back on error."""
        ...

    def read(self) -> AbstractContextManager[ReportingSession]:
        """A read-only snapshot."""
        ...

    def dispose(self) -> None:
        """Closes every pooled connection."""
        ...


def open_reporting_store(url: str | None, data_dir: Path, schema: str = SCHEMA) -> ReportingStore:
    """The store a deployment names: ``schema`` at a PostgreSQL URL, else a SQLite file."""
    if url and url.split(":", 1)[0].startswith("postgres"):
        from shared.reporting.postgres import PostgresReportingStore

        return PostgresReportingStore(url, schema)
    from shared.reporting.sqlite import SqliteReportingStore

    return SqliteReportingStore(data_dir / SQLITE_FILE)
