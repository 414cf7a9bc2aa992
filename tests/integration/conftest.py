"""Ledgers on both stores: every test here runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from shared.application.ledger import CooperationLedger
from shared.application.stores import EventStoreConfig, PostgresStore, SqliteStore

StoreFactory = Callable[[], EventStoreConfig]


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path, unique: str) -> EventStoreConfig:
    if request.param == "sqlite":
        return SqliteStore(tmp_path / "events")
    url: str = request.getfixturevalue("postgres_url")
    return PostgresStore(url, schema_prefix=f"t{unique}_")


@pytest.fixture
def ledger(store: EventStoreConfig) -> CooperationLedger:
    return CooperationLedger("police", store)
