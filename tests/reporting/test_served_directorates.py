"""Reporting counts the directorates it serves, not every one its area still holds.

A directorate dropped from ``ENTENTE_TENANTS`` keeps its rows in the reporting
area until the area is rebuilt (a rebuild reads only the served topics). Its
missions and agreements were still in every total while a ``directorate``
filter naming it was refused: totals no filter could add up to, and that a
rebuild would change.
"""

from __future__ import annotations

from datetime import date

import pytest

from shared.errors import ValidationError
from shared.reporting import queries
from shared.reporting.projector import ReportingProjector
from shared.reporting.store import ReportingStore
from tests.reporting.support import TENANTS, World

Filters = queries.Filters
SERVED = ["police", "gendarmerie"]  # civil protection dropped from the configuration
ON = date(2024, 6, 1)


def _record(world: World) -> None:
    for tenant in TENANTS:
        world.mission(tenant, f"{tenant}-vn", country="VN", start=date(2024, 3, 4))
        world.agreement(
            tenant, f"{tenant}-a", countries=["VN"], themes=["cybercrime"], signed_on=ON
        )


def test_a_directorate_no_longer_served_is_counted_nowhere(
    world: World, store: ReportingStore
) -> None:
    _record(world)
    ReportingProjector(store, world.log, TENANTS).catch_up()

    every = queries.figures(store, TENANTS, Filters())["totals"]["by_directorate"]
    served = queries.figures(store, SERVED, Filters())["totals"]
    agreements = queries.agreements_in_force(store, SERVED, Filters(), ON)["totals"]
    matrix = queries.matrix(store, SERVED, Filters(), ON)["rows"]
    pairs = queries.overlaps(store, SERVED, Filters(), limit=None)["items"]

    assert every == {"civil-protection": 1, "gendarmerie": 1, "police": 1}
    assert served["by_directorate"] == {"gendarmerie": 1, "police": 1}
    assert served["actions"] == 2
    assert agreements["in_force"] == 2
    assert agreements["by_directorate"] == {"gendarmerie": 1, "police": 1}
    assert {row["directorate"] for row in matrix} == set(SERVED)
    assert len(pairs) == 1  # police × gendarmerie; the two pairs with civil protection go
    assert {m["directorate"] for m in pairs[0]["missions"]} == set(SERVED)
    with pytest.raises(ValidationError, match="directorate is one of police, gendarmerie"):
        queries.figures(store, SERVED, Filters(directorate="civil-protection"))


def test_a_directorate_filter_still_narrows_to_that_one(
    world: World, store: ReportingStore
) -> None:
    _record(world)
    ReportingProjector(store, world.log, TENANTS).catch_up()

    police = Filters(directorate="police")

    assert queries.figures(store, SERVED, police)["totals"]["by_directorate"] == {"police": 1}
    assert queries.agreements_in_force(store, SERVED, police, ON)["totals"]["in_force"] == 1
    assert len(queries.overlaps(store, SERVED, police, limit=None)["items"]) == 1
