"""Fixtures of the reporting tests: a hand-built ministry, and the store on both backends.

Every test that writes gets its own reporting area: a SQLite file in its
temporary directory, or a PostgreSQL schema with a unique prefix (dropped
after), so tests never share state.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.reporting.postgres import PostgresReportingStore
from shared.reporting.sqlite import SqliteReportingStore
from shared.reporting.store import ReportingStore
from tests.reporting.support import World

BACKENDS = [pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)]


def open_store(
    request: pytest.FixtureRequest, backend: str, base: Path
) -> Iterator[ReportingStore]:
    """A fresh, set-up reporting area on ``backend``; removed afterwards."""
    if backend == "sqlite":
        sqlite = SqliteReportingStore(base / "reporting.sqlite3")
        sqlite.setup()
        yield sqlite
        sqlite.dispose()
        return
    url: str = request.getfixturevalue("postgres_url")
    postgres = PostgresReportingStore(url, f"t{uuid.uuid4().hex[:10]}_entente_reporting")
    postgres.setup()
    yield postgres
    postgres.drop()
    postgres.dispose()


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ReportingStore]:
    """An empty reporting area, per test, on each backend."""
    yield from open_store(request, request.param, tmp_path)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """Three empty directorate ledgers, per test."""
    found = World.open(tmp_path / "events")
    yield found
    found.close()
