"""Reporting mounted in the tenant service's process, as ``make run`` serves it.

The tenant app is built by its own composition root; reporting is mounted into
it with ``embedded.mount`` and started beside it, reading the same ledgers
through ``EmbeddedEventLog``. Records made through the tenant API reach the
consolidated figures and the overlaps list; the test waits on the positions
reporting reflects, never on a fixed delay.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.reporting.bootstrap import ReportingService
from services.reporting.embedded import embedded_reporting, mount
from services.tenant.app import create_app
from services.tenant.bootstrap import Platform, bootstrap
from shared.domain.vocabulary import MissionStatus, Theme
from shared.settings import Settings
from tests.api.conftest import CHANGE, CREATE
from tests.api.test_route_policies import routes_without_policy

TENANTS = ["police", "gendarmerie"]


@dataclass
class Served:
    client: TestClient
    platform: Platform
    reporting: ReportingService

    def call(self, method: str, path: str, user: str, **kwargs: Any) -> httpx.Response:
        assert self.platform.issuer is not None
        token = self.platform.issuer.token(user)
        headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
        response: httpx.Response = self.client.request(method, path, headers=headers, **kwargs)
        return response


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("embedded"),
        tenants=TENANTS,
        store="sqlite",
        auth="dev",
        embedded_projector=False,
    )
    platform = bootstrap(settings)
    app = create_app(platform)
    reporting = embedded_reporting(platform.settings, platform.ledgers)
    mount(app, reporting)
    with TestClient(app) as client:
        reporting.start()
        yield Served(client, platform, reporting)
        reporting.stop()
    for ledger in platform.ledgers.values():
        ledger.close()


def _scheduled_mission(served: Served, tenant: str) -> None:
    """A mission requested, validated and scheduled through the tenant API."""
    created = served.call(
        "POST", f"/api/{tenant}/missions", f"{tenant}-recorder", json=CREATE["missions"]
    )
    assert created.status_code == 201, created.text
    path, version = f"/api/{tenant}/missions/{created.json()['id']}", created.json()["version"]
    for segment, role in (("validation", "validator"), ("schedule", "recorder")):
        response = served.call(
            "POST",
            f"{path}/{segment}",
            f"{tenant}-{role}",
            json=CHANGE["missions", segment],
            headers={"If-Match": f'"{version}"'},
        )
        assert response.status_code == 200, response.text
        version = response.json()["version"]


def _wait_until_reporting_reflects_the_ledgers(served: Served, timeout_s: float = 15) -> None:
    wanted = {t: served.platform.ledger(t).position() for t in TENANTS}
    deadline = time.monotonic() + timeout_s
    while True:
        status = served.call("GET", "/api/reporting/status", "reporting").json()
        if all(status["positions"][t] >= wanted[t] for t in TENANTS):
            return
        assert time.monotonic() < deadline, (status, wanted)
        served.reporting.wake()
        time.sleep(0.02)


def test_records_made_through_the_tenant_api_reach_the_consolidated_figures(
    served: Served,
) -> None:
    _scheduled_mission(served, "police")
    _scheduled_mission(served, "gendarmerie")

    _wait_until_reporting_reflects_the_ledgers(served)

    figures = served.call("GET", "/api/reporting/figures?year=2013&group_by=", "reporting")
    overlaps = served.call("GET", "/api/reporting/overlaps?country=KH", "reporting")
    assert figures.json()["totals"]["by_directorate"] == {"gendarmerie": 1, "police": 1}
    (overlap,) = overlaps.json()["items"]
    assert overlap["period"] == {"start": "2013-10-07", "end": "2013-10-18"}
    assert {m["directorate"] for m in overlap["missions"]} == {"police", "gendarmerie"}


def test_the_mounted_routes_win_over_the_tenant_routes_and_keep_their_policies(
    served: Served,
) -> None:
    app = served.client.app
    assert isinstance(app, FastAPI)

    assert routes_without_policy(app) == []
    for path in ("/api/reporting/agreements/in-force", "/api/reporting/overlaps"):
        assert served.call("GET", path, "reporting").status_code == 200, path
    assert served.call("GET", "/api/reporting/figures", "police-reader").status_code == 403
    assert served.call("GET", "/api/police/missions", "reporting").status_code == 403
    paths = served.client.get("/openapi.json").json()["paths"]
    assert "/api/reporting/figures" in paths
    assert "/api/{tenant}/missions" in paths


def test_the_vocabularies_give_each_code_its_labels_and_its_international_code(
    served: Served,
) -> None:
    """Records and figures carry codes; this is their key, in both languages and in the
    codelists reports are exchanged in (probe 8: the mappings were never served)."""
    directorate = served.call("GET", "/api/police/vocabularies", "police-reader")
    consolidated = served.call("GET", "/api/reporting/vocabularies", "reporting")

    assert directorate.status_code == 200
    assert consolidated.json() == directorate.json()
    themes = {theme["code"]: theme for theme in directorate.json()["themes"]}
    assert sorted(themes) == sorted(theme.value for theme in Theme)
    assert themes[Theme.CRISIS_MANAGEMENT.value] == {
        "code": Theme.CRISIS_MANAGEMENT.value,
        "fr": "Gestion de crise et sécurité civile",
        "en": "Crisis management and civil protection",
        "crs_purpose_code": 74020,
    }
    statuses = {s["code"]: s for s in directorate.json()["mission_statuses"]}
    assert statuses[MissionStatus.CANCELLED.value]["iati_activity_status"] == 5
    assert statuses[MissionStatus.LAUNCHED.value]["iati_activity_status"] == 2
    assert served.call("GET", "/api/gendarmerie/vocabularies", "police-reader").status_code == 403
    assert served.call("GET", "/api/reporting/vocabularies", "police-reader").status_code == 403
