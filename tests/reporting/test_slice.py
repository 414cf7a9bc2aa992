"""One directorate's slice of the consolidated figures is that directorate's annual report.

The sample data (three directorates, 2012 to next year, restricted missions
among them) is recorded once through the ledgers; the tenant views and the
reporting area are each projected from the same embedded log, and for several
years every comparable figure of each tenant's report is checked against the
consolidated answer filtered on that tenant: actions in total and by type,
theme and country; budgets and actual costs; agreements in force on
31 December, in total and by kind. Both answers also reflect the same
position of the tenant's log.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from shared.application.ledger import CooperationLedger
from shared.application.stores import SqliteStore
from shared.log.embedded import EmbeddedEventLog
from shared.reporting import queries
from shared.reporting.projector import ReportingProjector
from shared.reporting.store import ReportingStore
from shared.sample_data.loader import load
from shared.views.projector import Projector
from shared.views.queries import annual_report
from shared.views.queries import report as report_queries
from shared.views.queries.report import COUNTED_STATUSES
from shared.views.sqlite import SqliteViewStore
from shared.views.store import ViewStore
from tests.reporting.conftest import BACKENDS, open_store

TODAY = date(2026, 11, 23)
TENANTS = ["police", "gendarmerie", "civil-protection"]
YEARS = [2014, 2019, 2024, 2026]
Filters = queries.Filters


@dataclass(frozen=True)
class Sample:
    log: EmbeddedEventLog
    views: ViewStore


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sample]:
    """The sample data recorded once, and the tenant views projected from it."""
    base = tmp_path_factory.mktemp("sample")
    ledgers = {t: CooperationLedger(t, SqliteStore(base / "events")) for t in TENANTS}
    load(ledgers, TODAY)
    log = EmbeddedEventLog(ledgers)
    views = SqliteViewStore(base / "views", TENANTS)
    Projector(views, log, TENANTS).catch_up()
    yield Sample(log, views)
    views.dispose()
    for ledger in ledgers.values():
        ledger.close()


@pytest.fixture(scope="module", params=BACKENDS)
def consolidated(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, sample: Sample
) -> Iterator[ReportingStore]:
    """The same log projected into the reporting area, once per backend."""
    for store in open_store(request, request.param, tmp_path_factory.mktemp("reporting")):
        ReportingProjector(store, sample.log, TENANTS).catch_up()
        yield store


def _by(store: ReportingStore, tenant: str, year: int, dimension: str) -> dict[str, int]:
    answer = queries.figures(store, TENANTS, Filters(directorate=tenant, year=year), [dimension])
    return {cell[dimension]: cell["actions"] for cell in answer["cells"]}


@pytest.mark.parametrize("tenant", TENANTS)
def test_a_directorates_slice_equals_its_annual_report(
    sample: Sample, consolidated: ReportingStore, tenant: str
) -> None:
    for year in YEARS:
        report = annual_report(sample.views, tenant, year)
        missions = report["missions"]
        figures = queries.figures(consolidated, TENANTS, Filters(directorate=tenant, year=year), [])
        totals = figures["totals"]

        assert totals["actions"] == missions["total"], (tenant, year)
        assert _by(consolidated, tenant, year, "mission_type") == missions["by_type"]
        assert _by(consolidated, tenant, year, "theme") == missions["by_theme"]
        assert _by(consolidated, tenant, year, "country") == missions["by_country"]
        # Restricted actions are counted, their money left out of the consolidated sums.
        shown = _budgets_not_restricted(sample.views, tenant, year)
        assert (totals["budget"], totals["actual_cost"]) == (shown["budget"], shown["actual_cost"])
        in_force = _in_force(consolidated, tenant, year)
        assert in_force["in_force"] == report["agreements"]["in_force_at_year_end"]["total"]
        assert in_force["by_kind"] == report["agreements"]["in_force_at_year_end"]["by_kind"]
        assert figures["positions"][tenant] == report["position"]


def _budgets_not_restricted(views: ViewStore, tenant: str, year: int) -> dict[str, Any]:
    """The annual report's budgets, over the counted actions that are not restricted."""
    with views.read(tenant) as session:
        m = session.tables.missions
        rows = session.connection.execute(
            select(m).where(
                m.c.start_date.between(date(year, 1, 1), date(year, 12, 31)),
                m.c.status.in_(COUNTED_STATUSES),
                m.c.classification != "restricted",
            )
        )
        return report_queries._budgets(list(rows.mappings()))


def _in_force(store: ReportingStore, tenant: str, year: int) -> dict[str, Any]:
    answer = queries.agreements_in_force(
        store, TENANTS, Filters(directorate=tenant), date(year, 12, 31)
    )
    totals: dict[str, Any] = answer["totals"]
    return totals


def test_the_sample_is_not_trivial(sample: Sample, consolidated: ReportingStore) -> None:
    """The equality above is about real figures: actions, money and restricted ones."""
    restricted_money = [
        (tenant, year)
        for tenant in TENANTS
        for year in YEARS
        if _budgets_not_restricted(sample.views, tenant, year)["budget"]
        != annual_report(sample.views, tenant, year)["budgets"]["budget"]
    ]
    assert restricted_money  # some restricted money is left out of the sums compared
    totals = queries.figures(consolidated, TENANTS, Filters(), [])["totals"]

    assert totals["actions"] > 500
    assert totals["restricted"] > 10
    assert set(totals["by_directorate"]) == set(TENANTS)
    in_force = queries.agreements_in_force(consolidated, TENANTS, Filters(), date(2024, 12, 31))
    assert in_force["totals"]["in_force"] > 20


def test_the_sum_over_directorates_is_the_consolidated_total(consolidated: ReportingStore) -> None:
    for year in YEARS:
        whole = queries.figures(consolidated, TENANTS, Filters(year=year), ["directorate"])
        parts = {cell["directorate"]: cell["actions"] for cell in whole["cells"]}

        assert sum(parts.values()) == whole["totals"]["actions"]
        assert parts == whole["totals"]["by_directorate"]
