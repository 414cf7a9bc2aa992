"""The consolidated projection on both backends: figures worked out by hand, and its guarantees.

The scenario (figures in the comments) crosses three directorates; the
guarantee tests show the tenant views' discipline holds here too: a batch
that fails half-way leaves neither rows nor offsets, a republished event
changes nothing, a missing or unknown event stops the projection where it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from shared.domain.agreement import Agreement
from shared.domain.delegation import DelegationVisit
from shared.domain.mission import Mission
from shared.domain.vocabulary import Classification
from shared.errors import ValidationError
from shared.events.envelope import EventEnvelope
from shared.log.ports import LogRecord, topic_for
from shared.reporting import queries
from shared.reporting.handlers import HANDLERS
from shared.reporting.projector import ReportingProjector
from shared.reporting.store import ReportingStore
from shared.reporting.tracking import tracked_offset
from shared.views.errors import (
    AggregateVersionGapError,
    TenantMismatchError,
    UnknownEventTypeError,
)
from shared.views.handlers.common import event_type
from tests.reporting.support import TENANTS, TODAY, World

Filters = queries.Filters
CYBER, DRUGS, ORDER, CRISIS = "cybercrime", "narcotics", "public-order", (
    "crisis-management-and-civil-protection"
)


def record_scenario(w: World) -> None:
    """Six missions (four counted), three agreements."""
    w.mission("police", "m1", start=date(2024, 3, 4), budget=Decimal("10000"))
    w.mission(
        "police",
        "m2",
        country=["VN", "KH"],
        theme=[CYBER, DRUGS],
        start=date(2024, 5, 10),
        mission_type="training-course",
        budget=Decimal("20000"),
        cost=Decimal("18000.50"),
        until="completed",
    )
    w.mission("police", "m3", until="requested")  # not counted: no dates
    w.mission(
        "gendarmerie",
        "g1",
        start=date(2023, 11, 2),
        budget=Decimal("5000"),
        cost=Decimal("4000"),
        until="evaluated",
        classification=Classification.RESTRICTED,
    )
    w.mission(
        "gendarmerie",
        "g2",
        country="MA",
        theme=ORDER,
        start=date(2024, 2, 1),
        mission_type="expert-mission",
        budget=None,
        until="launched",
    )
    w.mission("civil-protection", "c1", country="KH", theme=CRISIS, start=date(2024, 7, 1))
    w.change(Mission, "c1", lambda m: m.cancel(w.context("civil-protection"), TODAY, "Reporté"))
    w.agreement("police", "A", countries=["VN"], themes=[CYBER], signed_on=date(2020, 1, 1))
    w.agreement(
        "gendarmerie",
        "B",
        countries=["VN", "LA"],
        themes=[ORDER],
        signed_on=date(2019, 5, 1),
        months=36,
        kind="letter-of-intent",
    )
    w.agreement("civil-protection", "C", countries=["KH"], themes=[CRISIS], signed_on=date(2023, 1, 1))
    ctx = w.context("civil-protection")
    w.change(Agreement, "C", lambda a: a.suspend(ctx, date(2024, 6, 1), "Crise"))


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
        ("VN",): (3, 1, {"EUR": "35000.00"}),  # m1, m2 and the restricted g1
    }
    assert answer["totals"]["actions"] == 4
    assert answer["totals"]["restricted"] == 1
    assert "Mission g1" not in str(answer)


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


class ListLog:
    """An ``EventLog`` over given records: republished, reordered or forged ones."""

    def __init__(self, records: Mapping[str, Sequence[LogRecord]]) -> None:
        self.records = {topic: list(found) for topic, found in records.items()}

    def topics(self) -> list[str]:
        return sorted(self.records)

    def partitions(self, topic: str) -> list[int]:
        return [0]

    def read(self, topic: str, partition: int, after: int, limit: int) -> list[LogRecord]:
        return [r for r in self.records.get(topic, []) if r.offset > after][:limit]

    def end_offset(self, topic: str, partition: int) -> int:
        return max((r.offset for r in self.records.get(topic, [])), default=-1)


def _records(world: World, tenant: str) -> list[LogRecord]:
    return world.log.read(topic_for(tenant), 0, -1, 10_000)


def _count(store: ReportingStore, tenant: str) -> int:
    with store.read() as session:
        m = session.tables.missions
        return int(
            session.connection.execute(
                select(func.count()).select_from(m).where(m.c.tenant == tenant)
            ).scalar_one()
        )


def test_a_republished_stretch_of_the_log_changes_nothing(
    world: World, store: ReportingStore
) -> None:
    record_scenario(world)
    police = _records(world, "police")
    again = [replace(r, offset=r.offset + 10_000) for r in police]
    ReportingProjector(store, world.log, TENANTS).catch_up()
    before = queries.figures(store, TENANTS, Filters())

    ReportingProjector(store, ListLog({topic_for("police"): police + again}), ["police"]).catch_up()

    after = queries.figures(store, TENANTS, Filters())
    assert after["cells"] == before["cells"]
    assert after["positions"] == before["positions"]  # the position only ever goes up
    with store.read() as session:
        assert tracked_offset(session, topic_for("police"), 0) == again[-1].offset


def test_a_batch_that_fails_half_way_leaves_neither_rows_nor_offset(
    world: World, store: ReportingStore
) -> None:
    record_scenario(world)

    def boom(session: Any, event: EventEnvelope) -> None:
        raise RuntimeError("the database went away")

    failing = {**HANDLERS, event_type("mission", "completed"): boom}
    with pytest.raises(RuntimeError):
        ReportingProjector(store, world.log, ["police"], handlers=failing).catch_up()

    assert _count(store, "police") == 0
    with store.read() as session:
        assert tracked_offset(session, topic_for("police"), 0) == -1
    ReportingProjector(store, world.log, TENANTS).catch_up()
    assert queries.figures(store, TENANTS, Filters(), [])["totals"]["actions"] == 4


def test_a_missing_event_stops_the_projection_before_it(
    world: World, store: ReportingStore
) -> None:
    world.mission("police", "m1", until="launched")
    records = _records(world, "police")
    gap = [r for r in records if r.event.event_name != "validated"]

    with pytest.raises(AggregateVersionGapError):
        ReportingProjector(store, ListLog({topic_for("police"): gap}), ["police"]).catch_up()

    with store.read() as session:
        assert tracked_offset(session, topic_for("police"), 0) == -1


def test_an_unknown_event_type_or_a_foreign_tenant_stops_it(
    world: World, store: ReportingStore
) -> None:
    world.mission("police", "m1", until="requested")
    (record,) = _records(world, "police")
    newer = replace(record, event=replace(record.event, type=record.event.type[:-3] + ".v9"))
    foreign = replace(record, event=replace(record.event, tenant="gendarmerie"))

    with pytest.raises(UnknownEventTypeError):
        ReportingProjector(store, ListLog({topic_for("police"): [newer]}), ["police"]).catch_up()
    with pytest.raises(TenantMismatchError):
        ReportingProjector(store, ListLog({topic_for("police"): [foreign]}), ["police"]).catch_up()


def test_delegations_are_read_and_knowingly_left_out(world: World, store: ReportingStore) -> None:
    ctx = world.context("civil-protection")
    world.create(
        "civil-protection",
        "d1",
        lambda id_: DelegationVisit.plan(
            ctx,
            id=id_,
            country="VN",
            organisation=None,
            head_of_delegation="Général A",
            size=5,
            start_date=date(2025, 9, 1),
            end_date=date(2025, 9, 3),
            host_site="Aix-en-Provence",
            topics=[CRISIS],
            classification=Classification.INTERNAL,
        ),
    )

    assert ReportingProjector(store, world.log, TENANTS).catch_up() == 1
    assert queries.figures(store, TENANTS, Filters())["positions"]["civil-protection"] > 0
