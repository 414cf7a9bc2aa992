"""An agreement's status history, rewritten, moves it in every figure.

A corrected term: signed on the 20th for two years, typed the 10th for one, the
agreement was shown expired a year early and left out of "in force on 31
December" in the tenant's annual report and in the consolidated figures. A
correction sets the first term again; both projections rewrite the record and
its status history (on each view and reporting backend), whether the signature
was projected in an earlier batch or in the same one as its correction, and a
later renewal follows the corrected term.

A withdrawn status change: a termination recorded by mistake left the agreement
out of every "in force" figure for good. Its withdrawal takes the change out of
the status history in both projections, and the record's status back to the one
before it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import select

from shared.domain.agreement import Agreement
from shared.reporting import queries
from shared.reporting.projector import ReportingProjector
from shared.reporting.store import ReportingStore
from shared.views.postgres import PostgresViewStore
from shared.views.projector import Projector
from shared.views.queries import annual_report
from shared.views.sqlite import SqliteViewStore
from shared.views.store import ViewStore
from tests.reporting.support import CYBER, TENANTS, World

BACKENDS = [pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def views(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ViewStore]:
    """Every directorate's empty views, per test, on each backend."""
    if request.param == "sqlite":
        sqlite = SqliteViewStore(tmp_path / "views", TENANTS)
        yield sqlite
        sqlite.dispose()
        return
    url: str = request.getfixturevalue("postgres_url")
    postgres = PostgresViewStore(url, TENANTS, schema_prefix=f"t{uuid4().hex[:10]}_")
    yield postgres
    for tenant in TENANTS:
        postgres.drop(tenant)
    postgres.dispose()


def _project(world: World, views: ViewStore, store: ReportingStore) -> None:
    Projector(views, world.log, TENANTS).catch_up()
    ReportingProjector(store, world.log, TENANTS).catch_up()


def _in_force(views: ViewStore, store: ReportingStore, year: int) -> tuple[int, int]:
    """Agreements in force on 31 December of ``year``: the tenant's report, reporting's."""
    tenant = annual_report(views, "police", year)["agreements"]["in_force_at_year_end"]["total"]
    filters = queries.Filters(directorate="police")
    answer = queries.agreements_in_force(store, TENANTS, filters, date(year, 12, 31))
    return tenant, answer["totals"]["in_force"]


def _history(views: ViewStore, store: ReportingStore, agreement_id: str) -> list[Any]:
    """The status history (day, status, expiry), in the tenant's views and in reporting."""
    with views.read("police") as session:
        t = session.tables.agreement_terms
        tenant = session.connection.execute(
            select(t.c.effective_on, t.c.status, t.c.expires_on)
            .where(t.c.agreement_id == agreement_id)
            .order_by(t.c.version)
        ).all()
    with store.read() as session:
        r = session.tables.agreement_terms
        consolidated = session.connection.execute(
            select(r.c.effective_on, r.c.status, r.c.expires_on)
            .where(r.c.agreement_id == agreement_id)
            .order_by(r.c.version)
        ).all()
    assert [tuple(row) for row in tenant] == [tuple(row) for row in consolidated]
    return [tuple(row) for row in tenant]


def _record(views: ViewStore, agreement_id: str) -> tuple[Any, ...]:
    with views.read("police") as session:
        a = session.tables.agreements
        row = session.connection.execute(
            select(a.c.signed_on, a.c.duration_months, a.c.term_start, a.c.expires_on).where(
                a.c.id == agreement_id
            )
        ).one()
    return tuple(row)


def _correct_term(world: World, name: str) -> None:
    ctx = world.context("police")
    changes = {"signed_on": "2023-01-20", "duration_months": 24}
    world.change(Agreement, name, lambda a: a.correct(ctx, changes, "Texte", date(2024, 2, 1)))


def test_a_corrected_term_moves_the_agreement_in_force_in_both_projections(
    world: World, views: ViewStore, store: ReportingStore
) -> None:
    world.agreement(
        "police", "A", countries=["VN"], themes=[CYBER], signed_on=date(2023, 1, 10), months=12
    )
    ctx = world.context("police")
    world.change(Agreement, "A", lambda a: a.suspend(ctx, date(2023, 5, 1), "Crise"))
    world.change(Agreement, "A", lambda a: a.resume(ctx, date(2023, 6, 1)))
    _project(world, views, store)  # the typed term in the views: expired on 2024-01-10
    assert _in_force(views, store, 2024) == (0, 0)

    _correct_term(world, "A")
    _project(world, views, store)

    assert _record(views, world.id("A")) == (
        date(2023, 1, 20),
        24,
        date(2023, 1, 20),
        date(2025, 1, 20),
    )
    assert _history(views, store, world.id("A")) == [
        (date(2023, 1, 20), "in-force", date(2025, 1, 20)),
        (date(2023, 5, 1), "suspended", date(2025, 1, 20)),
        (date(2023, 6, 1), "in-force", date(2025, 1, 20)),
    ]
    assert _in_force(views, store, 2024) == (1, 1)
    assert _in_force(views, store, 2025) == (0, 0)

    # A renewal follows the corrected term: from its expiry, one more year.
    world.change(Agreement, "A", lambda a: a.renew(ctx, date(2025, 1, 5), 12))
    _project(world, views, store)
    assert _record(views, world.id("A"))[2:] == (date(2025, 1, 20), date(2026, 1, 20))
    assert _in_force(views, store, 2025) == (1, 1)


def test_a_term_corrected_in_the_batch_that_signed_it_is_projected_corrected(
    world: World, views: ViewStore, store: ReportingStore
) -> None:
    """The signature's status row is still waiting to be written when the correction
    rewrites the history: it is rewritten, not written as typed beside the new one."""
    world.agreement(
        "police", "B", countries=["KH"], themes=[CYBER], signed_on=date(2023, 1, 10), months=12
    )
    _correct_term(world, "B")
    _project(world, views, store)

    assert _history(views, store, world.id("B")) == [
        (date(2023, 1, 20), "in-force", date(2025, 1, 20))
    ]
    assert _in_force(views, store, 2024) == (1, 1)


def _status(views: ViewStore, store: ReportingStore, agreement_id: str) -> tuple[Any, ...]:
    """The record's status and dates in the tenant's register, and its consolidated status."""
    with views.read("police") as session:
        a = session.tables.agreements
        row = session.connection.execute(
            select(a.c.status, a.c.suspended_on, a.c.terminated_on).where(a.c.id == agreement_id)
        ).one()
    with store.read() as session:
        r = session.tables.agreements
        consolidated = session.connection.execute(
            select(r.c.status).where(r.c.id == agreement_id)
        ).scalar_one()
    return (*row, consolidated)


def _withdraw(world: World, name: str, on: date) -> None:
    ctx = world.context("police")
    world.change(Agreement, name, lambda a: a.withdraw_status_change(ctx, "Saisie", on))


def test_a_withdrawn_termination_counts_the_agreement_in_force_again(
    world: World, views: ViewStore, store: ReportingStore
) -> None:
    world.agreement(
        "police", "C", countries=["VN"], themes=[CYBER], signed_on=date(2023, 1, 10), months=36
    )
    ctx = world.context("police")
    world.change(Agreement, "C", lambda a: a.terminate(ctx, date(2023, 6, 1), "Erreur"))
    _project(world, views, store)
    assert _in_force(views, store, 2023) == (0, 0)

    _withdraw(world, "C", date(2023, 7, 3))
    _project(world, views, store)

    agreement = world.id("C")
    assert _status(views, store, agreement) == ("in-force", None, None, "in-force")
    assert _history(views, store, agreement) == [(date(2023, 1, 10), "in-force", date(2026, 1, 10))]
    assert _in_force(views, store, 2023) == (1, 1)
    assert _in_force(views, store, 2025) == (1, 1)


def test_changes_withdrawn_in_the_batch_that_recorded_them_are_not_projected(
    world: World, views: ViewStore, store: ReportingStore
) -> None:
    """Suspended, terminated while suspended, the termination withdrawn: suspended again,
    all in one batch (the termination's row still waiting to be written)."""
    world.agreement(
        "police", "D", countries=["KH"], themes=[CYBER], signed_on=date(2023, 1, 10), months=36
    )
    ctx = world.context("police")
    world.change(Agreement, "D", lambda a: a.suspend(ctx, date(2023, 3, 1), "Audit"))
    world.change(Agreement, "D", lambda a: a.terminate(ctx, date(2023, 6, 1), "Erreur"))
    _withdraw(world, "D", date(2023, 6, 2))
    _project(world, views, store)

    agreement = world.id("D")
    assert _status(views, store, agreement) == (
        "suspended",
        date(2023, 3, 1),
        None,
        "suspended",
    )
    assert [status for _, status, _ in _history(views, store, agreement)] == [
        "in-force",
        "suspended",
    ]

    _withdraw(world, "D", date(2023, 6, 3))  # the suspension too: in force all along
    _project(world, views, store)
    assert _status(views, store, agreement) == ("in-force", None, None, "in-force")
    assert _in_force(views, store, 2023) == (1, 1)


def _consolidated_term(store: ReportingStore, agreement_id: str) -> tuple[Any, ...]:
    with store.read() as session:
        r = session.tables.agreements
        row = session.connection.execute(
            select(r.c.status, r.c.term_start, r.c.duration_months, r.c.expires_on).where(
                r.c.id == agreement_id
            )
        ).one()
    return tuple(row)


def test_a_withdrawn_renewal_gives_back_the_former_term_in_both_projections(
    world: World, views: ViewStore, store: ReportingStore
) -> None:
    """A renewal recorded by mistake kept the agreement in force for two more years in
    every figure; withdrawn, the term before it is back, in the record and in "in force
    on 31 December". A renewal withdrawn in the batch that recorded it is not projected."""
    world.agreement(
        "police", "E", countries=["VN"], themes=[CYBER], signed_on=date(2023, 1, 10), months=12
    )
    ctx = world.context("police")
    world.change(Agreement, "E", lambda a: a.renew(ctx, date(2023, 12, 1), 24))
    _project(world, views, store)
    agreement = world.id("E")
    assert _in_force(views, store, 2024) == (1, 1)

    def withdraw(on: date) -> None:
        world.change(Agreement, "E", lambda a: a.withdraw_renewal(ctx, "Saisie", on))

    withdraw(date(2024, 2, 1))
    _project(world, views, store)

    signed = (date(2023, 1, 10), 12, date(2023, 1, 10), date(2024, 1, 10))
    assert _record(views, agreement) == signed
    assert _consolidated_term(store, agreement) == (
        "in-force",
        date(2023, 1, 10),
        12,
        date(2024, 1, 10),
    )
    assert _history(views, store, agreement) == [(date(2023, 1, 10), "in-force", date(2024, 1, 10))]
    assert _in_force(views, store, 2023) == (1, 1)
    assert _in_force(views, store, 2024) == (0, 0)

    world.change(Agreement, "E", lambda a: a.renew(ctx, date(2024, 3, 1), 12))
    withdraw(date(2024, 3, 2))
    _project(world, views, store)
    assert _record(views, agreement) == signed
    assert _history(views, store, agreement) == [(date(2023, 1, 10), "in-force", date(2024, 1, 10))]
