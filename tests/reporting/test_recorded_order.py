"""Reporting applies the directorates' events in the order they were recorded.

It applied one directorate's batch, then the next's: an overlap was checked
against a state that never existed, so an alert and its resolution were raised
for an overlap that never was, caused by an event recorded before one of the two
missions was even scheduled (probe 6). And a rebuild, reading in other batches,
raised other alerts than the live feed had.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from shared.domain.mission import Mission
from shared.reporting import queries
from shared.reporting.area_key import seed
from shared.reporting.projector import ReportingProjector
from shared.reporting.sqlite import SqliteReportingStore
from shared.reporting.store import ReportingStore
from tests.reporting.support import TENANTS, World, ticking
from tests.reporting.test_overlaps import record_cases

JULY = date(2024, 7, 1)
KEY = bytes(range(32))


def _reschedule(world: World, name: str, start: date, days: int) -> None:
    tenant = world.ids[name][0]
    ctx = world.context(tenant)

    def run(mission: Mission) -> None:
        scheduled_on = start - timedelta(days=20)
        mission.schedule(ctx, start, start + timedelta(days=days), "Lieu", 2, None, scheduled_on)

    world.change(Mission, name, run)


def _alerts(store: ReportingStore) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = queries.alerts(store, TENANTS, limit=500)["items"]
    return items


def test_two_missions_that_never_met_raise_no_alert(tmp_path: Path, store: ReportingStore) -> None:
    world = World.open(tmp_path / "events", clock=ticking())
    # Civil protection schedules 1-5 July, then moves to August; only then does the
    # police schedule 2-3 July. At no moment did the two missions share a day.
    world.mission("civil-protection", "C", country="PY", start=JULY)
    _reschedule(world, "C", JULY + timedelta(days=31), 4)
    world.mission(
        "police", "P", country="PY", start=JULY + timedelta(days=1), end=JULY + timedelta(days=2)
    )

    ReportingProjector(store, world.log, TENANTS).catch_up()

    assert _alerts(store) == []
    assert queries.overlaps(store, TENANTS, queries.Filters())["total"] == 0
    world.close()


def test_an_overlap_is_caused_by_the_event_that_made_it(
    tmp_path: Path, store: ReportingStore
) -> None:
    world = World.open(tmp_path / "events", clock=ticking())
    world.mission("police", "P", country="PY", start=JULY)
    world.mission("civil-protection", "C", country="PY", start=JULY + timedelta(days=2))
    caused_by = world.ledgers["civil-protection"].history(Mission, world.ids["C"][1])[-1]

    ReportingProjector(store, world.log, TENANTS).catch_up()

    (alert,) = _alerts(store)
    (pair,) = queries.overlaps(store, TENANTS, queries.Filters())["items"]
    assert alert["type"].endswith("overlap-detected.v1")
    assert alert["caused_by"] == str(caused_by.id)
    assert pair["detected_at"] == caused_by.time.isoformat()
    world.close()


def test_the_alerts_are_the_same_whatever_the_batches(tmp_path: Path) -> None:
    """Batches of 1, 2, 3 and 1000 records give one feed: what a rebuild raises is
    what the live feed raised, in the same order and with the same ids."""
    world = World.open(tmp_path / "events", clock=ticking())
    record_cases(world)
    _reschedule(world, "vn-g", date(2024, 3, 9), 3)  # the VN pair resolved...
    _reschedule(world, "vn-p", date(2024, 3, 10), 1)  # ...and met again
    feeds = []
    for size in (1, 2, 3, 1000):
        area = SqliteReportingStore(tmp_path / f"reporting-{size}.sqlite3")
        area.setup()
        seed(area, KEY, "the test")  # one key, as a rebuild keeps it (area_key)
        ReportingProjector(area, world.log, TENANTS, page_size=size).catch_up()
        feeds.append([(a["seq"], a["type"], a["id"], a["caused_by"]) for a in _alerts(area)])
        area.dispose()

    assert len(feeds[0]) >= 8
    assert feeds[1:] == [feeds[0]] * 3
    world.close()
