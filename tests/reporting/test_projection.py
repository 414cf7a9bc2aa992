"""The consolidated figures on both backends, worked out by hand.

The scenario (``support.record_scenario``, figures in its comments) crosses
three directorates: a two-country, two-theme mission, a restricted one, a
cancelled one, one without dates, and agreements that expire or are suspended.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select

from shared.domain.agreement import Agreement
from shared.domain.mission import Mission
from shared.errors import ValidationError
from shared.log.ports import topic_for
from shared.reporting import queries
from shared.reporting.projector import ReportingProjector
from shared.reporting.store import ReportingStore
from tests.reporting.support import CYBER, DRUGS, ORDER, TENANTS, World, record_scenario

Filters = queries.Filters


@pytest.fixture
def projected(world: World, store: ReportingStore) -> ReportingStore:
    record_scenario(world)
    ReportingProjector(store, world.log, TENANTS).catch_up()
    return store


def _cells(answer: Mapping[str, Any]) -> dict[tuple[Any, ...], tuple[int, int, dict[str, str]]]:
    dims = answer["group_by"]
    return {
        tuple(c[d] for d in dims): (c["actions"], c["restricted"], c["budget"])
        for c in answer["cells"]
    }


def test_the_cells_cross_five_dimensions_and_the_totals_count_each_action_once(
    projected: ReportingStore,
) -> None:
    answer = queries.figures(projected, TENANTS, Filters(year=2024))

    # m2 (two countries, two themes) fills four cells; c1 was cancelled, m3 has no dates.
    assert _cells(answer) == {
        ("KH", "police", 2024, "training-course", CYBER): (1, 0, {"EUR": "20000.00"}),
        ("KH", "police", 2024, "training-course", DRUGS): (1, 0, {"EUR": "20000.00"}),
        ("MA", "gendarmerie", 2024, "expert-mission", ORDER): (1, 0, {}),
        ("VN", "police", 2024, "seminar", CYBER): (1, 0, {"EUR": "10000.00"}),
        ("VN", "police", 2024, "training-course", CYBER): (1, 0, {"EUR": "20000.00"}),
        ("VN", "police", 2024, "training-course", DRUGS): (1, 0, {"EUR": "20000.00"}),
    }
    assert answer["totals"] == {
        "actions": 3,
        "restricted": 0,
        "budget": {"EUR": "30000.00"},
        "actual_cost": {"EUR": "18000.50"},
        "by_directorate": {"gendarmerie": 1, "police": 2},
    }


def test_restricted_actions_are_counted_in_cells_and_totals(projected: ReportingStore) -> None:
    answer = queries.figures(projected, TENANTS, Filters(), ["country"])

    assert _cells(answer) == {
        ("KH",): (1, 0, {"EUR": "20000.00"}),
        ("MA",): (1, 0, {}),
        # m1, m2 and the restricted g1, whose 5,000 EUR are not summed: counted, not detailed.
        ("VN",): (3, 1, {"EUR": "30000.00"}),
    }
    assert answer["totals"]["actions"] == 4
    assert answer["totals"]["restricted"] == 1
    assert "Mission g1" not in str(answer)


def test_a_cell_narrowed_to_one_restricted_action_shows_no_money(projected: ReportingStore) -> None:
    """Filters narrow a cell to the restricted g1 alone: its budget was shown there."""
    answer = queries.figures(projected, TENANTS, Filters(directorate="gendarmerie", country="VN"))

    assert answer["totals"] | {"by_directorate": None} == {
        "actions": 1,
        "restricted": 1,
        "budget": {},
        "actual_cost": {},
        "by_directorate": None,
    }


def test_a_country_or_theme_filter_keeps_only_its_own_cells(projected: ReportingStore) -> None:
    answer = queries.figures(projected, TENANTS, Filters(country="KH"), ["country", "theme"])

    assert set(_cells(answer)) == {("KH", CYBER), ("KH", DRUGS)}
    assert answer["totals"]["actions"] == 1


def test_no_dimension_gives_the_totals_as_one_cell(projected: ReportingStore) -> None:
    answer = queries.figures(projected, TENANTS, Filters(directorate="police", theme=DRUGS), [])

    assert _cells(answer) == {(): (1, 0, {"EUR": "20000.00"})}


@pytest.mark.parametrize(
    ("on", "in_force", "by_country"),
    [
        (date(2021, 12, 31), 2, {"LA": 1, "VN": 2}),
        (date(2023, 12, 31), 2, {"KH": 1, "VN": 1}),  # B expired 2022-05-01
        (date(2024, 12, 31), 1, {"VN": 1}),  # C suspended 2024-06-01
    ],
)
def test_agreements_in_force_follow_their_status_history(
    projected: ReportingStore, on: date, in_force: int, by_country: dict[str, int]
) -> None:
    answer = queries.agreements_in_force(projected, TENANTS, Filters(), on)

    assert answer["totals"]["in_force"] == in_force
    assert {c["country"]: c["in_force"] for c in answer["countries"]} == by_country


def test_the_matrix_says_who_works_with_which_country_on_which_theme(
    projected: ReportingStore,
) -> None:
    answer = queries.matrix(projected, TENANTS, Filters(year=2024), date(2024, 12, 31))

    rows = {(r["directorate"], r["country"], r["theme"]): r for r in answer["rows"]}
    assert set(rows) == {
        ("police", "VN", CYBER),
        ("police", "VN", DRUGS),
        ("police", "KH", CYBER),
        ("police", "KH", DRUGS),
        ("gendarmerie", "MA", ORDER),
    }
    assert rows["police", "VN", CYBER]["actions"] == 2
    assert rows["police", "VN", CYBER]["agreements_in_force"] == 1  # agreement A


def test_a_matrix_of_one_mission_type_leaves_agreements_uncounted_not_zero(
    projected: ReportingStore,
) -> None:
    """Agreements have no type: the typed matrix said 0 agreements where there were some."""
    answer = queries.matrix(
        projected, TENANTS, Filters(year=2024, mission_type="seminar"), date(2024, 12, 31)
    )

    row = next(r for r in answer["rows"] if (r["directorate"], r["country"]) == ("police", "VN"))
    assert row["actions"] >= 1
    assert (row["agreements_in_force"], row["restricted_agreements"]) == (None, None)
    assert answer["agreements_on"] is None
    assert (
        queries.matrix(projected, TENANTS, Filters(year=2024), date(2024, 12, 31))["agreements_on"]
        == "2024-12-31"
    )


def test_every_answer_states_its_rule_and_the_position_of_each_directorate(
    world: World, projected: ReportingStore
) -> None:
    answer = queries.figures(projected, TENANTS, Filters())

    ends = {t: world.log.end_offset(topic_for(t), 0) for t in TENANTS}
    assert answer["positions"] == ends
    assert set(answer["as_of"]) == set(TENANTS)
    assert answer["counting_rule"]["fr"].startswith("Actions")
    assert answer["counting_rule"]["en"].isascii()  # it travels in a CSV's HTTP header


def test_bad_filters_are_refused_rather_than_answered_with_zero(projected: ReportingStore) -> None:
    for filters, field in [
        (Filters(theme="cyber-crime"), "theme"),
        (Filters(mission_type="party"), "type"),
        (Filters(directorate="customs"), "directorate"),
        (Filters(country="vn"), "country"),
    ]:
        with pytest.raises(ValidationError) as caught:
            queries.figures(projected, TENANTS, filters)
        assert caught.value.field == field
    with pytest.raises(ValidationError):
        queries.figures(projected, TENANTS, Filters(), ["country", "post"])


def test_a_records_first_event_writes_its_codes_without_deleting_and_a_change_replaces_them(
    world: World, store: ReportingStore
) -> None:
    """Creation events (mission requested, agreement signed) have no codes to replace:
    no DELETE is sent for them; a later correction of the themes still replaces them."""
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    world.mission("police", "m1", theme=["cybercrime", "narcotics"], until="requested")
    world.agreement(
        "police", "A", countries=["VN"], themes=["narcotics"], signed_on=date(2023, 1, 2)
    )
    event.listen(Engine, "before_cursor_execute", seen)
    try:
        ReportingProjector(store, world.log, TENANTS).catch_up()
        assert not [s for s in statements if s.lstrip().upper().startswith("DELETE")]
        ctx = world.context("police")
        world.change(
            Mission,
            "m1",
            lambda m: m.correct(ctx, {"themes": ["cybercrime"]}, "typo", date(2024, 1, 5)),
        )
        ReportingProjector(store, world.log, TENANTS).catch_up()
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
    deletes = [s for s in statements if s.lstrip().upper().startswith("DELETE")]
    assert len(deletes) == 1
    assert "mission_themes" in deletes[0]
    with store.read() as session:
        themes = session.tables.mission_themes
        rows = session.connection.execute(select(themes.c.theme)).scalars().all()
        countries = session.tables.agreement_countries
        agreed = session.connection.execute(select(countries.c.country)).scalars().all()
    assert (rows, agreed) == (["cybercrime"], ["VN"])


def test_a_batch_sends_its_records_inserts_together_one_statement_per_table(
    world: World, store: ReportingStore
) -> None:
    """Row by row, 30 new records cost about 90 inserts (record, codes, first term),
    one round trip each; held for the batch, they go out as one insert per table."""
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    for i in range(15):
        world.mission("police", f"m{i}", theme=["cybercrime", "narcotics"], until="requested")
        world.agreement(
            "gendarmerie",
            f"A{i}",
            countries=["VN", "KH"],
            themes=["narcotics"],
            signed_on=date(2023, 1, 2),
            months=12,
        )
    event.listen(Engine, "before_cursor_execute", seen)
    try:
        ReportingProjector(store, world.log, TENANTS).catch_up()
    finally:
        event.remove(Engine, "before_cursor_execute", seen)

    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT")]
    into = {s.split()[2].split(".")[-1].strip('"') for s in inserts}
    records = {"agreements", "agreement_countries", "agreement_terms"}
    records |= {"missions", "mission_countries", "mission_themes"}
    assert records <= into <= records | {"reporting_tracking"}, inserts
    assert len(inserts) <= 8, inserts  # one per table (and the tracking rows), not one per row
    with store.read() as session:
        tables = session.tables
        count = session.connection.execute(select(func.count()).select_from(tables.missions))
        terms = session.connection.execute(select(func.count()).select_from(tables.agreement_terms))
        themes = session.connection.execute(select(func.count()).select_from(tables.mission_themes))
        assert (count.scalar(), terms.scalar(), themes.scalar()) == (15, 15, 30)


def test_a_record_created_and_changed_in_one_batch_is_read_back_with_its_insert(
    world: World, store: ReportingStore
) -> None:
    """A renewal reads the agreement its signature inserted earlier in the same batch:
    held inserts are sent before any other statement of the transaction."""
    world.agreement(
        "police", "A", countries=["VN"], themes=["narcotics"], signed_on=date(2023, 1, 2), months=12
    )
    ctx = world.context("police")
    world.change(Agreement, "A", lambda a: a.renew(ctx, date(2023, 12, 1), 24))

    ReportingProjector(store, world.log, TENANTS).catch_up()

    with store.read() as session:
        agreements = session.tables.agreements
        row = session.connection.execute(select(agreements)).mappings().one()
        terms = session.tables.agreement_terms
        history = session.connection.execute(
            select(terms.c.version, terms.c.expires_on).order_by(terms.c.version)
        ).all()
    assert (row["version"], row["expires_on"]) == (2, date(2026, 1, 2))
    assert [tuple(h) for h in history] == [(1, date(2024, 1, 2)), (2, date(2026, 1, 2))]


def test_a_corrected_cost_or_budget_moves_the_totals_and_nothing_is_counted_twice(
    world: World, store: ReportingStore
) -> None:
    """A typed 23,950.50 EUR for 2,395.05 stayed in the consolidated figures for good."""
    world.mission("police", "m1", until="completed", cost=Decimal("23950.50"))
    world.mission("police", "m2", until="completed", cost=Decimal("1000.00"))
    ReportingProjector(store, world.log, TENANTS).catch_up()
    before = queries.figures(store, TENANTS, Filters(year=2024))["totals"]
    ctx = world.context("police")

    world.change(
        Mission,
        "m1",
        lambda m: m.correct(
            ctx,
            {
                "actual_cost": {"amount": "2395.05", "currency": "EUR"},
                "budget": {"amount": "9500.00", "currency": "EUR"},
            },
            "Montant de la facture",
            date(2024, 6, 1),
        ),
    )
    ReportingProjector(store, world.log, TENANTS).catch_up()
    after = queries.figures(store, TENANTS, Filters(year=2024))["totals"]

    assert (before["actual_cost"], before["budget"]) == (
        {"EUR": "24950.50"},
        {"EUR": "20000.00"},
    )
    assert (after["actual_cost"], after["budget"]) == ({"EUR": "3395.05"}, {"EUR": "19500.00"})
    assert after["actions"] == before["actions"] == 2


def test_a_corrected_partner_moves_the_agreement_to_its_country(
    world: World, store: ReportingStore
) -> None:
    """A partner typed VN for KH stayed in the agreements in force by country for good."""
    world.agreement("police", "X", countries=["VN"], themes=[CYBER], signed_on=date(2024, 1, 10))
    ReportingProjector(store, world.log, TENANTS).catch_up()
    on = date(2024, 12, 31)
    before = queries.agreements_in_force(store, TENANTS, Filters(), on)
    ctx = world.context("police")

    world.change(
        Agreement,
        "X",
        lambda a: a.correct(ctx, {"partner_countries": ["KH", "LA"]}, "Texte", date(2024, 2, 1)),
    )
    ReportingProjector(store, world.log, TENANTS).catch_up()
    after = queries.agreements_in_force(store, TENANTS, Filters(), on)

    assert {c["country"]: c["in_force"] for c in before["countries"]} == {"VN": 1}
    assert {c["country"]: c["in_force"] for c in after["countries"]} == {"KH": 1, "LA": 1}
    assert after["totals"]["in_force"] == 1
    only_vn = queries.agreements_in_force(store, TENANTS, Filters(country="VN"), on)
    assert only_vn["totals"]["in_force"] == 0
    with store.read() as session:
        codes = session.tables.agreement_countries
        kept = session.connection.execute(select(codes.c.country)).scalars().all()
    assert sorted(kept) == ["KH", "LA"]


def test_a_corrected_type_moves_the_cells_and_the_evaluation_follows(
    world: World, store: ReportingStore
) -> None:
    """A course recorded as a seminar stayed in the seminars' cell for good."""
    world.mission("police", "m1", until="evaluated")
    world.mission("police", "m2", until="scheduled")
    ReportingProjector(store, world.log, TENANTS).catch_up()
    year, by_type = Filters(year=2024), ("mission_type",)
    before = _cells(queries.figures(store, TENANTS, year, by_type))
    ctx = world.context("police")

    world.change(
        Mission,
        "m1",
        lambda m: m.correct(
            ctx, {"mission_type": "training-course", "rating": 2}, "Fiche", date(2024, 4, 1)
        ),
    )
    ReportingProjector(store, world.log, TENANTS).catch_up()
    after = _cells(queries.figures(store, TENANTS, year, by_type))

    assert {k: v[0] for k, v in before.items()} == {("seminar",): 2}
    assert {k: v[0] for k, v in after.items()} == {("seminar",): 1, ("training-course",): 1}
    with store.read() as session:
        missions = session.tables.missions
        ratings = session.connection.execute(select(missions.c.rating)).scalars().all()
    assert sorted(ratings, key=str) == [2, None]


def test_a_corrected_kind_moves_the_agreement_between_the_kinds_in_force(
    world: World, store: ReportingStore
) -> None:
    world.agreement("police", "X", countries=["VN"], themes=[CYBER], signed_on=date(2024, 1, 10))
    ReportingProjector(store, world.log, TENANTS).catch_up()
    on = date(2024, 12, 31)
    ctx = world.context("police")

    world.change(
        Agreement,
        "X",
        lambda a: a.correct(ctx, {"kind": "letter-of-intent"}, "Texte", date(2024, 2, 1)),
    )
    ReportingProjector(store, world.log, TENANTS).catch_up()

    totals = queries.agreements_in_force(store, TENANTS, Filters(), on)["totals"]
    assert totals["by_kind"] == {"letter-of-intent": 1}


def test_a_withdrawn_decision_leaves_the_request_waiting_in_reporting(
    world: World, store: ReportingStore
) -> None:
    """The consolidated missions follow a validation withdrawn, as the tenant's board."""
    world.mission("police", "m1", until="validated")
    ctx = world.context("police")
    world.change(
        Mission, "m1", lambda m: m.withdraw_decision(ctx, "Mauvaise demande", date(2024, 1, 20))
    )
    ReportingProjector(store, world.log, TENANTS).catch_up()

    with store.read() as session:
        missions = session.tables.missions
        statuses = session.connection.execute(select(missions.c.status)).scalars().all()
    assert statuses == ["requested"]
