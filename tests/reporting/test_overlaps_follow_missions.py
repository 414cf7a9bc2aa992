"""Overlaps and their alerts follow whatever the directorates do to their missions.

Hypothesis draws a few missions of the three directorates in two countries and
two themes, then any sequence of what can happen to them (validation, a first
or a new schedule, launch, completion, cancellation, evaluation, a correction
of their themes), some of it refused by the domain as it would be in service.
The reporting projection catches up after some of the steps only, so batches
of every size are projected. At the end, on SQLite and PostgreSQL:

- the overlaps table holds exactly the pairs a brute-force comparison of the
  missions' final states gives (different directorates, a shared country and
  theme, counted statuses, days in common), each with its common period;
- folding the alerts in their order (detected adds a pair, resolved removes
  it) gives those same pairs, and never detects a pair already there or
  resolves one that is not;
- a projection of the whole log at once, into a fresh area, finds the same
  pairs.

``ENTENTE_OVERLAP_EXAMPLES`` asks for a deeper search (default 60 per backend).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import date, timedelta
from decimal import Decimal
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from shared.domain.mission import Mission
from shared.domain.vocabulary import Classification
from shared.errors import DomainRuleViolation, IllegalTransition, ValidationError
from shared.reporting import queries
from shared.reporting.overlaps import DETECTED, RESOLVED
from shared.reporting.projector import ReportingProjector
from shared.reporting.store import ReportingStore
from shared.views.queries.report import COUNTED_STATUSES
from tests.api.conftest import reproducible
from tests.reporting.conftest import BACKENDS, open_store
from tests.reporting.support import MEAE, TENANTS, World

EXAMPLES = int(os.environ.get("ENTENTE_OVERLAP_EXAMPLES", "60"))
COUNTRIES = ["VN", "KH"]
THEMES = ["cybercrime", "narcotics"]
REQUESTED_ON = date(2024, 1, 2)
FIRST_DAY = date(2024, 3, 1)

#: (country, theme, first tenant, first id, second tenant, second id) → (start, end).
Pairs = dict[tuple[str, ...], tuple[date, date]]

#: Where each mission's own life takes it before the drawn steps (most reach dates).
STAGES = {
    "scheduled": ["validate", "schedule"],
    "rescheduled": ["validate", "schedule", "reschedule"],  # a day later: the period moves
    "launched": ["validate", "schedule", "launch"],
    "completed": ["validate", "schedule", "launch", "complete"],
    "evaluated": ["validate", "schedule", "launch", "complete", "evaluate"],
    "cancelled": ["validate", "schedule", "cancel"],
    "validated": ["validate"],
    "requested": [],
}
#: Mission i is of directorate i mod 3 (two of one directorate from the fourth on).
#: Hypothesis leans to the first of a list: the simplest missions are scheduled,
#: which is where overlaps are.
missions = st.lists(
    st.tuples(
        st.lists(st.sampled_from(COUNTRIES), min_size=1, max_size=2, unique=True),
        st.lists(st.sampled_from(THEMES), min_size=1, max_size=2, unique=True),
        st.sampled_from(list(STAGES)),
        st.integers(0, 8),  # first day, after FIRST_DAY
        st.integers(0, 5),  # days after the first
    ),
    min_size=2,
    max_size=6,
)
step = st.one_of(
    st.tuples(st.just("validate"), st.integers(0, 5)),
    st.tuples(st.just("schedule"), st.integers(0, 5), st.integers(0, 8), st.integers(0, 5)),
    st.tuples(st.just("launch"), st.integers(0, 5)),
    st.tuples(st.just("complete"), st.integers(0, 5)),
    st.tuples(st.just("cancel"), st.integers(0, 5)),
    st.tuples(st.just("evaluate"), st.integers(0, 5)),
    st.tuples(
        st.just("themes"),
        st.integers(0, 5),
        st.lists(st.sampled_from(THEMES), min_size=1, max_size=2, unique=True),
    ),
)
#: A step, and whether the projection catches up right after it.
steps = st.lists(st.tuples(step, st.booleans()), max_size=30)


@pytest.mark.parametrize("backend", BACKENDS)
def test_overlaps_and_alerts_follow_the_missions(
    request: pytest.FixtureRequest, backend: str
) -> None:
    @reproducible(EXAMPLES)
    @given(drawn=missions, sequence=steps)
    def check(drawn: list[tuple[Any, ...]], sequence: list[Any]) -> None:
        with tempfile.TemporaryDirectory(prefix="entente-overlaps-") as directory:
            base = Path(directory)
            world = World.open(base / "events")
            try:
                with _area(request, backend, base / "live") as live:
                    projector = ReportingProjector(live, world.log, TENANTS)
                    names = []
                    for i, (countries, themes, stage, offset, days) in enumerate(drawn):
                        tenant = TENANTS[i % len(TENANTS)]
                        names.append(_request(world, i, tenant, countries, themes))
                        for action in STAGES[stage]:
                            _apply(world, names[-1], action, [offset, days])
                        if i % 2:
                            projector.catch_up()
                    for (action, index, *arguments), project_now in sequence:
                        _apply(world, names[index % len(names)], action, arguments)
                        if project_now:
                            projector.catch_up()
                    projector.catch_up()

                    expected = _brute_force(world, names)
                    assert _table(live) == expected
                    assert _folded_alerts(live) == set(expected)
                    with _area(request, backend, base / "replayed") as replayed:
                        ReportingProjector(replayed, world.log, TENANTS).catch_up()
                        assert _table(replayed) == expected
            finally:
                world.close()

    check()


@contextmanager
def _area(request: pytest.FixtureRequest, backend: str, base: Path) -> Iterator[ReportingStore]:
    base.mkdir()
    yield from open_store(request, backend, base)


def _request(world: World, index: int, tenant: str, countries: list[str], themes: list[str]) -> str:
    name = f"m{index}"
    ctx = world.context(tenant)
    fields: dict[str, Any] = {
        "title": f"Mission {name}",
        "mission_type": "seminar",
        "countries": countries,
        "organisations": [],
        "themes": themes,
        "requested_by": "Autorités partenaires",
        "post_id": None,
        "requested_on": REQUESTED_ON,
        "description": "",
        "classification": Classification.INTERNAL,  # restricted ones hide ids in alerts
        "today": date(2025, 6, 1),
    }
    world.create(tenant, name, lambda id_: Mission.request(ctx, id=id_, **fields))
    return name


def _apply(world: World, name: str, action: str, arguments: list[Any]) -> None:
    """One step, as its directorate would record it; what the domain refuses changes nothing."""
    ctx = world.context(world.ids[name][0])
    decided = REQUESTED_ON + timedelta(days=10)

    def run(mission: Mission) -> None:
        if action == "validate":  # the arguments of the steps that take none are ignored
            mission.validate(ctx, decided, MEAE, "D-1")
        elif action in ("schedule", "reschedule"):
            offset, days = arguments
            start = FIRST_DAY + timedelta(days=offset + (action == "reschedule"))
            budget = (Decimal("1000.00"), "EUR")
            mission.schedule(ctx, start, start + timedelta(days=days), "Lieu", 2, budget, decided)
        elif action == "launch":
            mission.launch(ctx, mission.start_date or decided)
        elif action == "complete":
            mission.complete(ctx, mission.end_date or decided, 10, None, "Fait")
        elif action == "cancel":
            mission.cancel(ctx, decided, "Reporté")
        elif action == "evaluate":
            mission.evaluate(ctx, (mission.end_date or decided) + timedelta(days=3), 4, "Bien", "")
        else:
            (themes,) = arguments
            mission.correct(ctx, {"themes": themes}, "Thèmes revus", decided)

    with suppress(IllegalTransition, DomainRuleViolation, ValidationError):
        world.change(Mission, name, run)  # or refused as in service: nothing recorded


def _brute_force(world: World, names: list[str]) -> Pairs:
    """Every pair the missions' final states give, compared two by two."""
    #: (tenant, id, start, end, countries, themes) of each mission with counted dates.
    states: list[tuple[str, str, date, date, set[str], set[str]]] = []
    for name in names:
        tenant, record_id = world.ids[name]
        mission = world.ledgers[tenant].record(Mission, record_id)
        start, end = mission.start_date, mission.end_date
        if str(mission.status) in COUNTED_STATUSES and start is not None and end is not None:
            countries, themes = set(mission.countries), set(map(str, mission.themes))
            states.append((tenant, str(record_id), start, end, countries, themes))
    found: Pairs = {}
    for one, other in combinations(sorted(states), 2):
        if one[0] == other[0]:
            continue  # one directorate's own planning
        start, end = max(one[2], other[2]), min(one[3], other[3])
        if start > end:
            continue
        for country in one[4] & other[4]:
            for theme in one[5] & other[5]:
                found[(country, theme, *one[:2], *other[:2])] = (start, end)
    return found


def _table(store: ReportingStore) -> Pairs:
    columns = ("country", "theme", "first_tenant", "first_id", "second_tenant", "second_id")
    with store.read() as session:
        table = session.tables.overlaps
        rows = session.connection.execute(select(table)).mappings().all()
    return {
        tuple(str(row[c]) for c in columns): (row["overlap_start"], row["overlap_end"])
        for row in rows
    }


def _folded_alerts(store: ReportingStore) -> set[tuple[str, ...]]:
    """The pairs left once every alert is applied in order; a contradiction fails."""
    present: set[tuple[str, ...]] = set()
    after = 0
    while True:
        page = queries.alerts(store, TENANTS, after=after, limit=100)["items"]
        if not page:
            return present
        for alert in page:
            data = alert["data"]
            ends = sorted((m["directorate"], m["mission_id"]) for m in data["missions"])
            pair = (data["country"], data["theme"], *ends[0], *ends[1])
            if alert["type"] == DETECTED:
                assert pair not in present, f"detected twice: {pair}"
                present.add(pair)
            else:
                assert alert["type"] == RESOLVED
                assert pair in present, f"resolved but never detected: {pair}"
                present.remove(pair)
            after = alert["seq"]
