"""``/api/reporting`` over HTTP: who may read, what the access log records, what files say.

The app is the standalone service's (``create_app``), wired by the real
composition root over a hand-built ministry, with the dev issuer's tokens and
a real access log in the module's directory. The projection is caught up
before the first request, so answers are deterministic.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator, FormatChecker
from openpyxl import load_workbook
from sqlalchemy.schema import DropSchema

from services.reporting.app import create_app
from services.reporting.bootstrap import ReportingService
from services.reporting.embedded import embedded_reporting
from services.reporting.main import verifier
from services.reporting.settings import ReportingSettings
from shared.access_log import AccessLog, AccessLogError
from shared.auth.dev_issuer import DevIssuer
from shared.auth.roles import Principal
from shared.domain.reference import country
from shared.domain.vocabulary import LABELS, MissionStatus, MissionType, Theme
from shared.reporting.postgres import PostgresReportingStore
from shared.reporting.sqlite import SqliteReportingStore
from shared.tenancy import DIRECTORATE_NAMES
from tests.api.test_route_policies import routes_without_policy
from tests.reporting.conftest import BACKENDS
from tests.reporting.support import TENANTS, World, record_scenario
from tests.reporting.test_overlaps import record_cases

ROUTES = [
    "/api/reporting/figures",
    "/api/reporting/matrix",
    "/api/reporting/agreements/in-force",
    "/api/reporting/overlaps",
    "/api/reporting/alerts",
    "/api/reporting/status",
    "/api/reporting/vocabularies",
]
DENIED = ["police-reader", "police-recorder", "police-validator", "auditor", "admin"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Reporting:
    client: TestClient
    service: ReportingService
    issuer: DevIssuer
    access: AccessLog

    def get(self, path: str, user: str | None = "reporting", **params: Any) -> httpx.Response:
        headers = {} if user is None else {"Authorization": f"Bearer {self.issuer.token(user)}"}
        response: httpx.Response = self.client.get(path, params=params, headers=headers)
        return response


def _clock() -> datetime:
    return datetime(2025, 6, 1, 12, tzinfo=UTC)


@pytest.fixture(scope="module", params=BACKENDS)
def reporting(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Reporting]:
    """The service over a hand-built ministry: its area and access log on each backend."""
    base = tmp_path_factory.mktemp("reporting-api")
    world = World.open(base / "events")
    record_scenario(world)
    record_cases(world)
    settings, access = _backend(request, base)
    service = embedded_reporting(settings, world.ledgers, access=access, clock=_clock)
    service.store.setup()
    service.projector.catch_up()
    issuer = DevIssuer(base, settings.issuer, settings.audience, TENANTS)
    with TestClient(create_app(service, verifier(settings))) as client:
        yield Reporting(client, service, issuer, access)
    if isinstance(service.store, PostgresReportingStore):
        service.store.drop()
        with access.engine.begin() as connection:
            connection.execute(DropSchema(str(access.schema), cascade=True, if_exists=True))
    access.dispose()
    world.close()


def _backend(request: pytest.FixtureRequest, base: Path) -> tuple[ReportingSettings, AccessLog]:
    settings = ReportingSettings(data_dir=base, tenants=TENANTS, auth="dev")
    if request.param == "sqlite":
        return settings, AccessLog.open(None, base)
    url: str = request.getfixturevalue("postgres_url")
    schema = f"t{uuid.uuid4().hex[:10]}_entente_reporting"
    settings = settings.model_copy(update={"reporting_url": url, "reporting_schema": schema})
    return settings, AccessLog.open(url, base, schema=f"{schema}_access")


def test_every_route_declares_its_policy_first(reporting: Reporting) -> None:
    app = reporting.client.app
    assert isinstance(app, FastAPI)

    assert routes_without_policy(app) == []


@pytest.mark.parametrize("path", ROUTES)
def test_only_reporting_readers_read_reporting(reporting: Reporting, path: str) -> None:
    read = reporting.get(path)
    assert read.status_code == 200
    assert read.headers["Cache-Control"] == "no-store"  # figures never kept by a cache
    for user in DENIED:
        assert reporting.get(path, user).status_code == 403, user
    assert reporting.get(path, None).status_code == 401


def test_every_read_is_in_the_access_log_and_refusals_are_not(reporting: Reporting) -> None:
    last = reporting.access.entries(limit=1000)
    after = last[-1].id if last else 0

    reporting.get("/api/reporting/figures", directorate="police", year=2024)
    reporting.get("/api/reporting/overlaps", "police-reader")

    (entry,) = reporting.access.entries(after=after)
    assert entry.action == "reporting.figures"
    assert entry.resource == "/api/reporting/figures?directorate=police&year=2024"
    assert entry.tenant == "police"
    assert entry.name == "Demo reporting officer"


@pytest.mark.parametrize("path", ROUTES)
def test_each_reporting_read_leaves_one_entry_naming_it(reporting: Reporting, path: str) -> None:
    """The vocabularies were served unrecorded (probe 12): every read is in the log."""
    last = reporting.access.entries(limit=1000)
    after = last[-1].id if last else 0

    assert reporting.get(path).status_code == 200

    (entry,) = reporting.access.entries(after=after)
    assert entry.resource == path
    name = path.removeprefix("/api/reporting/").split("/")[0]
    assert entry.action == f"reporting.{name}"


class BrokenAccessLog:
    """An access log whose database is away."""

    def setup(self) -> None: ...

    def record(self, principal: Principal, action: str, resource: str, tenant: str | None) -> None:
        raise AccessLogError("the access log could not record it")

    def dispose(self) -> None: ...


def test_a_read_the_access_log_cannot_record_is_not_served(reporting: Reporting) -> None:
    working = reporting.service.access
    reporting.service.access = BrokenAccessLog()
    try:
        response = reporting.get("/api/reporting/figures")
    finally:
        reporting.service.access = working

    assert response.status_code == 503  # not the caller's fault: retry once the log is back
    assert response.headers["content-type"] == "application/problem+json"
    assert "cells" not in response.text


def test_answers_state_rule_and_positions_per_directorate(reporting: Reporting) -> None:
    for path in ROUTES[:5]:
        body = reporting.get(path).json()

        assert set(body["positions"]) == set(TENANTS), path
        assert all(p > 0 for p in body["positions"].values()), path
        assert body["counting_rule"]["fr"], path
        assert body["counting_rule"]["en"], path


def test_bad_filters_are_problems_naming_the_field(reporting: Reporting) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"theme": "cyber"}, "theme"),
        ({"type": "party"}, "type"),
        ({"directorate": "customs"}, "directorate"),
        ({"group_by": "post"}, "group_by"),
        ({"country": "UK"}, "country"),  # GB's ISO code: "UK" would answer a zero
        ({"country": "EU"}, "country"),
        ({"country": ["VN", "KH"]}, "country"),  # one value; the last one won, silently
        # Dropped silently: ",," answered the totals, a repeated dimension counted once.
        ({"group_by": "country,,year"}, "group_by"),
        ({"group_by": ",,"}, "group_by"),
        ({"group_by": "country,country"}, "group_by"),
        ({"group_by": ["country", "country"]}, "group_by"),
        # pydantic read these as 2025: only digits are a year.
        ({"year": "2025.0"}, "year"),
        ({"year": "+2025"}, "year"),
        ({"year": " 2025"}, "year"),
    ]
    for params, field in cases:
        response = reporting.get("/api/reporting/figures", **params)
        assert response.status_code == 422, params
        assert response.json()["field"] == field
    for path in ("/api/reporting/agreements/in-force", "/api/reporting/matrix"):
        both = reporting.get(path, year=2024, on="2024-06-01")
        assert (both.status_code, both.json()["field"]) == (422, "on"), path
        for far in ("0001-01-01", "9999-12-31"):  # as year: 1900 to 2200
            assert reporting.get(path, on=far).json()["rule"] == "range", (path, far)
        instant = reporting.get(path, on="2024-06-01T00:00:00")  # a day: no time dropped
        assert (instant.status_code, instant.json()["field"]) == (422, "on"), path
    assert reporting.get("/api/reporting/overlaps", cursor="").json()["rule"] == "invalid-cursor"
    assert reporting.get("/api/reporting/figures", group_by="").status_code == 200  # totals
    grouped = reporting.get("/api/reporting/figures", group_by=["country", "directorate"])
    assert grouped.status_code == 200, grouped.text  # a list parameter may be repeated


def test_restricted_items_are_counted_but_not_detailed(reporting: Reporting) -> None:
    figures = reporting.get("/api/reporting/figures", country="VN", group_by="country").json()

    assert figures["totals"]["restricted"] == 1  # g1
    assert "Mission g1" not in str(figures)


def _csv(response: httpx.Response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def _xlsx(response: httpx.Response) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    data, about = workbook.worksheets
    rows = list(data.iter_rows(values_only=True))
    header = [str(name) for name in rows[0]]
    context = {str(k): v for k, v in about.iter_rows(values_only=True)}
    return [dict(zip(header, row, strict=True)) for row in rows[1:]], context


def _amount(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value)).quantize(Decimal("0.01"))


def test_figures_exported_as_csv_and_xlsx_read_back_as_the_same_figures(
    reporting: Reporting,
) -> None:
    params: dict[str, Any] = {"year": 2024, "group_by": "country,directorate"}
    answer = reporting.get("/api/reporting/figures", **params).json()
    cells = answer["cells"]
    expected = [
        (c["country"], c["directorate"], c["actions"], _amount(c["budget"].get("EUR")))
        for c in cells
    ]

    as_csv = reporting.get("/api/reporting/figures", format="csv", **params)
    as_xlsx = reporting.get("/api/reporting/figures", format="xlsx", **params)

    assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert as_csv.headers["content-disposition"] == (
        'attachment; filename="entente-figures-group_by-country+directorate-year-2024.csv"'
    )
    assert as_csv.headers["entente-positions"].startswith("police=")
    assert [
        (r["country"], r["directorate"], int(r["actions"]), _amount(r["budget_EUR"]))
        for r in _csv(as_csv)
    ] == expected
    assert as_xlsx.headers["content-type"] == XLSX
    assert as_xlsx.headers["content-disposition"].endswith('-year-2024.xlsx"')
    rows, about = _xlsx(as_xlsx)
    assert [
        (r["country"], r["directorate"], r["actions"], _amount(r["budget_EUR"])) for r in rows
    ] == expected
    assert about["filter.year"] == "2024"
    assert int(about["position.police"]) > 0
    assert about["counting_rule.fr"].startswith("Actions")
    # The totals count each action once; the rows (an action in each of its countries) may
    # add up to more: the file gives them, as the JSON answer does.
    assert int(about["totals.actions"]) == answer["totals"]["actions"]
    assert int(about["totals.restricted"]) == answer["totals"]["restricted"]
    for currency, amount in answer["totals"]["budget"].items():
        assert about[f"totals.budget.{currency}"] == amount


@pytest.mark.parametrize(
    ("path", "items", "key"),
    [
        ("/api/reporting/matrix", "rows", ("directorate", "country", "theme", "actions")),
        ("/api/reporting/agreements/in-force", "countries", ("country", "in_force")),
    ],
)
def test_matrix_and_agreements_export_the_rows_of_their_answer(
    reporting: Reporting, path: str, items: str, key: tuple[str, ...]
) -> None:
    answer = reporting.get(path, year=2024).json()[items]
    expected = [tuple(str(item[k]) for k in key) for item in answer]

    from_csv = [
        tuple(row[k] for k in key) for row in _csv(reporting.get(path, format="csv", year=2024))
    ]
    rows, _ = _xlsx(reporting.get(path, format="xlsx", year=2024))

    assert expected
    assert from_csv == expected
    assert [tuple(str(row[k]) for k in key) for row in rows] == expected


def test_a_file_asked_in_french_titles_its_columns_and_names_its_codes(
    reporting: Reporting,
) -> None:
    """Reporting staff read "Viêt Nam" and "Formation", not ``VN`` and ``training-course``;
    the figures are the same as in the file of codes, row for row."""
    params: dict[str, Any] = {"year": 2024, "group_by": "country,mission_type,theme"}
    coded = _csv(reporting.get("/api/reporting/figures", format="csv", **params))

    french = reporting.get("/api/reporting/figures", format="csv", lang="fr", **params)
    rows, about = _xlsx(reporting.get("/api/reporting/figures", format="xlsx", lang="en", **params))

    assert french.headers["content-disposition"].endswith('-lang-fr-year-2024.csv"')
    named = _csv(french)
    assert list(named[0]) == [
        "Pays",
        "Type d'action",
        "Thème",
        "Actions",
        "Dont diffusion restreinte",
        *[f"Budget ({c.removeprefix('budget_')})" for c in coded[0] if c.startswith("budget_")],
        *[
            f"Coût réel ({c.removeprefix('actual_cost_')})"
            for c in coded[0]
            if c.startswith("actual_cost_")
        ],
    ]
    assert [(r["Pays"], r["Actions"]) for r in named] == [
        (country(r["country"]).name_fr, r["actions"]) for r in coded
    ]
    assert {r["Type d'action"] for r in named} == {
        LABELS[MissionType(r["mission_type"])].fr for r in coded
    }
    assert "Viêt Nam" in {r["Pays"] for r in named}
    assert [(r["Country"], r["Theme"], str(r["Actions"])) for r in rows] == [
        (country(r["country"]).name_en, LABELS[Theme(r["theme"])].en, r["actions"]) for r in coded
    ]
    assert about["filter.lang"] == "en"


def test_an_overlaps_file_in_french_names_both_missions(reporting: Reporting) -> None:
    coded = _csv(reporting.get("/api/reporting/overlaps", format="csv"))
    named = _csv(reporting.get("/api/reporting/overlaps", format="csv", lang="fr"))

    assert len(named) == len(coded) >= 4
    first = named[0]
    assert first["Direction (mission 1)"] == DIRECTORATE_NAMES[coded[0]["first_directorate"]][0]
    assert first["Statut (mission 2)"] == LABELS[MissionStatus(coded[0]["second_status"])].fr
    assert first["Thème"] == LABELS[Theme(coded[0]["theme"])].fr
    # Flags are said, not "False" (probe 12).
    flags = {r["Dont diffusion restreinte (mission 1)"] for r in named}
    assert flags <= {"oui", "non"}
    assert flags


def test_files_in_french_or_english_name_the_directorates(reporting: Reporting) -> None:
    """Headers read "Direction : civil-protection" and cells "police" (probe 12)."""
    params: dict[str, Any] = {"year": 2024, "format": "csv"}
    in_force = _csv(reporting.get("/api/reporting/agreements/in-force", lang="fr", **params))
    matrix = _csv(
        reporting.get("/api/reporting/figures", lang="en", group_by="directorate", **params)
    )

    headers = [h for h in in_force[0] if h.startswith("Direction : ")]
    assert headers
    assert {h.removeprefix("Direction : ") for h in headers} <= {
        french for french, _ in DIRECTORATE_NAMES.values()
    }
    directorates = {r["Directorate"] for r in matrix}
    assert directorates
    assert directorates <= {english for _, english in DIRECTORATE_NAMES.values()}


def test_a_language_is_a_file_s_and_refused_with_json(reporting: Reporting) -> None:
    refused = reporting.get("/api/reporting/figures", lang="fr")
    unknown = reporting.get("/api/reporting/figures", format="csv", lang="de")

    assert (refused.status_code, refused.json()["field"], refused.json()["rule"]) == (
        422,
        "lang",
        "file-only",
    )
    assert (unknown.status_code, unknown.json()["type"].rsplit("/", 1)[-1]) == (
        422,
        "invalid-input",
    )


def test_an_overlaps_file_takes_no_cursor_and_no_limit(reporting: Reporting) -> None:
    """A file from a page's cursor on held the rest of the list, named as the whole of it;
    a limit was ignored (every overlap came), and a parameter is refused, never ignored."""
    cursor = reporting.get("/api/reporting/overlaps", limit=1).json()["next_cursor"]
    assert cursor is not None

    for fmt in ("csv", "xlsx"):
        refused = reporting.get("/api/reporting/overlaps", cursor=cursor, format=fmt)
        assert (refused.status_code, refused.json()["field"]) == (422, "cursor")
        limited = reporting.get("/api/reporting/overlaps", limit=5, format=fmt)
        assert (limited.status_code, limited.json()["field"]) == (422, "limit")
        assert limited.json()["detail"] == (
            "a file holds every overlap the filters select: no limit"
        )


def test_an_overlaps_file_holds_every_overlap_not_a_page(reporting: Reporting) -> None:
    page = reporting.get("/api/reporting/overlaps", limit=1).json()

    rows = _csv(reporting.get("/api/reporting/overlaps", format="csv"))

    assert page["next_cursor"] is not None
    assert len(rows) == page["total"] >= 4
    assert {(r["country"], r["first_directorate"], r["second_directorate"]) for r in rows} >= {
        ("VN", "gendarmerie", "police")
    }


def test_an_overlaps_cursor_made_by_hand_is_refused_not_a_500(reporting: Reporting) -> None:
    real = reporting.get("/api/reporting/overlaps", limit=1).json()["next_cursor"]
    hand_made = ["overlaps", "2024-03-08", "VN", "cybercrime", "gendarmerie", "x", "police", "y"]
    plain = base64.urlsafe_b64encode(json.dumps(hand_made).encode()).decode().rstrip("=")
    flipped = real[:-2] + ("A" if real[-2] != "A" else "B") + real[-1]

    assert reporting.get("/api/reporting/overlaps", limit=1, cursor=real).status_code == 200
    for forged in (plain, flipped, real[:20], "%%%"):
        refused = reporting.get("/api/reporting/overlaps", cursor=forged)
        assert (refused.status_code, refused.json()["rule"]) == (422, "invalid-cursor"), forged


@pytest.mark.parametrize("beyond", [1, 2**31 - 1, 2**31, 2**63 - 1])
def test_an_alerts_cursor_beyond_the_last_alert_is_refused_not_an_empty_page(
    reporting: Reporting, beyond: int
) -> None:
    """It read an empty page whose ``next_after`` was the cursor itself: a subscriber with
    a mistyped (or another installation's) cursor silently skipped every alert raised
    until the feed caught up. The sequence is a 32-bit column: larger numbers were a 500."""
    last = 0
    while page := reporting.get("/api/reporting/alerts", after=last, limit=500).json()["items"]:
        last = page[-1]["seq"]
    at_the_end = reporting.get("/api/reporting/alerts", after=last)
    refused = reporting.get("/api/reporting/alerts", after=min(last + beyond, 2**63 - 1))

    assert at_the_end.status_code == 200, at_the_end.text
    assert (at_the_end.json()["items"], at_the_end.json()["next_after"]) == ([], last)
    assert refused.status_code == 422, refused.text
    assert (refused.json()["field"], refused.json()["rule"]) == ("after", "beyond-last")
    assert f"beyond the last alert ({last})" in refused.json()["detail"]
    assert reporting.get("/api/reporting/alerts", after=2**63).status_code == 422


def test_the_status_shows_the_projector_and_the_positions(reporting: Reporting) -> None:
    status = reporting.get("/api/reporting/status").json()

    assert status["running"] is True
    assert status["stopped_by_error"] is False
    assert set(status["positions"]) == set(TENANTS)


#: JSON answers of every kind: each grouping, a typed matrix (null agreement counts),
#: a year's agreements, one-item pages of overlaps and alerts (restricted pairs too).
ANSWERS: list[tuple[str, dict[str, Any]]] = [
    ("/api/reporting/figures", {}),
    ("/api/reporting/figures", {"group_by": ""}),
    ("/api/reporting/figures", {"group_by": "directorate,theme", "country": "VN"}),
    ("/api/reporting/figures", {"year": 2025, "type": "seminar"}),
    ("/api/reporting/matrix", {}),
    ("/api/reporting/matrix", {"type": "seminar"}),
    ("/api/reporting/matrix", {"year": 2025, "directorate": "police"}),
    ("/api/reporting/agreements/in-force", {}),
    ("/api/reporting/agreements/in-force", {"year": 2020, "country": "VN"}),
    ("/api/reporting/vocabularies", {}),
    ("/api/reporting/status", {}),
]


def test_every_json_answer_is_what_the_document_states(reporting: Reporting) -> None:
    """Each reporting operation's 200 schema is closed: a field it does not name, a
    null where it promises a count, or a number where it promises a string fails."""
    document = reporting.client.get("/api/reporting/openapi.json").json()

    def check(path: str, params: dict[str, Any]) -> dict[str, Any]:
        answer = reporting.get(path, **params)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        content = document["paths"][path]["get"]["responses"]["200"]["content"]
        validator = Draft202012Validator(
            content["application/json"]["schema"], format_checker=FormatChecker()
        )
        errors = [f"{list(e.path)}: {e.message}"[:300] for e in validator.iter_errors(body)]
        assert not errors, f"{path} {params}: " + "\n".join(errors[:5])
        return body

    for path, params in ANSWERS:
        check(path, params)
    seen: list[dict[str, Any]] = []
    cursor: dict[str, Any] = {}
    while True:
        page = check("/api/reporting/overlaps", {"limit": 1, **cursor})
        seen += page["items"]
        if page["next_cursor"] is None:
            break
        cursor = {"cursor": page["next_cursor"]}
    alerts: list[dict[str, Any]] = []
    after = 0
    while items := check("/api/reporting/alerts", {"after": after, "limit": 1})["items"]:
        alerts += items
        after = items[-1]["seq"]

    # Restricted overlaps and alerts: tests/reporting/test_overlaps.py.
    assert len(seen) >= 4
    assert len(alerts) >= len(seen)


def test_probes_are_open(reporting: Reporting) -> None:
    assert reporting.get("/healthz", None).status_code == 200
    assert reporting.get("/readyz", None).status_code == 200
    # Beside the tenant services only /api/reporting/... reaches it (was a 404 there).
    assert reporting.get("/api/reporting/healthz", None).status_code == 200
    assert reporting.get("/api/reporting/readyz", None).status_code == 200
    assert reporting.get("/api/reporting/status").json()["failing"] is False


def test_the_embedded_default_keeps_reporting_in_one_sqlite_file(reporting: Reporting) -> None:
    store = reporting.service.store
    if isinstance(store, PostgresReportingStore):
        assert store.schema.endswith("_entente_reporting")
    else:
        assert isinstance(store, SqliteReportingStore)
        assert store.path == reporting.service.settings.data_dir / "reporting.sqlite3"
