"""Reporting keeps no agreement title or reference: no answer shows them.

The consolidated area held every agreement's reference and title, restricted
ones included (probe 6): text the area never serves, in the one database that
gathers every directorate's records.
"""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from shared.domain.vocabulary import Classification
from shared.reporting import queries
from shared.reporting.postgres import PostgresReportingStore
from shared.reporting.projector import ReportingProjector
from shared.reporting.sqlite import SqliteReportingStore
from shared.reporting.store import ReportingStore
from tests.reporting.support import TENANTS, World

SECRET = "Accord secret-défense"


def _sign(world: World) -> None:
    world.agreement(
        "gendarmerie",
        "T-RESTR",
        countries=["TD"],
        themes=["terrorism"],
        signed_on=date(2024, 2, 1),
        classification=Classification.RESTRICTED,
    )


def test_no_agreement_title_or_reference_reaches_the_area(world: World, tmp_path: Path) -> None:
    _sign(world)
    area = SqliteReportingStore(tmp_path / "reporting.sqlite3")
    area.setup()
    ReportingProjector(area, world.log, TENANTS).catch_up()
    counted = queries.agreements_in_force(area, TENANTS, queries.Filters(), date(2024, 6, 1))
    area.dispose()

    stored = b"".join(path.read_bytes() for path in tmp_path.glob("reporting.sqlite3*"))
    assert counted["totals"]["in_force"] == 1
    assert b"T-RESTR" not in stored
    assert b"Accord T-RESTR" not in stored


def _add_old_columns(area: ReportingStore, table: str) -> None:
    """The agreements table as releases before 2026-12-07 made it."""
    with area.write() as session:
        for column in ("reference", "title"):
            session.connection.execute(
                text(f"ALTER TABLE {table} ADD COLUMN {column} TEXT NOT NULL DEFAULT '{SECRET}'")
            )


def _columns(area: ReportingStore, schema: str | None) -> set[str]:
    with area.read() as session:
        found = inspect(session.connection).get_columns("agreements", schema=schema)
    return {column["name"] for column in found}


def test_an_area_of_an_earlier_release_loses_those_columns_and_keeps_its_rows(
    world: World, tmp_path: Path
) -> None:
    _sign(world)
    path = tmp_path / "reporting.sqlite3"
    old = SqliteReportingStore(path)
    old.setup()
    ReportingProjector(old, world.log, TENANTS).catch_up()
    _add_old_columns(old, "agreements")
    assert {"reference", "title"} <= _columns(old, None)
    old.dispose()

    upgraded = SqliteReportingStore(path)
    upgraded.setup()

    assert not {"reference", "title"} & _columns(upgraded, None)
    counted = queries.agreements_in_force(upgraded, TENANTS, queries.Filters(), date(2024, 6, 1))
    assert counted["totals"]["in_force"] == 1
    upgraded.dispose()


@pytest.mark.postgres
def test_a_postgres_area_of_an_earlier_release_loses_them_too(
    world: World, postgres_url: str
) -> None:
    _sign(world)
    schema = f"u{uuid.uuid4().hex[:10]}_entente_reporting"
    old = PostgresReportingStore(postgres_url, schema)
    try:
        old.setup()
        ReportingProjector(old, world.log, TENANTS).catch_up()
        _add_old_columns(old, f"{schema}.agreements")
        old.dispose()

        upgraded = PostgresReportingStore(postgres_url, schema)
        upgraded.setup()

        assert not {"reference", "title"} & _columns(upgraded, schema)
        counted = queries.agreements_in_force(
            upgraded, TENANTS, queries.Filters(), date(2024, 6, 1)
        )
        assert counted["totals"]["in_force"] == 1
        upgraded.dispose()
    finally:
        PostgresReportingStore(postgres_url, schema).drop()
