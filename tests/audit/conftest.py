"""Audit fixtures: a ledger on each store (SQLite and PostgreSQL), and the audit service.

PostgreSQL tests get their own schema prefix and drop it afterwards, so they
share one server without sharing state.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from shared.application.ledger import CooperationLedger
from shared.application.stores import EventStoreConfig, PostgresStore, SqliteStore, schema_for

TENANT = "police"


@pytest.fixture(params=["sqlite", "postgres"])
def store(
    request: pytest.FixtureRequest, tmp_path: Path, unique: str
) -> Iterator[EventStoreConfig]:
    if request.param == "sqlite":
        yield SqliteStore(tmp_path / "events")
        return
    url: str = request.getfixturevalue("postgres_url")
    store = PostgresStore(url, schema_prefix=f"t{unique}_")
    yield store
    with psycopg.connect(url, autocommit=True) as connection:
        schema = sql.Identifier(store.schema_prefix + schema_for(TENANT))
        connection.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(schema))


@pytest.fixture
def ledger(store: EventStoreConfig) -> Iterator[CooperationLedger]:
    ledger = CooperationLedger(TENANT, store)
    yield ledger
    ledger.close()


@pytest.fixture
def postgres(store: EventStoreConfig) -> str | None:
    """The PostgreSQL URL when the store is PostgreSQL (what the tamperer connects to)."""
    return store.url if isinstance(store, PostgresStore) else None
