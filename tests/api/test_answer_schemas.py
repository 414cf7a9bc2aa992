"""The views' answers, on the realistic sample data, are what the OpenAPI document states.

The contract tests generate requests against a few records; here every list page,
country file and annual report of the sample data (three directorates, hundreds of
records with budgets, costs, restricted items, closed posts, withdrawn steps...) is
validated against the 200 schema its operation states, which is closed: a field the
document does not name, a null where it promises a value, or a number where it
promises a string fails.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator, FormatChecker

from shared.auth.dev_issuer import DevIssuer
from shared.cli.main import platform_app
from shared.settings import Settings

TENANTS = ("police", "gendarmerie", "civil-protection")
LISTS = ("agreements", "missions", "missions/awaiting-validation", "delegations", "posts")


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        data_dir=Path(tmp_path_factory.mktemp("answers")),
        store="sqlite",
        auth="dev",
        sample_data=True,
    )


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(platform_app(settings)) as client:
        yield client


@pytest.fixture(scope="module")
def headers(settings: Settings, client: TestClient) -> dict[str, dict[str, str]]:
    issuer = DevIssuer(settings.data_dir, settings.issuer, settings.audience, settings.tenants)
    return {t: {"Authorization": f"Bearer {issuer.token(f'{t}-reader', 3600)}"} for t in TENANTS}


@pytest.fixture(scope="module")
def stated(client: TestClient) -> dict[str, Any]:
    """The 200 schema of each GET operation of the tenants' document, by path."""
    document = client.get("/openapi.json").json()
    return {
        path: item["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        for path, item in document["paths"].items()
        if "get" in item
    }


def _caught_up(client: TestClient, tenant: str, headers: dict[str, str]) -> int:
    """The views' position once the embedded projector has projected the sample data:
    unchanged over a second (the reads below wait for it)."""
    seen: list[int] = []
    for _ in range(120):
        answer = client.get(f"/api/{tenant}/views/position", headers=headers)
        seen.append(int(answer.json()["position"]))
        if len(seen) >= 5 and seen[-1] > 0 and len(set(seen[-5:])) == 1:
            return seen[-1]
        time.sleep(0.25)
    raise AssertionError(f"the {tenant} views were still moving after 30 s: {seen[-5:]}")


def _check(stated: dict[str, Any], path: str, answer: Any) -> None:
    assert answer.status_code == 200, answer.text
    validator = Draft202012Validator(stated[path], format_checker=FormatChecker())
    errors = sorted(validator.iter_errors(answer.json()), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}"[:300] for e in errors[:5])


@pytest.mark.parametrize("tenant", TENANTS)
def test_every_list_page_country_file_and_report_is_what_the_document_states(
    client: TestClient,
    headers: dict[str, dict[str, str]],
    stated: dict[str, Any],
    tenant: str,
) -> None:
    auth = headers[tenant]
    position = _caught_up(client, tenant, auth)
    countries: set[str] = set()
    items = 0
    for name in LISTS:
        cursor: str | None = None
        while True:
            query = f"limit=200&min_position={position}" + (f"&cursor={cursor}" if cursor else "")
            answer = client.get(f"/api/{tenant}/{name}?{query}", headers=auth)
            _check(stated, f"/api/{{tenant}}/{name}", answer)
            page = answer.json()
            items += len(page["items"])
            for item in page["items"]:
                countries.update(item.get("countries") or item.get("partner_countries") or [])
                countries.update(item.get("covered_countries") or [])
            cursor = page["next_cursor"]
            if cursor is None:
                break
    _check(
        stated,
        "/api/{tenant}/views/position",
        client.get(f"/api/{tenant}/views/position", headers=auth),
    )
    for country in sorted(countries):
        answer = client.get(f"/api/{tenant}/countries/{country}", headers=auth)
        _check(stated, "/api/{tenant}/countries/{country}", answer)
    _check(
        stated,
        "/api/{tenant}/vocabularies",
        client.get(f"/api/{tenant}/vocabularies", headers=auth),
    )
    for year in range(2005, 2027):
        answer = client.get(f"/api/{tenant}/reports/annual/{year}", headers=auth)
        _check(stated, "/api/{tenant}/reports/annual/{year}", answer)

    assert items > 20  # the sample data filled the lists
    assert len(countries) > 5


def test_reporting_s_answers_on_the_sample_data_are_what_its_document_states(
    settings: Settings, client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    """The consolidated figures, matrix, agreements, overlaps and alerts of the sample
    data (which holds two overlaps of police and gendarmerie) against reporting's own
    document; every page of overlaps and alerts."""
    positions = {t: _caught_up(client, t, headers[t]) for t in TENANTS}
    issuer = DevIssuer(settings.data_dir, settings.issuer, settings.audience, settings.tenants)
    auth = {"Authorization": f"Bearer {issuer.token('reporting', 3600)}"}
    for _ in range(120):  # reporting reads the directorates' logs in the background
        status = client.get("/api/reporting/status", headers=auth).json()
        if status["positions"] == positions:
            break
        time.sleep(0.25)
    document = client.get("/api/reporting/openapi.json").json()
    stated = {
        path: item["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        for path, item in document["paths"].items()
        if path.startswith("/api/reporting/")
    }

    def read(name: str, query: str = "") -> Any:
        answer = client.get(f"/api/reporting/{name}?{query}", headers=auth)
        _check(stated, f"/api/reporting/{name}", answer)
        return answer.json()

    for year in ("", "year=2013", "year=2025"):
        read("figures", year)
        read("figures", f"group_by=directorate&{year}")
        read("matrix", year)
        read("agreements/in-force", year)
    read("matrix", "type=training-course")
    read("vocabularies")
    read("status")
    overlaps = read("overlaps", "limit=1")
    cursor = overlaps["next_cursor"]
    while cursor is not None:
        cursor = read("overlaps", f"limit=1&cursor={cursor}")["next_cursor"]
    alerts = read("alerts", "limit=1")["items"]
    while alerts:
        alerts = read("alerts", f"limit=1&after={alerts[-1]['seq']}")["items"]

    assert overlaps["total"] >= 2  # the sample data's two police-gendarmerie overlaps
