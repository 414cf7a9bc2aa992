"""A restricted agreement is counted in force by year: its dates cannot be found day by day.

Counted on each day, a restricted agreement appeared between the eve of its
signature and the day itself, so a reporting reader asking ``on=`` day after
day learnt its signature (and end) dates, which are never detailed.
"""

from __future__ import annotations

from datetime import date

from shared.domain.agreement import Agreement
from shared.domain.vocabulary import Classification
from shared.reporting import queries
from shared.reporting.projector import ReportingProjector
from shared.reporting.store import ReportingStore
from tests.reporting.support import TENANTS, World

Filters = queries.Filters


def _in_force(store: ReportingStore, on: date) -> tuple[int, int]:
    totals = queries.agreements_in_force(store, TENANTS, Filters(country="TD"), on)["totals"]
    return totals["in_force"], totals["restricted"]


def _secret(world: World, signed_on: date) -> None:
    """The gendarmerie's restricted agreement "secret" with Chad, on terrorism."""
    world.agreement(
        "gendarmerie",
        "secret",
        countries=["TD"],
        themes=["terrorism"],
        signed_on=signed_on,
        classification=Classification.RESTRICTED,
    )


def test_a_restricted_agreement_counts_all_year_and_an_open_one_by_the_day(
    world: World, store: ReportingStore
) -> None:
    _secret(world, signed_on=date(2024, 6, 1))
    world.agreement(
        "police", "open", countries=["TD"], themes=["terrorism"], signed_on=date(2024, 6, 1)
    )
    police = world.context("police")
    gendarmerie = world.context("gendarmerie")
    world.change(Agreement, "open", lambda a: a.terminate(police, date(2024, 9, 1), "Fin"))
    world.change(Agreement, "secret", lambda a: a.terminate(gendarmerie, date(2024, 9, 1), "Fin"))
    ReportingProjector(store, world.log, TENANTS).catch_up()

    # The open one by the day; the restricted one on every day of 2024, in no other year.
    assert _in_force(store, date(2024, 5, 31)) == (1, 1)
    assert _in_force(store, date(2024, 6, 1)) == (2, 1)
    assert _in_force(store, date(2024, 8, 31)) == (2, 1)
    assert _in_force(store, date(2024, 9, 1)) == (1, 1)
    assert _in_force(store, date(2024, 12, 31)) == (1, 1)
    assert _in_force(store, date(2023, 12, 31)) == (0, 0)
    assert _in_force(store, date(2025, 1, 1)) == (0, 0)


def test_a_restricted_agreement_never_in_force_in_the_year_is_not_counted(
    world: World, store: ReportingStore
) -> None:
    """Suspended all year: no day of it brings the agreement into force."""
    _secret(world, signed_on=date(2023, 3, 1))
    gendarmerie = world.context("gendarmerie")
    world.change(Agreement, "secret", lambda a: a.suspend(gendarmerie, date(2023, 11, 1), "Gel"))
    ReportingProjector(store, world.log, TENANTS).catch_up()

    assert _in_force(store, date(2023, 1, 15)) == (1, 1)  # in force from March 2023
    assert _in_force(store, date(2024, 7, 1)) == (0, 0)
