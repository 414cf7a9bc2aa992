"""The directorate's views over HTTP, fed by the running embedded projector."""

from __future__ import annotations

import base64
import json
import logging
import time
import unicodedata
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from uuid import uuid4

import pytest

import shared.views.waiting as waiting_module
from services.tenant.bootstrap import Platform, bootstrap
from shared.settings import Settings
from tests.api.conftest import TENANTS, Api, problem


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """Like the suite's platform, but with the projector thread running."""
    settings = Settings(
        data_dir=Path(tmp_path_factory.mktemp("views")),
        tenants=TENANTS,
        store="sqlite",
        auth="dev",
        embedded_projector=True,
    )
    platform = bootstrap(settings)
    yield platform
    for ledger in platform.ledgers.values():
        ledger.close()


def test_a_new_request_is_on_the_board_when_the_client_waits_for_its_position(api: Api) -> None:
    created = api.post("/api/police/missions", _request("Stage de police scientifique"))
    position = created.json()["position"]

    board = api.get(f"/api/police/missions?status=requested&min_position={position}&limit=200")

    assert board.status_code == 200, board.text
    assert board.json()["position"] >= position
    assert created.json()["id"] in [m["id"] for m in board.json()["items"]]


def test_reads_waiting_past_their_places_are_refused_at_once_and_others_served(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """45 police reads waiting for a position never reached held every worker thread:
    gendarmerie's reads, commands, reporting and audit answered in 7 s, not 0.08."""
    monkeypatch.setattr(waiting_module, "WAITING", waiting_module.WaitingReads(2, 1))
    never = "min_position=99999999"
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(api.get, f"/api/police/missions?{never}&wait_ms=3000")
        deadline = time.monotonic() + 5
        while waiting_module.WAITING.count("police") != 1:
            assert time.monotonic() < deadline, "the first read never waited"
            time.sleep(0.01)
        started = time.monotonic()

        with caplog.at_level(logging.INFO, logger="entente"):
            refused = api.get(f"/api/police/views/position?{never}&wait_ms=3000")
        other = api.get(f"/api/gendarmerie/missions?{never}&wait_ms=50", "gendarmerie-reader")
        plain = api.get("/api/police/missions?limit=1")

        assert time.monotonic() - started < 2  # not queued behind the waiting read
        body = problem(refused, 503, "too-many-waiting-reads")
        assert (body["field"], body["rule"]) == ("min_position", "too-many-waiting-reads")
        assert refused.headers["retry-after"] == "1"
        # A bound doing its job: a warning for the operator, not a server error.
        levels = [r.levelno for r in caplog.records if "views/position" in r.getMessage()]
        assert levels == [logging.WARNING]
        problem(other, 503, "not-yet-visible")  # gendarmerie had a place, and waited
        assert plain.status_code == 200, plain.text
        problem(first.result(), 503, "not-yet-visible")


def test_a_request_waits_for_validation_with_its_age(api: Api) -> None:
    created = api.post("/api/police/missions", _request("Demande en attente", "2026-01-05"))
    position = created.json()["position"]

    waiting = api.get(f"/api/police/missions/awaiting-validation?min_position={position}&limit=200")

    [item] = [m for m in waiting.json()["items"] if m["id"] == created.json()["id"]]
    assert item["waiting_days"] == (api.platform.ledger("police").today() - _day("2026-01-05")).days


def test_a_position_not_reached_in_time_is_a_503_with_retry_after(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="entente"):
        response = api.get("/api/police/missions?min_position=99999999&wait_ms=50")

    body = problem(response, 503, "not-yet-visible")
    assert response.headers["retry-after"] == "1"
    assert body["position"] == 99999999
    # The wait the client chose ran out: not logged as a server error.
    assert [r.levelno for r in caplog.records if "99999999" in r.getMessage()] == [logging.INFO]


def test_a_position_no_command_gave_yet_is_waited_for_and_its_503_says_so(api: Api) -> None:
    """A client following the views asks for the position after the last it saw; one
    that made a position up was only told to retry, and did for ever (probe 5)."""
    given = api.position()
    beyond = given + 1000

    response = api.get(f"/api/police/views/position?min_position={beyond}&wait_ms=50")

    body = problem(response, 503, "not-yet-visible")
    assert body["position"] == beyond
    assert body["detail"].endswith(
        f"no command gave it yet: the police event store's last position is {given}"
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("posts?status=bogus", "status"),
        ("missions?country=XX", "country"),
        ("missions?cursor=abc", "cursor"),
        ("countries/XX?", "country"),
        ("reports/annual/1800?", "year"),
    ],
)
def test_bad_input_waiting_for_a_position_is_a_422_not_a_503_after_the_wait(
    api: Api, query: str, field: str
) -> None:
    """It waited the whole ``wait_ms`` and answered 503 "retry" (probe 7)."""
    beyond = api.position() + 1000
    separator = "" if query.endswith("?") else "&"

    response = api.get(
        f"/api/police/{query}{separator}min_position={beyond}&wait_ms=30000", "police-reader"
    )

    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["field"] == field


def test_the_register_lists_an_agreement_expiring_within_90_days(api: Api) -> None:
    today = api.platform.ledger("police").today()
    signed = today.replace(year=today.year - 3)
    created = api.post(
        "/api/police/agreements",
        {
            "reference": f"EXP-{api.salt}",
            "title": "Arrangement arrivant à échéance",
            "kind": "administrative-arrangement",
            "partner_countries": ["KH"],
            "themes": ["forensic-science"],
            "signed_on": signed.isoformat(),
            "signed_at": "Phnom Penh",
            "duration_months": 37,
        },
    )
    position = created.json()["position"]

    register = api.get(
        f"/api/police/agreements?expiring_within_days=90&min_position={position}&limit=200"
    )
    later = api.get("/api/police/agreements?expiring_within_days=10&limit=200")

    assert created.json()["id"] in [a["id"] for a in register.json()["items"]]
    assert created.json()["id"] not in [a["id"] for a in later.json()["items"]]


@pytest.mark.parametrize(
    ("years_ago", "months", "shown"), [(4, 36, "expired"), (1, 36, "in-force")]
)
def test_an_agreement_reads_with_the_status_the_register_shows(
    api: Api, years_ago: int, months: int, shown: str
) -> None:
    # The record's read said "in-force" of an agreement the register listed as expired.
    today = api.platform.ledger("police").today()
    created = api.post(
        "/api/police/agreements",
        {
            "reference": f"ST-{years_ago}-{api.salt}",
            "title": "Arrangement administratif",
            "kind": "administrative-arrangement",
            "partner_countries": ["KH"],
            "themes": ["forensic-science"],
            "signed_on": today.replace(year=today.year - years_ago, day=1).isoformat(),
            "signed_at": "Phnom Penh",
            "duration_months": months,
        },
    ).json()

    record = api.get(f"/api/police/agreements/{created['id']}").json()
    register = api.get(f"/api/police/agreements?min_position={created['position']}&limit=200")
    listed = next(a for a in register.json()["items"] if a["id"] == created["id"])

    assert (record["status"], record["recorded_status"]) == (shown, "in-force")
    assert (listed["status"], listed["recorded_status"]) == (shown, "in-force")


def test_the_country_file_and_annual_report_answer_with_their_position(api: Api) -> None:
    created = api.post("/api/police/missions", _request("Visite d'étude", "2025-02-01"))
    position = created.json()["position"]

    country = api.get(f"/api/police/countries/VN?min_position={position}")
    report = api.get(f"/api/police/reports/annual/2025?min_position={position}")

    assert country.status_code == 200, country.text
    assert country.json()["country"]["name_fr"] == "Viêt Nam"
    assert created.json()["id"] in [m["id"] for m in country.json()["missions"]]
    assert report.status_code == 200, report.text
    assert report.json()["year"] == 2025


def test_the_posts_directory_says_which_post_covers_a_country_today(api: Api) -> None:
    def open_post(city: str, host: str, covered: list[str]) -> dict[str, Any]:
        body = {
            "name": f"SSI {city} {api.salt}",
            "city": city,
            "host_country": host,
            "covered_countries": covered,
            "opened_on": "2015-01-05",
        }
        created: dict[str, Any] = api.post("/api/police/posts", body).json()
        return created

    astana = open_post("Astana", "KZ", ["KZ"])
    tachkent = open_post("Tachkent", "UZ", ["UZ", "TJ"])
    bichkek = open_post("Bichkek", "KG", ["KG"])
    closure = {"closed_on": "2020-08-31"}
    api.post(f"/api/police/posts/{bichkek['id']}/closure", closure, version=1)
    handover = {"covered_countries": ["KZ", "KG"], "effective_on": "2020-08-31"}
    closed = api.post(f"/api/police/posts/{astana['id']}/coverage", handover, version=1).json()

    def ids(query: str) -> list[str]:
        found = api.get(f"/api/police/posts?{query}&min_position={closed['position']}")
        assert found.status_code == 200, found.text
        return [post["id"] for post in found.json()["items"]]

    assert ids("covers=KG") == [astana["id"]]  # Bichkek covered it until its closure
    assert ids("host_country=KG") == [bichkek["id"]]
    assert ids("covers=TJ&status=open") == [tachkent["id"]]
    assert ids("covers=TJ&status=closed") == []
    listed = api.get("/api/police/posts?covers=KZ").json()["items"][0]
    assert (listed["name"], listed["city"], listed["status"]) == (
        f"SSI Astana {api.salt}",
        "Astana",
        "open",
    )
    assert listed["covered_countries"] == ["KZ", "KG"]


def test_the_posts_directory_pages_by_name_without_skipping_or_repeating(api: Api) -> None:
    for city, host in (("Zagreb", "HR"), ("Abuja", "NG"), ("Lima", "PE")):
        body = {
            "name": f"SSI {city}",
            "city": city,
            "host_country": host,
            "covered_countries": [host],
            "opened_on": "2010-03-01",
        }
        position = api.post("/api/police/posts", body).json()["position"]
    first = api.get(f"/api/police/posts?limit=1&min_position={position}").json()
    seen, cursor = [first["items"][0]], first["next_cursor"]
    while cursor:
        following = api.get(f"/api/police/posts?limit=1&cursor={cursor}").json()
        seen += following["items"]
        cursor = following["next_cursor"]

    assert len(seen) == first["total"] >= 3
    assert len({post["id"] for post in seen}) == len(seen)
    names = [post["name"] for post in seen]
    assert {"SSI Zagreb", "SSI Abuja", "SSI Lima"} <= set(names)
    assert names.index("SSI Abuja") < names.index("SSI Lima") < names.index("SSI Zagreb")


def test_the_posts_directory_refuses_bad_filters_naming_them(api: Api) -> None:
    missions_cursor = api.get("/api/police/missions?limit=1").json()["next_cursor"]

    assert problem(api.get("/api/police/posts?covers=ZZ"), 422, "unknown-country")["field"] == (
        "covers"
    )
    assert problem(api.get("/api/police/posts?status=shut"), 422, "vocabulary")["field"] == (
        "status"
    )
    if missions_cursor:  # a cursor of another list
        problem(api.get(f"/api/police/posts?cursor={missions_cursor}"), 422, "invalid-cursor")


def test_the_views_position_answers_once_a_write_is_visible_without_reading_a_page(
    api: Api,
) -> None:
    created = api.post("/api/police/missions", _request("Stage de cynotechnie"))
    position = created.json()["position"]

    reached = api.get(f"/api/police/views/position?min_position={position}")

    assert reached.status_code == 200, reached.text
    assert reached.json()["tenant"] == "police"
    assert reached.json()["position"] >= position
    assert reached.json()["recorded_at"] is not None
    now = api.get("/api/police/views/position")  # no wait: the position as it is
    assert now.json()["position"] >= reached.json()["position"]
    board = api.get(f"/api/police/missions?min_position={position}&limit=200")
    assert created.json()["id"] in [m["id"] for m in board.json()["items"]]
    problem(
        api.get("/api/police/views/position?min_position=99999999&wait_ms=50"),
        503,
        "not-yet-visible",
    )
    assert problem(api.get("/api/police/views/position?min_position=-1"), 422, "invalid-input")


def test_bad_filters_are_precise_problems(api: Api) -> None:
    assert problem(api.get("/api/police/missions?status=finished"), 422, "vocabulary")["field"]
    assert problem(api.get("/api/police/countries/XX"), 422, "unknown-country")
    assert problem(api.get("/api/police/missions?cursor=garbage"), 422, "invalid-cursor")
    assert problem(api.get("/api/police/missions?limit=0"), 422, "invalid-input")
    assert problem(api.get("/api/police/missions?cursor="), 422, "invalid-cursor")  # not "none"
    for loose_year in ("2025.0", "%2B2025", "%202025", "2_025"):  # all answered 2025's report
        body = problem(api.get(f"/api/police/reports/annual/{loose_year}"), 422, "invalid-input")
        assert body["field"] == "year", loose_year
    for loose in ("limit=5.0", "limit=%2B5", "year=2025.0", "year=%202025", "min_position=1e3"):
        body = problem(api.get(f"/api/police/missions?{loose}"), 422, "integer")
        assert body["field"] == loose.split("=")[0], loose


def _hand_made(*parts: object, raw: bytes | None = None) -> str:
    text = raw if raw is not None else json.dumps(list(parts)).encode()
    return base64.urlsafe_b64encode(text).decode().rstrip("=")


@pytest.mark.parametrize(
    ("path", "cursor"),
    [
        ("missions", _hand_made(raw=b"[" * 2000 + b"]" * 2000)),  # a RecursionError: was a 500
        ("missions", _hand_made("missions", "2026-12-05", "\ud800")),  # unencodable: a 500
        ("posts", _hand_made("posts", "\ud800", "0b5f2f8e-3c1d-4f7a-9a63-2f1e5d8c7b6a")),
        ("missions", _hand_made("missions", "2026-12-05", "zzz")),  # no record is named so
        ("missions", _hand_made("missions", "2026-12-05", "0B5F2F8E3C1D4F7A9A632F1E5D8C7B6A")),
    ],
    ids=["nested-deep", "surrogate-id", "surrogate-key", "not-a-uuid", "uuid-spelt-otherwise"],
)
def test_a_hand_made_cursor_is_refused_not_a_500(api: Api, path: str, cursor: str) -> None:
    body = problem(api.get(f"/api/police/{path}?cursor={cursor}"), 422, "invalid-cursor")
    assert body["field"] == "cursor"


def test_views_follow_the_same_access_rules(api: Api) -> None:
    assert api.get("/api/police/missions", user="auditor").status_code == 200
    problem(api.get("/api/police/missions", user="gendarmerie-reader"), 403, "permission-denied")
    problem(api.get("/api/police/reports/annual/2025", user="reporting"), 403, "permission-denied")
    problem(api.client.get("/api/police/missions"), 401, "authentication")
    problem(api.get("/api/interior/missions", user="police-reader"), 404, "not-found")
    assert api.get("/api/police/views/position", user="auditor").status_code == 200
    position = api.get("/api/police/views/position", user="gendarmerie-reader")
    problem(position, 403, "permission-denied")
    problem(api.client.get("/api/police/views/position"), 401, "authentication")
    problem(api.get("/api/interior/views/position", user="police-reader"), 404, "not-found")


def _request(title: str, requested_on: str = "2026-03-02") -> dict[str, object]:
    return {
        "title": title,
        "mission_type": "training-course",
        "countries": ["VN"],
        "themes": ["narcotics"],
        "requested_by": "Ministère de la Sécurité publique",
        "requested_on": requested_on,
        "classification": "internal",
    }


def _day(text: str) -> date:
    return date.fromisoformat(text)


def test_text_typed_decomposed_is_recorded_composed_so_filters_and_counts_see_one_site(
    api: Api,
) -> None:
    """ "Saint-Étienne" with a combining accent (a paste from a PDF) and typed with "É"
    are one site: one filter finds both visits, the annual report counts them together."""
    composed_site = unicodedata.normalize("NFC", f"Saint-Étienne {api.salt}")
    decomposed_site = unicodedata.normalize("NFD", composed_site)
    assert decomposed_site != composed_site
    ids = []
    for site in (decomposed_site, composed_site):
        visit = api.create(
            "delegations",
            start_date="2019-04-08",
            end_date="2019-04-10",
            host_site=site,
            planned_on="2019-01-15",
        )
        hosted = api.command(visit, "hosting", hosted_on="2019-04-08")
        ids.append(hosted.id)
    position = api.position()

    read = api.get(f"/api/police/delegations/{ids[0]}")
    assert read.json()["host_site"] == composed_site
    for asked in (decomposed_site, composed_site, f"  {composed_site} "):
        found = api.get(
            "/api/police/delegations?" + urlencode({"host_site": asked, "min_position": position})
        )
        assert found.status_code == 200, found.text
        assert sorted(item["id"] for item in found.json()["items"]) == sorted(ids)
    report = api.get(f"/api/police/reports/annual/2019?min_position={position}").json()
    by_site = report["delegations"]["by_host_site"]
    assert {site: count for site, count in by_site.items() if api.salt in site} == {
        composed_site: 2
    }


@pytest.mark.parametrize(
    ("sent", "currency", "recorded"),
    [("1.25", "TND", "1.250"), ("1.255", "TND", "1.255"), ("1500000.00", "XOF", "1500000")],
)
def test_a_budget_is_recorded_and_shown_with_its_currencys_decimals(
    api: Api, sent: str, currency: str, recorded: str
) -> None:
    """ISO 4217 minor units: three for the dinar (its third decimal was refused until
    2026-12-06), none for the CFA franc; the record and the board agree."""
    record = api.walk("missions", "validation")

    scheduled = api.command(record, "schedule", budget={"amount": sent, "currency": currency})

    state = api.get(record.path).json()
    assert state["budget"] == {"amount": recorded, "currency": currency}
    position = api.position()  # the log's end: the schedule's event and all before
    board = api.get(f"/api/police/missions?status=scheduled&min_position={position}&limit=200")
    assert board.status_code == 200, board.text
    item = next(i for i in board.json()["items"] if i["id"] == scheduled.id)
    assert item["budget"] == {"amount": recorded, "currency": currency}


def test_a_corrected_actual_cost_moves_the_annual_report_and_the_history_keeps_both(
    api: Api,
) -> None:
    """A cost typed 23,950.50 for 2,395.05 could not be corrected once the mission was
    completed (422 not-correctable): it stayed in the annual report for good."""
    mission = api.walk("missions", "validation", "schedule", "launch", "completion")
    report = f"/api/police/reports/annual/2013?min_position={api.position()}"
    before = Decimal(api.get(report).json()["budgets"]["actual_cost"]["EUR"])
    correction = {
        "changes": {"actual_cost": {"amount": "2395.05", "currency": "EUR"}, "participants": 16},
        "reason": "Montant de la facture",
        "corrected_on": "2013-11-04",
    }

    fixed = api.post(f"{mission.path}/corrections", correction, version=mission.version)

    assert fixed.status_code == 200, fixed.text
    read = api.get(mission.path).json()
    assert (read["actual_cost"]["amount"], read["participants"]) == ("2395.05", 16)
    after = api.get(f"/api/police/reports/annual/2013?min_position={fixed.json()['position']}")
    assert Decimal(after.json()["budgets"]["actual_cost"]["EUR"]) == before - Decimal("21555.45")
    events = api.get(f"{mission.path}/history").json()["events"]
    assert events[-2]["data"]["actual_cost_amount"] == "23950.50"  # the original stays
    assert events[-1]["data"]["changes"]["actual_cost_amount"] == "2395.05"
    bad = {**correction, "changes": {"actual_cost": {"amount": "2395.055", "currency": "EUR"}}}
    refused = problem(
        api.post(f"{mission.path}/corrections", bad, version=mission.version + 1),
        422,
        "scale",
    )
    assert refused["field"] == "changes.actual_cost.amount"


def test_a_mission_corrected_to_the_post_that_collected_it_is_listed_under_it(
    api: Api,
) -> None:
    place = {"name": f"SSI Thimphou {api.salt}", "city": "Thimphou", "host_country": "BT"}
    post = api.create("posts", **place, covered_countries=["BT"])
    mission = api.create("missions", countries=["BT"])
    body = {"changes": {"post_id": post.id}, "reason": "Fiche", "corrected_on": "2013-04-01"}

    fixed = api.post(f"{mission.path}/corrections", body, version=mission.version)

    assert fixed.status_code == 200, fixed.text
    at = fixed.json()["position"]
    listed = api.get(f"/api/police/missions?post_id={post.id}&min_position={at}")
    assert listed.status_code == 200, listed.text
    assert [m["id"] for m in listed.json()["items"]] == [mission.id]


def test_a_corrected_country_moves_the_mission_between_country_files(api: Api) -> None:
    """A mission typed to Laos that went to Bhutan stayed in Laos' file for good."""
    mission = api.create("missions", countries=["LA"], title=f"Pays {api.salt}")
    body = {"changes": {"countries": ["BT"]}, "reason": "Pays", "corrected_on": "2013-04-01"}

    fixed = api.post(f"{mission.path}/corrections", body, version=mission.version)

    assert fixed.status_code == 200, fixed.text
    at = fixed.json()["position"]

    def filed(country: str) -> bool:
        answer = api.get(f"/api/police/countries/{country}?min_position={at}").json()
        return mission.id in [m["id"] for m in answer["missions"]]

    assert (filed("BT"), filed("LA")) == (True, False)
    board = api.get(f"/api/police/missions?country=BT&min_position={at}").json()
    assert mission.id in [m["id"] for m in board["items"]]


def test_a_launched_mission_s_dates_are_corrected_and_the_board_follows(api: Api) -> None:
    """Launched on 7 October 2013, a mission typed to end on the 18th could only be
    rescheduled before its launch: the wrong end stayed on the board for good."""
    launched = api.walk("missions", "validation", "schedule", "launch")  # 7-18 Oct 2013
    body = {
        "changes": {"end_date": "2013-10-11"},
        "reason": "Programme",
        "corrected_on": "2013-10-20",
    }

    fixed = api.post(f"{launched.path}/corrections", body, version=launched.version)

    assert fixed.status_code == 200, fixed.text
    at = fixed.json()["position"]
    board = api.get(f"/api/police/missions?year=2013&min_position={at}&limit=200").json()
    item = next(m for m in board["items"] if m["id"] == launched.id)
    assert (item["start_date"], item["end_date"]) == ("2013-10-07", "2013-10-11")
    events = api.get(f"{launched.path}/history").json()["events"]
    assert events[-1]["data"]["changes"] == {"end_date": "2013-10-11"}
    early = {**body, "changes": {"end_date": "2013-10-06"}}
    refused = problem(
        api.post(f"{launched.path}/corrections", early, version=launched.version + 1),
        422,
        "dates-in-order",
    )
    assert refused["field"] == "changes.end_date"


def test_a_start_date_corrected_into_another_year_moves_the_mission_to_its_board(
    api: Api,
) -> None:
    record = api.walk("missions", "validation")
    record = api.command(record, "schedule", start_date="2013-12-30", end_date="2014-01-10")
    record = api.command(record, "launch", launched_on="2014-01-02")
    body = {
        "changes": {"start_date": "2014-01-02"},
        "reason": "Programme",
        "corrected_on": "2014-01-05",
    }

    fixed = api.post(f"{record.path}/corrections", body, version=record.version)

    assert fixed.status_code == 200, fixed.text
    at = fixed.json()["position"]

    def on_board(year: int) -> bool:
        board = api.get(f"/api/police/missions?year={year}&min_position={at}&limit=200").json()
        return record.id in [m["id"] for m in board["items"]]

    assert (on_board(2014), on_board(2013)) == (True, False)


def test_a_request_day_corrected_into_another_year_moves_the_request_and_its_wait(
    api: Api,
) -> None:
    """Received 28 December 2012, typed 2013: on the wrong year's board, its wait short."""
    record = api.post(
        "/api/police/missions", _request("Stage de police judiciaire", requested_on="2013-01-03")
    )
    created = record.json()
    path = f"/api/police/missions/{created['id']}"
    body = {
        "changes": {"requested_on": "2012-12-28"},
        "reason": "Courrier",
        "corrected_on": "2013-03-20",
    }

    fixed = api.post(f"{path}/corrections", body, version=created["version"])

    assert fixed.status_code == 200, fixed.text
    at = fixed.json()["position"]

    def on_board(year: int) -> list[Any]:
        board = api.get(f"/api/police/missions?year={year}&min_position={at}&limit=200").json()
        return [m for m in board["items"] if m["id"] == created["id"]]

    [item] = on_board(2012)
    assert (item["requested_on"], on_board(2013)) == ("2012-12-28", [])
    awaiting = api.get(f"/api/police/missions/awaiting-validation?min_position={at}&limit=200")
    [waiting] = [m for m in awaiting.json()["items"] if m["id"] == created["id"]]
    assert waiting["requested_on"] == "2012-12-28"


def test_a_corrected_rating_and_type_move_the_annual_report(api: Api) -> None:
    """A rating typed 4 for 1, or a course recorded as an expert mission, stayed in the
    evaluation average and the counts by type for good (422 not-correctable)."""
    mission = api.walk("missions", "validation", "schedule", "launch", "completion", "evaluation")
    report = f"/api/police/reports/annual/2013?min_position={api.position()}"
    before_report = api.get(report).json()
    before = before_report["missions"]
    correction = {
        "changes": {"rating": 1, "mission_type": "expert-mission"},
        "reason": "Fiche d'évaluation",
        "corrected_on": "2013-12-11",
    }

    fixed = api.post(f"{mission.path}/corrections", correction, version=mission.version)

    assert fixed.status_code == 200, fixed.text
    after_report = api.get(
        f"/api/police/reports/annual/2013?min_position={fixed.json()['position']}"
    ).json()
    after = after_report["missions"]
    moved = {
        kind: after["by_type"].get(kind, 0) - before["by_type"].get(kind, 0)
        for kind in {*before["by_type"], *after["by_type"]}
    }
    assert {k: v for k, v in moved.items() if v} == {"training-course": -1, "expert-mission": 1}
    assert after["total"] == before["total"]
    evaluated = (before_report["evaluations"], after_report["evaluations"])
    assert evaluated[0]["count"] == evaluated[1]["count"] >= 1
    assert Decimal(evaluated[1]["average_rating"]) < Decimal(evaluated[0]["average_rating"])
    read = api.get(mission.path).json()
    assert (read["rating"], read["mission_type"]) == (1, "expert-mission")
    early = {**correction, "changes": {"rating": 2}, "corrected_on": "2013-12-09"}
    refused = problem(
        api.post(f"{mission.path}/corrections", early, version=fixed.json()["version"]),
        422,
        "dates-in-order",
    )
    assert refused["field"] == "corrected_on"


def test_a_corrected_partner_moves_the_agreement_to_its_country_file(api: Api) -> None:
    """A partner typed VN for KH could not be corrected (422 not-correctable)."""
    signed = api.create("agreements")  # partner VN
    correction = {
        "changes": {"partner_countries": ["KH"], "partner_organisations": ["ASEANAPOL"]},
        "reason": "Texte signé",
        "corrected_on": "2012-01-05",
    }

    fixed = api.post(f"{signed.path}/corrections", correction, version=signed.version)

    assert fixed.status_code == 200, fixed.text
    at = f"min_position={fixed.json()['position']}"

    def filed_under(country: str) -> bool:
        file = api.get(f"/api/police/countries/{country}?{at}").json()
        register = api.get(f"/api/police/agreements?country={country}&{at}&limit=200").json()
        in_file = signed.id in [a["id"] for a in file["agreements"]]
        assert in_file == (signed.id in [a["id"] for a in register["items"]])
        return in_file

    assert (filed_under("KH"), filed_under("VN")) == (True, False)
    read = api.get(signed.path).json()
    assert (read["partner_countries"], read["partner_organisations"]) == (["KH"], ["ASEANAPOL"])
    none_left = {**correction, "changes": {"partner_countries": [], "partner_organisations": []}}
    refused = problem(
        api.post(f"{signed.path}/corrections", none_left, version=signed.version + 1),
        422,
        "required",
    )
    assert refused["field"] == "changes.partner_countries"
    assert api.position() == fixed.json()["position"]


def test_a_delegation_s_head_counts_are_corrected_and_the_calendar_follows(api: Api) -> None:
    """70 typed for 7 who came could not be corrected (422 not-correctable)."""
    planned = api.create("delegations")
    position = api.position()
    early = {"changes": {"actual_size": 6}, "reason": "Liste", "corrected_on": "2024-03-02"}

    refused = problem(
        api.post(f"{planned.path}/corrections", early, version=planned.version), 422, "not-hosted"
    )

    assert refused["field"] == "changes.actual_size"
    assert api.position() == position
    hosted = api.command(planned, "hosting", actual_size=70)
    correction = {
        "changes": {"actual_size": 7, "size": 9},
        "reason": "Liste d'émargement",
        "corrected_on": "2024-06-20",
    }

    fixed = api.post(f"{hosted.path}/corrections", correction, version=hosted.version)

    assert fixed.status_code == 200, fixed.text
    read = api.get(hosted.path).json()
    assert (read["size"], read["actual_size"]) == (9, 7)
    listed = api.get(f"/api/police/delegations?min_position={fixed.json()['position']}").json()
    item = next(i for i in listed["items"] if i["id"] == hosted.id)
    assert (item["size"], item["actual_size"]) == (9, 7)
    events = api.get(f"{hosted.path}/history").json()["events"]
    assert events[-2]["data"]["actual_size"] == 70  # the original stays
    origin = {
        "changes": {"country": "BT", "organisation": None},
        "reason": "Note verbale",
        "corrected_on": "2024-06-21",
    }
    moved = api.post(f"{hosted.path}/corrections", origin, version=hosted.version + 1)
    assert moved.status_code == 200, moved.text
    file = api.get(f"/api/police/countries/BT?min_position={moved.json()['position']}").json()
    assert hosted.id in [d["id"] for d in file["delegations"]]


def test_the_country_file_tells_which_post_covered_the_country_when(api: Api) -> None:
    """SSI Oulan-Bator (closed) covered Mongolia before SSI Pékin: the file listed today's
    post only, though the annual report credits each for its own years."""
    past = {
        "name": f"SSI Oulan-Bator {api.salt}",
        "city": "Oulan-Bator",
        "host_country": "MN",
        "covered_countries": ["MN"],
        "opened_on": "2008-03-01",
        "closed_on": "2016-09-01",
    }
    now = {
        "name": f"SSI Pékin {api.salt}",
        "city": "Pékin",
        "host_country": "CN",
        "covered_countries": ["CN", "MN"],
        "opened_on": "2016-09-01",
    }
    closed = api.post("/api/police/posts", past)
    assert closed.status_code == 201, closed.text
    current = api.post("/api/police/posts", now)
    assert current.status_code == 201, current.text

    at = current.json()["position"]
    file = api.get(f"/api/police/countries/MN?min_position={at}").json()

    assert [p["id"] for p in file["posts"]] == [current.json()["id"]]
    periods = [
        (p["post_id"], p["name"], p["status"], p["valid_from"], p["valid_until"])
        for p in file["post_history"]
    ]
    assert periods == [
        (closed.json()["id"], past["name"], "closed", "2008-03-01", "2016-09-01"),
        (current.json()["id"], now["name"], "open", "2016-09-01", None),
    ]
    assert file["counts"]["posts"] == 1


def test_an_opening_dated_wrongly_is_redated_and_the_country_files_follow(api: Api) -> None:
    """Typed 2016 for 2006: the country files said Nepal had no post for ten years, and no
    command could move a post's opening day (probe 8)."""
    body = {
        "name": f"SSI Katmandou {api.salt}",
        "city": "Katmandou",
        "host_country": "NP",
        "covered_countries": ["NP", "BD"],
        "opened_on": "2016-03-01",
    }
    post = api.post("/api/police/posts", body).json()["id"]
    path = f"/api/police/posts/{post}"
    change = {"covered_countries": ["NP"], "effective_on": "2020-01-01"}
    assert api.post(f"{path}/coverage", change, version=1).status_code == 200
    redating = {"opened_on": "2006-03-01", "reason": "Décret", "corrected_on": "2024-07-01"}

    redated = api.post(f"{path}/opening-correction", redating, version=2)

    assert redated.status_code == 200, redated.text
    at = redated.json()["position"]

    def periods(country: str) -> list[tuple[str, str | None]]:
        answer = api.get(f"/api/police/countries/{country}?min_position={at}")
        assert answer.status_code == 200, answer.text
        return [(p["valid_from"], p["valid_until"]) for p in answer.json()["post_history"]]

    assert periods("NP") == [("2006-03-01", "2020-01-01"), ("2020-01-01", None)]
    assert periods("BD") == [("2006-03-01", "2020-01-01")]
    read = api.get(path).json()
    assert (read["opened_on"], read["coverage_history"][0]["from"]) == ("2006-03-01", "2006-03-01")
    listed = api.get(f"/api/police/posts?min_position={at}").json()["items"]
    assert [p["opened_on"] for p in listed if p["id"] == post] == ["2006-03-01"]
    [event] = api.get(f"{path}/history").json()["events"][-1:]
    assert (event["data"]["recorded_opened_on"], event["data"]["opened_on"]) == (
        "2016-03-01",
        "2006-03-01",
    )
    late = {**redating, "opened_on": "2020-01-02"}
    refused = problem(
        api.post(f"{path}/opening-correction", late, version=3), 422, "dates-in-order"
    )
    assert refused["field"] == "opened_on"


def test_a_host_country_typed_wrong_is_corrected_in_the_directory(api: Api) -> None:
    body = {
        "name": f"SSI Achgabat {api.salt}",
        "city": "Achgabat",
        "host_country": "AF",  # meant TM
        "covered_countries": ["TM", "AF"],
        "opened_on": "2012-05-02",
    }
    post = api.post("/api/police/posts", body).json()["id"]
    correction = {"changes": {"host_country": "TM"}, "reason": "Pays", "corrected_on": "2024-01-02"}

    answer = api.post(f"/api/police/posts/{post}/corrections", correction, version=1)

    assert answer.status_code == 200, answer.text
    at = answer.json()["position"]
    listed = api.get(f"/api/police/posts?min_position={at}&limit=200").json()["items"]
    assert [p["host_country"] for p in listed if p["id"] == post] == ["TM"]
    assert api.get(f"/api/police/posts/{post}").json()["host_country"] == "TM"


def test_a_coverage_change_dated_wrongly_is_redated_and_the_figures_by_post_follow(
    api: Api,
) -> None:
    """Coverage is append-only in date order: a change typed as of June instead of March
    kept a mission of April counted for the post that no longer covered its country."""
    body = {
        "name": f"SSI Erevan {api.salt}",
        "city": "Erevan",
        "host_country": "AM",
        "covered_countries": ["AM", "GE"],
        "opened_on": "2015-01-05",
    }
    post = api.post("/api/police/posts", body).json()["id"]
    path = f"/api/police/posts/{post}"
    change = {"covered_countries": ["AM"], "effective_on": "2024-06-01"}  # meant 2024-03-01
    assert api.post(f"{path}/coverage", change, version=1).status_code == 200
    mission = {
        **_request("Atelier frontières", "2024-02-01"),
        "countries": ["GE"],
        "mission_type": "seminar",
    }
    walked = api.post("/api/police/missions", mission).json()
    steps: list[tuple[str, dict[str, Any]]] = [
        (
            "validation",
            {"decided_on": "2024-02-10", "decided_by": "MEAE", "decision_reference": "R"},
        ),
        (
            "schedule",
            {
                "start_date": "2024-04-10",
                "end_date": "2024-04-12",
                "place": "Tbilissi",
                "expert_count": 1,
                "scheduled_on": "2024-02-11",
            },
        ),
    ]
    for version, (segment, step) in enumerate(steps, start=1):
        user = "police-validator" if segment == "validation" else "police-recorder"
        answer = api.post(
            f"/api/police/missions/{walked['id']}/{segment}", step, user, version=version
        )
        assert answer.status_code == 200, answer.text

    def actions_of_the_post(position: int) -> int:
        report = api.get(f"/api/police/reports/annual/2024?min_position={position}").json()
        return sum(p["actions"] for p in report["missions"]["by_post"] if p["post_id"] == post)

    assert actions_of_the_post(answer.json()["position"]) == 1
    redating = {
        "effective_on": "2024-03-01",
        "reason": "Date de l'arrêté",
        "corrected_on": "2024-07-01",
    }

    redated = api.post(f"{path}/coverage-correction", redating, version=2)

    assert redated.status_code == 200, redated.text
    assert actions_of_the_post(redated.json()["position"]) == 0
    read = api.get(path).json()
    assert read["coverage_history"][-1] == {"from": "2024-03-01", "countries": ["AM"]}
    [event] = api.get(f"{path}/history").json()["events"][-1:]
    assert (event["data"]["recorded_effective_on"], event["data"]["effective_on"]) == (
        "2024-06-01",
        "2024-03-01",
    )
    again = api.post(f"{path}/coverage-correction", redating, version=3)
    assert problem(again, 422, "no-change")["field"] == "effective_on"


def test_the_register_finds_agreements_by_reference_theme_and_organisation(api: Api) -> None:
    """A desk officer could not find an agreement by its reference (probe 8)."""
    salt = uuid4().hex[:8].upper()
    first = api.post(
        "/api/police/agreements",
        api.body("agreements", reference=f"CONV-{salt}-A", partner_organisations=["EUROPOL"]),
    )
    second = api.post(
        "/api/police/agreements",
        api.body("agreements", reference=f"LOI-{salt}-B", themes=["cybercrime"]),
    )
    position = second.json()["position"]

    def references(query: str) -> list[str]:
        answer = api.get(f"/api/police/agreements?{query}&min_position={position}&limit=200")
        assert answer.status_code == 200, answer.text
        return sorted(a["reference"] for a in answer.json()["items"])

    assert first.status_code == second.status_code == 201
    assert references(f"reference={salt.lower()}") == [f"CONV-{salt}-A", f"LOI-{salt}-B"]
    assert references(f"reference=conv-{salt}") == [f"CONV-{salt}-A"]
    assert references(f"reference={salt}&theme=cybercrime") == [f"LOI-{salt}-B"]
    assert references(f"reference={salt}&organisation=EUROPOL") == [f"CONV-{salt}-A"]
    assert references("reference=%25_") == []  # the text is matched as written, not a pattern
    refused = api.get("/api/police/agreements?organisation=NOWHERE")
    assert problem(refused, 422, "vocabulary")["field"] == "organisation"


def test_the_board_and_the_calendar_filter_institutional_work_by_organisation(api: Api) -> None:
    title = f"Séminaire {uuid4().hex[:8]}"
    mission = api.post("/api/police/missions", {**_request(title), "organisations": ["INTERPOL"]})
    visit = api.post(
        "/api/police/delegations",
        api.body("delegations", country=None, organisation="CEPOL"),
    )
    position = visit.json()["position"]

    board = api.get(f"/api/police/missions?organisation=INTERPOL&min_position={position}&limit=200")
    other = api.get(f"/api/police/missions?organisation=EUROPOL&min_position={position}&limit=200")
    calendar = api.get(f"/api/police/delegations?organisation=CEPOL&min_position={position}")

    assert mission.json()["id"] in [m["id"] for m in board.json()["items"]]
    assert mission.json()["id"] not in [m["id"] for m in other.json()["items"]]
    assert visit.json()["id"] in [d["id"] for d in calendar.json()["items"]]
    assert {d["organisation"] for d in calendar.json()["items"]} == {"CEPOL"}


def test_the_report_counts_one_host_site_whatever_its_spelling(api: Api) -> None:
    """Three spellings of one site were three rows of the quoted figures (probe 8)."""
    salt = uuid4().hex[:6]
    spellings = [f"Île-de-{salt}", f"ile de {salt}", f"ÎLE-DE-{salt.upper()}", f"Île-de-{salt}"]
    for site in spellings:
        api.command(api.create("delegations", host_site=site), "hosting")
    position = api.position()

    report = api.get(f"/api/police/reports/annual/2024?min_position={position}")

    sites = report.json()["delegations"]["by_host_site"]
    assert {site: count for site, count in sites.items() if salt in site.lower()} == {
        f"Île-de-{salt}": 4
    }
    assert "accents" in report.json()["delegations"]["counting_rule"]["en"]


def test_a_withdrawn_termination_puts_the_agreement_back_in_the_register_and_report(
    api: Api,
) -> None:
    """A termination recorded by mistake left the agreement terminated for good, in the
    register and out of "in force on 31 December"; its withdrawal puts it back, and the
    record's history keeps both."""
    record = api.create("agreements", signed_on="2024-01-15", duration_months=60)
    reference = api.get(record.path).json()["reference"]

    def listed_and_in_force(position: int) -> tuple[dict[str, Any], int]:
        query = urlencode({"reference": reference, "min_position": position})
        register = api.get(f"/api/police/agreements?{query}").json()["items"]
        report = api.get(f"/api/police/reports/annual/2024?min_position={position}").json()
        return register[0], report["agreements"]["in_force_at_year_end"]["total"]

    terminated = api.command(record, "termination", terminated_on="2024-06-01")
    row, ended = listed_and_in_force(api.position())
    assert (row["status"], row["terminated_on"]) == ("terminated", "2024-06-01")

    withdrawal = {"reason": "Recorded on the wrong agreement", "corrected_on": "2024-06-10"}
    answer = api.post(f"{record.path}/status-withdrawal", withdrawal, version=terminated.version)
    assert answer.status_code == 200, answer.text
    row, in_force = listed_and_in_force(answer.json()["position"])

    assert (row["status"], row["terminated_on"]) == ("in-force", None)
    assert in_force == ended + 1
    history = api.get(f"{record.path}/history").json()["events"]
    assert [event["type"].split(".")[-2] for event in history[-2:]] == [
        "terminated",
        "status-change-withdrawn",
    ]
    version = answer.json()["version"]
    again = api.post(f"{record.path}/status-withdrawal", withdrawal, version=version)
    assert problem(again, 409, "nothing-to-withdraw")["detail"].endswith("none is left to withdraw")


def test_a_withdrawn_amendment_leaves_the_register_s_count(api: Api) -> None:
    record = api.walk("agreements", "amendments")
    withdrawal = {"reason": "Amendment of another agreement", "corrected_on": "2013-05-03"}

    answer = api.post(f"{record.path}/amendment-withdrawal", withdrawal, version=record.version)

    assert answer.status_code == 200, answer.text
    reference = api.get(record.path).json()["reference"]
    query = urlencode({"reference": reference, "min_position": answer.json()["position"]})
    [row] = api.get(f"/api/police/agreements?{query}").json()["items"]
    assert row["amendment_count"] == 0
    assert api.get(record.path).json()["amendments"] == []
    again = api.post(
        f"{record.path}/amendment-withdrawal", withdrawal, version=answer.json()["version"]
    )
    assert problem(again, 409, "nothing-to-withdraw")["detail"].endswith("none left to withdraw")


def test_a_withdrawn_renewal_gives_the_agreement_its_former_term_in_the_register_and_report(
    api: Api,
) -> None:
    """A renewal recorded by mistake kept an expired agreement in force in the register
    and in "in force on 31 December"; its withdrawal puts the former term back."""
    record = api.create("agreements", signed_on="2021-01-15", duration_months=36)
    reference = api.get(record.path).json()["reference"]

    def listed_and_in_force(position: int) -> tuple[dict[str, Any], int]:
        query = urlencode({"reference": reference, "min_position": position})
        register = api.get(f"/api/police/agreements?{query}").json()["items"]
        report = api.get(f"/api/police/reports/annual/2024?min_position={position}").json()
        return register[0], report["agreements"]["in_force_at_year_end"]["total"]

    renewed = api.command(record, "renewals", renewed_on="2023-12-01", duration_months=48)
    row, counted = listed_and_in_force(api.position())
    assert (row["status"], row["expires_on"]) == ("in-force", "2028-01-15")

    withdrawal = {"reason": "Renewed the wrong agreement", "corrected_on": "2023-12-05"}
    answer = api.post(f"{record.path}/renewal-withdrawal", withdrawal, version=renewed.version)
    assert answer.status_code == 200, answer.text
    row, in_force = listed_and_in_force(answer.json()["position"])

    assert (row["status"], row["expires_on"]) == ("expired", "2024-01-15")
    assert in_force == counted - 1
    history = api.get(f"{record.path}/history").json()["events"]
    assert [event["type"].split(".")[-2] for event in history[-2:]] == [
        "renewed",
        "renewal-withdrawn",
    ]
    again = api.post(
        f"{record.path}/renewal-withdrawal", withdrawal, version=answer.json()["version"]
    )
    assert problem(again, 409, "nothing-to-withdraw")["detail"].endswith(
        "every renewal is withdrawn"
    )


def test_a_closure_withdrawn_gives_the_post_its_coverage_back_in_the_country_files(
    api: Api,
) -> None:
    """Closed the day its last coverage began (by mistake): the closure removed that
    coverage's periods; withdrawn, they run again, and the periods before stay ended."""
    body = {
        "name": f"SSI Colombo {api.salt}",
        "city": "Colombo",
        "host_country": "LK",
        "covered_countries": ["LK", "MV"],
        "opened_on": "2015-01-05",
    }
    post = api.post("/api/police/posts", body).json()["id"]
    path = f"/api/police/posts/{post}"
    change = {"covered_countries": ["LK"], "effective_on": "2020-01-01"}
    assert api.post(f"{path}/coverage", change, version=1).status_code == 200
    assert api.post(f"{path}/closure", {"closed_on": "2020-01-01"}, version=2).status_code == 200
    withdrawal = {"reason": "Recorded on the wrong post", "corrected_on": "2020-02-01"}

    answer = api.post(f"{path}/closure-withdrawal", withdrawal, version=3)

    assert answer.status_code == 200, answer.text
    at = answer.json()["position"]

    def periods(country: str) -> list[tuple[str, str, str | None]]:
        file = api.get(f"/api/police/countries/{country}?min_position={at}").json()
        return [
            (p["status"], p["valid_from"], p["valid_until"])
            for p in file["post_history"]
            if p["post_id"] == post
        ]

    assert periods("LK") == [
        ("open", "2015-01-05", "2020-01-01"),
        ("open", "2020-01-01", None),
    ]
    assert periods("MV") == [("open", "2015-01-05", "2020-01-01")]
    listed = api.get(f"/api/police/posts?min_position={at}&limit=200").json()["items"]
    assert [(p["status"], p["closed_on"]) for p in listed if p["id"] == post] == [("open", None)]
    again = api.post(f"{path}/closure-withdrawal", withdrawal, version=4)
    assert problem(again, 409, "nothing-to-withdraw")["detail"] == (
        "cannot withdraw the closure of this post abroad: it is open, not closed"
    )


def test_a_cancellation_withdrawn_counts_the_mission_again(api: Api) -> None:
    """Cancelled by mistake, the mission left the board's scheduled missions and the
    annual report's actions for good; withdrawn, it is back in both."""
    record = api.walk("missions", "validation", "schedule", "cancellation")

    def board_and_actions(position: int) -> tuple[list[str], int]:
        board = api.get(f"/api/police/missions?status=scheduled&min_position={position}&limit=200")
        report = api.get(f"/api/police/reports/annual/2013?min_position={position}").json()
        return [m["id"] for m in board.json()["items"]], report["missions"]["total"]

    scheduled, actions = board_and_actions(api.position())
    assert record.id not in scheduled
    withdrawal = {"reason": "Recorded on the wrong mission", "corrected_on": "2013-09-03"}

    answer = api.post(f"{record.path}/cancellation-withdrawal", withdrawal, version=record.version)

    assert answer.status_code == 200, answer.text
    scheduled, again = board_and_actions(answer.json()["position"])
    assert record.id in scheduled
    assert again == actions + 1
    read = api.get(record.path).json()
    assert (read["status"], read["cancelled_on"], read["cancellation_reason"]) == (
        "scheduled",
        None,
        None,
    )


def test_a_decline_withdrawn_puts_the_request_back_on_the_board_waiting(api: Api) -> None:
    """Declined by mistake (the wrong request of the list), a request stayed declined for
    good: it could not be validated, and the board listed it among the declined."""
    record = api.walk("missions", "decline")

    def board(status: str, position: int) -> list[str]:
        query = f"status={status}&min_position={position}&limit=200"
        return [m["id"] for m in api.get(f"/api/police/missions?{query}").json()["items"]]

    assert record.id in board("declined", api.position())
    withdrawal = {"reason": "Declined the wrong request", "corrected_on": "2013-04-05"}
    by_a_recorder = api.post(
        f"{record.path}/decision-withdrawal", withdrawal, "police-recorder", version=record.version
    )
    assert by_a_recorder.status_code == 403, by_a_recorder.text

    answer = api.post(
        f"{record.path}/decision-withdrawal", withdrawal, "police-validator", version=record.version
    )

    assert answer.status_code == 200, answer.text
    at = answer.json()["position"]
    assert record.id in board("requested", at)
    assert record.id not in board("declined", at)
    read = api.get(record.path).json()
    assert (read["status"], read["decided_on"], read["decline_reason"]) == ("requested", None, None)
    [event] = api.get(f"{record.path}/history").json()["events"][-1:]
    assert (event["type"].split(".")[-2], event["data"]["decision"]) == (
        "decision-withdrawn",
        "declined",
    )
    again = api.post(
        f"{record.path}/decision-withdrawal",
        withdrawal,
        "police-validator",
        version=answer.json()["version"],
    )
    assert problem(again, 409, "nothing-to-withdraw")["detail"].endswith(
        "no decision is recorded (or it was withdrawn)"
    )
