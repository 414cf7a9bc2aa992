"""The relay's state table, ``entente_relay_state``, in the tenant's own event-store database.

Keeping it beside the events (the tenant's SQLite file, or its PostgreSQL
schema) means one backup holds both, and the state can be checked against the
store it describes. One row per tenant; each save is a compare-and-set on the
previous row, so a second relay for the same tenant is caught, not tolerated.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow

from shared.application.stores import EventStoreConfig, PostgresStore
from shared.events import chain
from shared.relay.errors import RelayStateConflictError, RelayStoreUnavailableError
from shared.relay.ports import RelayState, RelayStateStore

TABLE = "entente_relay_state"
T = TypeVar("T")

_CREATE = """CREATE TABLE IF NOT EXISTS {table} (
    tenant TEXT PRIMARY KEY,
    position BIGINT NOT NULL,
    head TEXT NOT NULL,
    count BIGINT NOT NULL,
    updated_at {timestamp} NOT NULL
)"""
_INSERT_GENESIS = "INSERT INTO {table} VALUES ({p}, 0, {p}, 0, {now}) ON CONFLICT DO NOTHING"
_SELECT = "SELECT position, head, count FROM {table} WHERE tenant = {p}"
_UPDATE = (
    "UPDATE {table} SET position = {p}, head = {p}, count = {p}, updated_at = {now} "
    "WHERE tenant = {p} AND position = {p} AND head = {p} AND count = {p}"
)


def relay_state_store(store: EventStoreConfig, tenant: str) -> RelayStateStore:
    """The state store that lives where ``store`` keeps ``tenant``'s events."""
    env = store.env(tenant)
    if isinstance(store, PostgresStore):
        return PostgresRelayStateStore(store.url, env["POSTGRES_SCHEMA"], tenant)
    return SqliteRelayStateStore(Path(env["SQLITE_DBNAME"]), tenant)


def _conflict(tenant: str, previous: RelayState) -> RelayStateConflictError:
    return RelayStateConflictError(
        f"the relay state of {tenant!r} is no longer at position {previous.position}: "
        "is another relay running for this tenant?"
    )


class SqliteRelayStateStore:
    """The state row in the tenant's SQLite event file (embedded deployments)."""

    def __init__(self, path: Path, tenant: str) -> None:
        self._path = path
        self._tenant = tenant
        self._connection: sqlite3.Connection | None = None

    def load(self) -> RelayState:
        def load(db: sqlite3.Connection) -> RelayState:
            db.execute(_CREATE.format(table=TABLE, timestamp="TEXT"))
            db.execute(
                _INSERT_GENESIS.format(table=TABLE, p="?", now="datetime('now')"),
                (self._tenant, chain.genesis(self._tenant)),
            )
            row = db.execute(_SELECT.format(table=TABLE, p="?"), (self._tenant,)).fetchone()
            return RelayState(int(row[0]), str(row[1]), int(row[2]))

        return self._run(load)

    def save(self, previous: RelayState, new: RelayState) -> None:
        def save(db: sqlite3.Connection) -> None:
            cursor = db.execute(
                _UPDATE.format(table=TABLE, p="?", now="datetime('now')"),
                (new.position, new.head, new.count, self._tenant, *_values(previous)),
            )
            if cursor.rowcount != 1:
                raise _conflict(self._tenant, previous)

        self._run(save)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        try:
            if self._connection is None:
                self._connection = sqlite3.connect(self._path, timeout=10)
            with self._connection:  # one transaction: commit, or roll back on error
                return work(self._connection)
        except sqlite3.OperationalError as error:
            self.close()
            raise RelayStoreUnavailableError(f"relay state in {self._path}: {error}") from None


class PostgresRelayStateStore:
    """The state row in the tenant's PostgreSQL schema (distributed deployments)."""

    def __init__(self, url: str, schema: str, tenant: str) -> None:
        self._url = url
        self._tenant = tenant
        self._table = sql.Identifier(schema, TABLE)
        self._connection: psycopg.Connection[TupleRow] | None = None
        self._created = False

    def load(self) -> RelayState:
        self._create_table()
        with self._cursor() as cursor:
            cursor.execute(self._sql(_INSERT_GENESIS), (self._tenant, chain.genesis(self._tenant)))
            cursor.execute(self._sql(_SELECT), (self._tenant,))
            row = cursor.fetchone()
        assert row is not None
        return RelayState(int(row[0]), str(row[1]), int(row[2]))

    def save(self, previous: RelayState, new: RelayState) -> None:
        with self._cursor() as cursor:
            cursor.execute(
                self._sql(_UPDATE),
                (new.position, new.head, new.count, self._tenant, *_values(previous)),
            )
            if cursor.rowcount != 1:
                raise _conflict(self._tenant, previous)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _create_table(self) -> None:
        """Once per store; two processes creating it at the same moment is not an error."""
        if self._created:
            return
        try:
            with self._cursor() as cursor:
                cursor.execute(self._sql(_CREATE))
        except (
            psycopg.errors.UniqueViolation,
            psycopg.errors.DuplicateTable,
            psycopg.errors.DuplicateObject,  # "type … already exists": the table's row type
        ):
            pass  # PostgreSQL's IF NOT EXISTS is not atomic: the other one won
        self._created = True

    def _sql(self, template: str) -> sql.Composed:
        return sql.SQL(template).format(
            table=self._table,
            p=sql.SQL("%s"),
            now=sql.SQL("now()"),
            timestamp=sql.SQL("TIMESTAMPTZ"),
        )

    @contextmanager
    def _cursor(self) -> Iterator[psycopg.Cursor[TupleRow]]:
        try:
            if self._connection is None or self._connection.closed:
                self._connection = psycopg.connect(self._url, autocommit=True)
            with self._connection.transaction(), self._connection.cursor() as cursor:
                yield cursor
        except psycopg.OperationalError as error:
            self.close()
            raise RelayStoreUnavailableError(f"relay state in PostgreSQL: {error}") from None


def _values(state: RelayState) -> tuple[int, str, int]:
    return state.position, state.head, state.count
