"""Whether a tenant's event store is there, looked at without making one.

Why: the library creates the events table of any store it opens (``CREATE_TABLE``),
so opening a store that was deleted or emptied made a new, empty one. Probe 11:
with a tenant's SQLite store deleted, ``entente serve`` refused to serve (its views
reflected later positions) but had already made an empty store, as had ``relay``
and ``projections rebuild``; ``entente audit verify`` then said "0 events … OK", and
following the refusal's advice (delete the views) turned the loss of the whole
history into a clean pass.

So: a command that only reads a store (the audit, a relay, a projection rebuild)
refuses one that is not there, and the tenant service makes a store only where
nothing shows one existed (``services.tenant.preflight.no_store_made_over_views``).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

import psycopg
from psycopg import sql

from shared.application.stores import EventStoreConfig, PostgresStore, SqliteStore, schema_for
from shared.errors import NotFoundError

#: The library's name of the events table in a SQLite file.
EVENTS_TABLE = "stored_events"
#: And in a PostgreSQL schema: ``<application name>_events``, the ledger's name being
#: "Entente" (eventsourcing.postgres' factory). Looking for ``stored_events`` there
#: found no store, so a restarted ``entente serve`` refused every PostgreSQL store as
#: "deleted or emptied" (probe 14); ``tests/integration/test_service_on_postgres.py``
#: holds this name to the one a ledger's recorder uses.
POSTGRES_EVENTS_TABLE = "entente_events"


def store_absent(store: EventStoreConfig, tenant: str) -> bool:
    """Whether opening ``store`` would make it: no file, or no events table in it."""
    if isinstance(store, SqliteStore):
        path = store.path(tenant)
        return not path.is_file() or EVENTS_TABLE not in tables_in(path, "the event store")
    return not _postgres_table(store, tenant)


def require_sqlite_store(data: Path, store: EventStoreConfig, tenant: str) -> None:
    """Refuses a SQLite event store that is not there (opening it would create an empty one).

    A data folder that is missing or not a folder is the system's own refusal, naming
    it (the command line prints it on one line); a tenant without a store file, ours.
    A PostgreSQL store is not looked at: its schema is the database's to keep.
    """
    if not isinstance(store, SqliteStore):
        return
    path = store.path(tenant)
    if path.is_file():
        holds_events(path, tenant)
        return
    os.stat(data)  # FileNotFoundError naming a mistyped ENTENTE_DATA_DIR
    with contextlib.suppress(FileNotFoundError):
        os.stat(store.directory)  # NotADirectoryError when the data "folder" is a file
    raise NotFoundError(f"no event store of {tenant!r} at {path} (is ENTENTE_DATA_DIR right?)")


def holds_events(path: Path, tenant: str) -> None:
    """Refuses a store file without its events table (emptied, truncated, another file).

    Opened as it was, the library made a new empty table in it: the audit then
    said "0 events ... OK" over a destroyed store, and overwrote the evidence.
    Looked at here read-only, before the ledger opens it.
    """
    if EVENTS_TABLE not in tables_in(path, f"the event store of {tenant!r}"):
        raise NotFoundError(
            f"the event store of {tenant!r} at {path} holds no events table: "
            "it was emptied, or it is not an event store"
        )


def tables_in(path: Path, what: str) -> set[str]:
    """The tables of a SQLite file, read without writing to it (no table made, no WAL mode)."""
    try:
        with contextlib.closing(
            sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        ) as db:
            rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    except sqlite3.DatabaseError as error:
        raise NotFoundError(f"{what} at {path} cannot be read as one: {error}") from None
    return {name for (name,) in rows}


def _postgres_table(store: PostgresStore, tenant: str) -> bool:
    schema = store.schema_prefix + schema_for(tenant)
    name = sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(POSTGRES_EVENTS_TABLE))
    with psycopg.connect(store.url, autocommit=True, connect_timeout=10) as connection:
        query = sql.SQL("SELECT to_regclass({})").format(sql.Literal(name.as_string(connection)))
        row = connection.execute(query).fetchone()
    return row is not None and row[0] is not None
