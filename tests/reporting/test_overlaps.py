"""Overlaps on both backends: found for a constructed case, not for the near-misses.

Each case lives in its own country so the cases cannot meet each other. Dates
are whole days with both ends included: touching on one day overlaps, the next
day does not. Alerts are raised once per change of the list, in the same
transaction, and restricted missions are never detailed — neither in the list
nor in an alert.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, uuid5

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from services.reporting import answers
from shared.domain.context import CommandContext
from shared.domain.mission import Mission
from shared.domain.vocabulary import Classification
from shared.errors import ValidationError
from shared.reporting import cursors, queries, sheets
from shared.reporting.overlaps import DETECTED, RESOLVED
from shared.reporting.projector import ReportingProjector
from shared.reporting.store import ReportingStore
from tests.reporting.support import TENANTS, World

CYBER, DRUGS = "cybercrime", "narcotics"
Filters = queries.Filters


def _project(world: World, store: ReportingStore) -> None:
    ReportingProjector(store, world.log, TENANTS).catch_up()


def _pairs(store: ReportingStore, **filters: Any) -> set[tuple[str, str, str, str, str, str]]:
    """(country, theme, start, end, directorate, directorate) of every overlap."""
    answer = queries.overlaps(store, TENANTS, Filters(**filters), limit=None)
    return {
        (
            item["country"],
            item["theme"],
            item["period"]["start"],
            item["period"]["end"],
            *(m["directorate"] for m in item["missions"]),
        )
        for item in answer["items"]
    }


def record_cases(w: World) -> None:
    # VN: touching on 8 March — an overlap of one day.
    w.mission("police", "vn-p", country="VN", start=date(2024, 3, 4), end=date(2024, 3, 8))
    w.mission("gendarmerie", "vn-g", country="VN", start=date(2024, 3, 8), end=date(2024, 3, 12))
    # KH: same dates, different theme.
    w.mission("police", "kh-p", country="KH", start=date(2024, 4, 1))
    w.mission("gendarmerie", "kh-g", country="KH", theme=DRUGS, start=date(2024, 4, 1))
    # LA: adjacent days, no day in common.
    w.mission("police", "la-p", country="LA", start=date(2024, 5, 1), end=date(2024, 5, 5))
    w.mission("gendarmerie", "la-g", country="LA", start=date(2024, 5, 6), end=date(2024, 5, 9))
    # TH: the same directorate twice.
    w.mission("police", "th-1", country="TH", start=date(2024, 6, 1))
    w.mission("police", "th-2", country="TH", start=date(2024, 6, 2))
    # MA / TN: same dates and theme, different countries.
    w.mission("police", "ma-p", country="MA", start=date(2024, 7, 1))
    w.mission("gendarmerie", "tn-g", country="TN", start=date(2024, 7, 1))
    # SN: one not yet dated, one cancelled.
    w.mission("police", "sn-p", country="SN", start=date(2024, 8, 1))
    w.mission("gendarmerie", "sn-g", country="SN", start=date(2024, 8, 1), until="validated")
    w.mission("civil-protection", "sn-c", country="SN", start=date(2024, 8, 1))
    cancel = w.context("civil-protection")
    w.change(Mission, "sn-c", lambda m: m.cancel(cancel, date(2024, 7, 1), "Reporté"))
    # BR: three directorates, three pairs.
    w.mission("police", "br-p", country="BR", start=date(2024, 9, 1), end=date(2024, 9, 10))
    w.mission("gendarmerie", "br-g", country="BR", start=date(2024, 9, 5), end=date(2024, 9, 15))
    w.mission(
        "civil-protection", "br-c", country="BR", start=date(2024, 9, 8), end=date(2024, 9, 20)
    )


def test_overlaps_are_found_and_near_misses_are_not(world: World, store: ReportingStore) -> None:
    record_cases(world)
    _project(world, store)

    assert _pairs(store) == {
        ("VN", CYBER, "2024-03-08", "2024-03-08", "gendarmerie", "police"),
        ("BR", CYBER, "2024-09-05", "2024-09-10", "gendarmerie", "police"),
        ("BR", CYBER, "2024-09-08", "2024-09-15", "civil-protection", "gendarmerie"),
        ("BR", CYBER, "2024-09-08", "2024-09-10", "civil-protection", "police"),
    }


def test_each_change_of_the_list_raises_one_alert(world: World, store: ReportingStore) -> None:
    record_cases(world)
    _project(world, store)
    _project(world, store)  # a second pass has nothing to add

    items = queries.alerts(store, TENANTS, limit=100)["items"]

    # SN: civil protection's mission overlapped police's while scheduled, until cancelled.
    assert Counter((a["type"], a["data"]["country"]) for a in items) == {
        (DETECTED, "VN"): 1,
        (DETECTED, "BR"): 3,
        (DETECTED, "SN"): 1,
        (RESOLVED, "SN"): 1,
    }
    assert len({a["id"] for a in items}) == 6
    assert [a["seq"] for a in items] == sorted(a["seq"] for a in items)


def test_a_rescheduled_or_cancelled_mission_resolves_its_overlaps(
    world: World, store: ReportingStore
) -> None:
    record_cases(world)
    _project(world, store)
    raised = queries.alerts(store, TENANTS, limit=100)["next_after"]
    gendarmerie = world.context("gendarmerie")
    world.change(
        Mission,
        "vn-g",
        lambda m: m.schedule(
            gendarmerie, date(2024, 3, 9), date(2024, 3, 12), "Hanoï", 2, None, date(2024, 2, 1)
        ),
    )
    police = world.context("police")
    world.change(Mission, "br-p", lambda m: m.cancel(police, date(2024, 8, 1), "Annulée"))

    _project(world, store)

    assert _pairs(store) == {
        ("BR", CYBER, "2024-09-08", "2024-09-15", "civil-protection", "gendarmerie")
    }
    resolved = queries.alerts(store, TENANTS, after=raised)["items"]
    assert [a["type"] for a in resolved] == [RESOLVED] * 3


def test_a_cancellation_withdrawn_brings_the_mission_s_overlaps_back(
    world: World, store: ReportingStore
) -> None:
    """Cancelled by mistake, the mission left the list and a resolved alert went out;
    its withdrawal puts it back, with a detected alert, and it counts again."""
    record_cases(world)
    police = world.context("police")
    world.change(Mission, "br-p", lambda m: m.cancel(police, date(2024, 8, 1), "Erreur"))
    _project(world, store)
    raised = queries.alerts(store, TENANTS, limit=100)["next_after"]
    counted = queries.figures(store, TENANTS, Filters(directorate="police", year=2024))

    world.change(
        Mission,
        "br-p",
        lambda m: m.withdraw_cancellation(police, "Autre mission", date(2024, 8, 2)),
    )
    _project(world, store)

    br = {pair for pair in _pairs(store) if pair[0] == "BR"}
    assert br == {
        ("BR", CYBER, "2024-09-05", "2024-09-10", "gendarmerie", "police"),
        ("BR", CYBER, "2024-09-08", "2024-09-15", "civil-protection", "gendarmerie"),
        ("BR", CYBER, "2024-09-08", "2024-09-10", "civil-protection", "police"),
    }
    detected = queries.alerts(store, TENANTS, after=raised)["items"]
    assert [a["type"] for a in detected] == [DETECTED] * 2
    again = queries.figures(store, TENANTS, Filters(directorate="police", year=2024))
    assert again["totals"]["actions"] == counted["totals"]["actions"] + 1


def test_a_reschedule_that_keeps_the_overlap_moves_its_period_without_an_alert(
    world: World, store: ReportingStore
) -> None:
    world.mission("police", "p", start=date(2024, 3, 4), end=date(2024, 3, 8))
    world.mission("gendarmerie", "g", start=date(2024, 3, 6), end=date(2024, 3, 12))
    _project(world, store)
    ctx = world.context("police")
    world.change(
        Mission,
        "p",
        lambda m: m.schedule(
            ctx, date(2024, 3, 5), date(2024, 3, 10), "Hanoï", 2, None, date(2024, 2, 1)
        ),
    )

    _project(world, store)

    assert _pairs(store) == {("VN", CYBER, "2024-03-06", "2024-03-10", "gendarmerie", "police")}
    assert len(queries.alerts(store, TENANTS)["items"]) == 1


def test_missions_sharing_two_countries_and_two_themes_make_a_pair_for_each(
    world: World, store: ReportingStore
) -> None:
    for tenant in ("police", "gendarmerie"):
        world.mission(tenant, tenant, country=["VN", "KH"], theme=[CYBER, DRUGS])

    _project(world, store)

    assert {(c, t) for c, t, *_ in _pairs(store)} == {
        ("VN", CYBER),
        ("VN", DRUGS),
        ("KH", CYBER),
        ("KH", DRUGS),
    }
    assert {(c, t) for c, t, *_ in _pairs(store, country="KH", theme=DRUGS)} == {("KH", DRUGS)}


def test_a_restricted_mission_is_counted_in_an_overlap_but_never_detailed(
    world: World, store: ReportingStore
) -> None:
    world.mission(
        "police",
        "secret",
        start=date(2024, 3, 4),
        classification=Classification.RESTRICTED,
    )
    world.mission("gendarmerie", "open", start=date(2024, 3, 5))
    _project(world, store)

    listing = queries.overlaps(store, TENANTS, Filters())
    alerts = queries.alerts(store, TENANTS)
    alert = alerts["items"][0]

    # As the OpenAPI document states them (a restricted mission is its own shape there).
    for answer, schema in ((listing, answers.OVERLAPS), (alerts, answers.ALERTS)):
        checker = Draft202012Validator(schema, format_checker=FormatChecker())
        assert not [e.message for e in checker.iter_errors(answer)]
    (item,) = listing["items"]
    restricted = next(m for m in item["missions"] if m["directorate"] == "police")
    assert restricted == {"directorate": "police", "restricted": True}
    other = next(m for m in item["missions"] if m["directorate"] == "gendarmerie")
    assert other["title"] == "Mission open"
    assert other["mission_id"] == world.id("open")
    for shown in (listing, alert):
        text = json.dumps(shown)
        assert world.id("secret") not in text
        assert "Mission secret" not in text
        assert "Lieu secret" not in text
    # The shared days end where the restricted mission ends: they would give it away.
    assert item["period"] is None
    assert alert["data"]["period"] is None
    # Its cause is the restricted mission's event: record time (the hidden detected_at) and id.
    assert (alert["time"], alert["caused_by"]) == (None, None)
    (row,) = sheets.overlaps_sheet(listing).rows
    assert row[3:5] == [None, None]  # period_start, period_end


def test_a_page_cursor_tells_nothing_of_a_restricted_mission(
    world: World, store: ReportingStore
) -> None:
    """The keyset values (mission ids, the overlap's first day) are sealed, not base64."""
    world.mission(
        "police", "secret", start=date(2024, 3, 4), classification=Classification.RESTRICTED
    )
    world.mission("gendarmerie", "open", start=date(2024, 3, 5))
    world.mission(
        "police", "secret-2", start=date(2024, 5, 6), classification=Classification.RESTRICTED
    )
    world.mission("gendarmerie", "open-2", start=date(2024, 5, 7))
    _project(world, store)

    first = queries.overlaps(store, TENANTS, Filters(), limit=1)
    cursor = first["next_cursor"]
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    second = queries.overlaps(store, TENANTS, Filters(), limit=1, cursor=cursor)

    assert first["items"][0]["period"] is None  # a restricted pair: not dated, not ordered by date
    assert second["items"][0]["period"] is None
    assert second["next_cursor"] is None
    for secret in (world.id("secret"), world.id("secret-2"), "2024-03-05", "2024-05-07"):
        assert secret.encode() not in raw


def test_a_sealed_cursor_holding_what_postgresql_cannot_compare_is_refused(
    store: ReportingStore,
) -> None:
    with store.read() as session:
        key = cursors.cursor_key(store, session)
    forged = ["2024-03-08", "VN", "cybercrime", "gendarmerie", "x\u0000", "police", "y"]

    with pytest.raises(ValidationError) as caught:
        queries.overlaps(store, TENANTS, Filters(), cursor=cursors.seal(key, "overlaps", forged))

    assert caught.value.rule == "invalid-cursor"


def test_a_cursor_of_another_list_is_refused(store: ReportingStore) -> None:
    with store.read() as session:
        key = cursors.cursor_key(store, session)
    other = cursors.seal(key, "alerts", ["2024-03-08", "VN", "x", "a", "b", "c", "d"])

    with pytest.raises(ValidationError):
        queries.overlaps(store, TENANTS, Filters(), cursor=other)


def test_a_pair_of_open_missions_shows_its_period(world: World, store: ReportingStore) -> None:
    world.mission("police", "open-p", start=date(2024, 3, 4), end=date(2024, 3, 8))
    world.mission("gendarmerie", "open-g", start=date(2024, 3, 6), end=date(2024, 3, 12))
    _project(world, store)

    (item,) = queries.overlaps(store, TENANTS, Filters())["items"]
    alert = queries.alerts(store, TENANTS)["items"][0]

    assert item["period"] == alert["data"]["period"] == {"start": "2024-03-06", "end": "2024-03-08"}
    assert alert["time"] is not None
    assert alert["caused_by"] is not None


def test_an_alert_id_is_keyed_so_no_reader_recomputes_it_from_mission_ids() -> None:
    """A plain uuid5 of (kind, pair, cause) let a reader confirm a guessed restricted mission."""
    name = "entente:reporting:detected:VN:cybercrime:gendarmerie:g:police:p:cause"

    keyed = cursors.alert_id(b"k" * 32, name)

    assert keyed == cursors.alert_id(b"k" * 32, name)  # stable: a retry keeps it
    assert keyed not in {cursors.alert_id(b"j" * 32, name), str(uuid5(NAMESPACE_URL, name))}


def _restrict(world: World, tenant: str, name: str) -> CommandContext:
    """Corrects the mission ``name`` to restricted; the directorate's context, to go on."""
    ctx = world.context(tenant)
    world.change(
        Mission,
        name,
        lambda m: m.correct(ctx, {"classification": "restricted"}, "Classified", date(2024, 2, 1)),
    )
    return ctx


def test_an_alert_read_after_its_mission_became_restricted_no_longer_details_it(
    world: World, store: ReportingStore
) -> None:
    """The alert was raised with the mission open; read again, it says what the list says."""
    world.mission("police", "p", start=date(2024, 3, 4))
    world.mission("gendarmerie", "g", start=date(2024, 3, 5))
    _project(world, store)
    _restrict(world, "gendarmerie", "g")
    _project(world, store)

    (detected,) = queries.alerts(store, TENANTS)["items"]

    assert detected["type"] == DETECTED
    assert {"directorate": "gendarmerie", "restricted": True} in detected["data"]["missions"]
    assert world.id("g") not in json.dumps(detected)
    assert "Mission g" not in json.dumps(detected)
    assert (detected["data"]["period"], detected["time"], detected["caused_by"]) == (
        None,
        None,
        None,
    )
    police = next(m for m in detected["data"]["missions"] if m["directorate"] == "police")
    assert police["mission_id"] == world.id("p")  # the open mission is still shown


def test_pages_of_overlaps_never_skip_or_repeat_a_pair(world: World, store: ReportingStore) -> None:
    record_cases(world)
    _project(world, store)
    seen: list[dict[str, Any]] = []
    cursor = None

    while True:
        page = queries.overlaps(store, TENANTS, Filters(), limit=1, cursor=cursor)
        seen.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert page["total"] == 4
    assert [json.dumps(item) for item in seen] == [
        json.dumps(item)
        for item in queries.overlaps(store, TENANTS, Filters(), limit=None)["items"]
    ]
    assert _pairs(store, directorate="civil-protection", year=2024) == {
        p for p in _pairs(store) if "civil-protection" in p
    }
    assert _pairs(store, year=2023) == set()


def test_a_pair_keeps_its_id_when_a_mission_becomes_restricted(
    world: World, store: ReportingStore
) -> None:
    """A subscriber folds the alerts by ``pair``: the resolution names a restricted mission
    by its directorate only, but its pair id is the one the detection gave."""
    world.mission("police", "p", start=date(2024, 3, 4))
    world.mission("gendarmerie", "g", start=date(2024, 3, 5))
    _project(world, store)
    (listed,) = queries.overlaps(store, TENANTS, Filters())["items"]
    gendarmerie = _restrict(world, "gendarmerie", "g")
    world.change(
        Mission,
        "g",
        lambda m: m.schedule(
            gendarmerie, date(2024, 6, 3), date(2024, 6, 7), "Hanoï", 2, None, date(2024, 2, 2)
        ),
    )
    _project(world, store)

    detected, resolved = queries.alerts(store, TENANTS)["items"]
    assert (detected["type"], resolved["type"]) == (DETECTED, RESOLVED)
    assert resolved["data"]["missions"][0] == {"directorate": "gendarmerie", "restricted": True}
    assert detected["data"]["pair"] == resolved["data"]["pair"] == listed["pair"]
    # Keyed with the reporting area's key: a reader cannot compute it from ids it knows.
    with store.read() as session:
        key = cursors.cursor_key(store, session)
    names = ("VN", "cybercrime", "gendarmerie", world.id("g"), "police", world.id("p"))
    assert listed["pair"] == cursors.pair_id(key, names) != cursors.pair_id(b"k" * 32, names)


def test_what_a_restricted_mission_hides_does_not_act_on_the_list(
    world: World, store: ReportingStore
) -> None:
    """Its type and year do not filter, its dates do not order, its record time is not shown."""
    world.mission(
        "police", "secret", start=date(2024, 3, 4), classification=Classification.RESTRICTED
    )
    world.mission("gendarmerie", "open", start=date(2024, 3, 5), mission_type="expert-mission")
    world.mission("police", "later", start=date(2024, 9, 2))
    world.mission("gendarmerie", "later-g", start=date(2024, 9, 2))
    _project(world, store)

    items = queries.overlaps(store, TENANTS, Filters())["items"]
    assert [item["period"] is None for item in items] == [False, True]  # hidden pairs last
    assert items[1]["detected_at"] is None
    assert queries.overlaps(store, TENANTS, Filters(year=2024))["total"] == 1
    assert queries.overlaps(store, TENANTS, Filters(mission_type="seminar"))["total"] == 1
    assert queries.overlaps(store, TENANTS, Filters(mission_type="expert-mission"))["total"] == 1


def test_a_cursor_is_bound_to_the_filters_of_its_list(world: World, store: ReportingStore) -> None:
    for name, start in (("a", date(2024, 3, 4)), ("b", date(2024, 9, 2))):
        world.mission("police", f"{name}-p", start=start)
        world.mission("gendarmerie", f"{name}-g", start=start)
    _project(world, store)
    cursor = queries.overlaps(store, TENANTS, Filters(country="VN"), limit=1)["next_cursor"]

    assert queries.overlaps(store, TENANTS, Filters(country="VN"), limit=1, cursor=cursor)
    with pytest.raises(ValidationError) as caught:
        queries.overlaps(store, TENANTS, Filters(country="KH"), limit=1, cursor=cursor)
    assert caught.value.rule == "invalid-cursor"


def test_a_corrected_country_moves_the_mission_s_overlaps(
    world: World, store: ReportingStore
) -> None:
    """A mission typed to Laos that went to Vietnam missed its overlap with the
    gendarmerie's mission there; corrected, the pair appears, and the one in Laos goes."""
    world.mission("police", "p", country="LA", start=date(2024, 3, 4))
    world.mission("gendarmerie", "g", country="VN", start=date(2024, 3, 5))
    world.mission("civil-protection", "c", country="LA", start=date(2024, 3, 6))
    _project(world, store)
    before = {pair[0] for pair in _pairs(store)}
    ctx = world.context("police")

    world.change(
        Mission, "p", lambda m: m.correct(ctx, {"countries": ["VN"]}, "Pays", date(2024, 2, 1))
    )
    _project(world, store)

    assert before == {"LA"}
    assert _pairs(store) == {
        ("VN", "cybercrime", "2024-03-05", "2024-03-08", "gendarmerie", "police")
    }
    kinds = Counter(
        (a["type"], a["data"]["country"]) for a in queries.alerts(store, TENANTS)["items"]
    )
    assert kinds == {(DETECTED, "LA"): 1, (RESOLVED, "LA"): 1, (DETECTED, "VN"): 1}
