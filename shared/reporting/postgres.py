"""The reporting area in PostgreSQL: one schema, ``<prefix>entente_reporting``.

Writers take a transaction-scoped advisory lock named after the schema before
reading the tracking rows, so two reporting projectors serialise; they run at
READ COMMITTED so the rows read after the lock are the previous holder's
committed ones. Readers run at REPEATABLE READ, read-only: every query of one
answer sees one snapshot, so the figures and the positions they report agree.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, create_engine, make_url, text
from sqlalchemy.schema import CreateSchema, DropSchema

from shared.reporting.store import SCHEMA, ReportingSession
from shared.reporting.tables import forget_unserved_columns, tables_for
from shared.views.tables import widen_money_columns

#: First key of the reporting advisory locks ("ENTR"), apart from the views' ("ENTV").
LOCK_NAMESPACE = 0x454E5452


class PostgresReportingStore:
    """The consolidated tables in one schema of one PostgreSQL database."""

    def __init__(self, url: str, schema: str = SCHEMA, pool_size: int = 5) -> None:
        self.schema = schema
        self.tables = tables_for(self.schema)
        self.engine = create_engine(
            make_url(url).set(drivername="postgresql+psycopg"),
            pool_size=pool_size,
            pool_pre_ping=True,
        )
        self._reader = self.engine.execution_options(
            isolation_level="REPEATABLE READ", postgresql_readonly=True
        )
        self._ready = False
        self._lock = threading.Lock()

    def setup(self) -> None:
        self._ensure()

    @contextmanager
    def write(self) -> Iterator[ReportingSession]:
        self._ensure()
        with self.engine.begin() as connection:
            _lock(connection, self.schema)
            yield ReportingSession(connection, self.tables)

    @contextmanager
    def read(self) -> Iterator[ReportingSession]:
        self._ensure()
        with self._reader.begin() as connection:
            yield ReportingSession(connection, self.tables)

    def drop(self) -> None:
        """Removes the schema and everything in it (tests and de-provisioning)."""
        with self.engine.begin() as connection:
            connection.execute(DropSchema(self.schema, cascade=True, if_exists=True))
        self._ready = False

    def dispose(self) -> None:
        self.engine.dispose()

    def _ensure(self) -> None:
        with self._lock:
            if self._ready:
                return
            with self.engine.begin() as connection:
                _lock(connection, self.schema)
                connection.execute(CreateSchema(self.schema, if_not_exists=True))
                self.tables.metadata.create_all(connection)
                widen_money_columns(connection, self.tables.metadata)
                forget_unserved_columns(connection, self.schema)
            self._ready = True


def _lock(connection: Connection, schema: str) -> None:
    """Holds the area's advisory lock until the transaction ends."""
    connection.execute(
        text("SELECT pg_advisory_xact_lock(:namespace, hashtext(:schema))"),
        {"namespace": LOCK_NAMESPACE, "schema": schema},
    )
