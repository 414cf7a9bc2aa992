"""A value the reporting database refuses stops reporting: no figure is silently short.

Reporting retried such a batch for ever: ``/status`` said running, not stopped by
an error, while one directorate's figures stayed behind for good.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.reporting.projector import ReportingProjector
from shared.reporting.runner import ReportingThread
from shared.reporting.store import ReportingStore
from shared.reporting.tracking import positions
from shared.views.errors import RefusedDataError
from shared.views.halts import PartitionHalts

from .conftest import open_store
from .support import TENANTS, World


@pytest.fixture
def postgres_area(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ReportingStore]:
    yield from open_store(request, "postgres", tmp_path)


def test_a_value_postgresql_refuses_stops_reporting_with_the_reason(
    postgres_area: ReportingStore, world: World, tmp_path: Path
) -> None:
    world.mission("police", "M1")
    events = tmp_path / "events" / "police.events.sqlite3"
    with contextlib.closing(sqlite3.connect(events)) as db:  # stored before the rule
        rowid, state = db.execute(
            "SELECT rowid, state FROM stored_events WHERE topic LIKE '%Requested' LIMIT 1"
        ).fetchone()
        fields = json.loads(state)
        fields["title"] = "Mission \x00"
        db.execute(
            "UPDATE stored_events SET state = ? WHERE rowid = ?", (json.dumps(fields), rowid)
        )
        db.commit()

    with pytest.raises(RefusedDataError) as stopped:
        ReportingProjector(postgres_area, world.log, TENANTS).catch_up()
    assert "NUL" in stopped.value.detail

    runner = ReportingThread(ReportingProjector(postgres_area, world.log, TENANTS), 0.01)
    runner.start()
    try:
        deadline = time.monotonic() + 10
        while runner.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert runner.stopped_by_error  # what /api/reporting/status and /readyz show
        assert isinstance(runner.failure, RefusedDataError)
    finally:
        runner.stop()


def test_as_a_service_one_directorate_s_refused_value_stops_its_figures_only(
    postgres_area: ReportingStore, world: World, tmp_path: Path
) -> None:
    """Reporting's service stops police's partition; gendarmerie's figures go on."""
    world.mission("police", "M1")
    events = tmp_path / "events" / "police.events.sqlite3"
    with contextlib.closing(sqlite3.connect(events)) as db:
        db.execute("UPDATE stored_events SET state = replace(state, 'M1', 'M1 \\u0000')")
        db.commit()
    world.mission("gendarmerie", "G1")
    halts = PartitionHalts(logging.getLogger("test"))
    runner = ReportingThread(ReportingProjector(postgres_area, world.log, TENANTS, halts=halts))
    runner.start()
    try:
        deadline = time.monotonic() + 10
        while not runner.stopped_tenants and time.monotonic() < deadline:
            time.sleep(0.01)
        world.mission("gendarmerie", "G2")  # recorded after the stop: projected too
        runner.wake()
        wanted = world.ledgers["gendarmerie"].position()
        while _positions(postgres_area)["gendarmerie"] < wanted and time.monotonic() < deadline:
            time.sleep(0.01)

        assert runner.is_alive()
        assert runner.stopped_by_error  # readiness fails: an operator must act
        assert list(runner.stopped_tenants) == ["police"]
        assert isinstance(runner.stopped_tenants["police"], RefusedDataError)
        assert _positions(postgres_area) == {
            "police": 0, "gendarmerie": wanted, "civil-protection": 0
        }  # fmt: skip
        reason = runner.stop_reason("the reporting projector")
        assert reason is not None
        assert reason.startswith("the reporting projector stopped for police: the database ")
    finally:
        runner.stop()


def _positions(area: ReportingStore) -> dict[str, int]:
    with area.read() as session:
        return {tenant: found.position for tenant, found in positions(session, TENANTS).items()}
