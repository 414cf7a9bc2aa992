"""The audit API over HTTP: auditors only, any tenant, both times, and every read recorded.

The service is wired by its real composition root on SQLite; records are
written through the tenants' own ledgers.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.audit.app import create_app
from services.audit.bootstrap import AuditService, bootstrap
from services.audit.main import build
from shared.application.ledger import CooperationLedger
from shared.audit.settings import AuditSettings
from shared.cli import main as cli_main
from shared.settings import Settings
from tests.api.test_route_policies import routes_without_policy

from .support import amend, correct, sign

PROBLEM_JSON = "application/problem+json"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuditService]:
    settings = AuditSettings(
        data_dir=tmp_path_factory.mktemp("audit"), tenants=["police", "gendarmerie"], auth="dev"
    )
    service = bootstrap(settings)
    yield service
    service.stop()


@pytest.fixture(scope="module")
def client(service: AuditService) -> Iterator[TestClient]:
    with TestClient(create_app(service)) as client:
        yield client


@pytest.fixture(scope="module")
def records(service: AuditService) -> dict[str, UUID]:
    """Written by the tenants' own ledgers: the audit's open the stores read-only."""
    police = CooperationLedger("police", service.stores["police"])
    gendarmerie = CooperationLedger("gendarmerie", service.stores["gendarmerie"])
    agreement = sign(police, "FR-VN-2011")
    amend(police, agreement, date(2012, 1, 1), "Extension to Laos")
    correct(police, agreement, date(2011, 12, 20), title="Accord corrigé")
    signed = {"police": agreement, "gendarmerie": sign(gendarmerie, "GN-KH-2013")}
    police.close()
    gendarmerie.close()
    return signed


def _get(
    client: TestClient, service: AuditService, path: str, user: str = "auditor"
) -> httpx.Response:
    assert service.issuer is not None
    token = service.issuer.token(user, 600)
    response: httpx.Response = client.get(path, headers={"Authorization": f"Bearer {token}"})
    return response


def _log(client: TestClient, service: AuditService, **query: Any) -> list[dict[str, Any]]:
    response = _get(client, service, "/api/audit/access-log?limit=1000")
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"  # never kept by a cache
    items: list[dict[str, Any]] = response.json()["items"]
    return [i for i in items if all(i[k] == v for k, v in query.items())]


def test_an_auditor_reads_the_full_history_of_a_record_of_any_tenant(
    client: TestClient, service: AuditService, records: dict[str, UUID]
) -> None:
    police = _get(client, service, f"/api/audit/police/records/{records['police']}/history")
    gendarmerie = _get(
        client, service, f"/api/audit/gendarmerie/records/{records['gendarmerie']}/history"
    )

    assert police.status_code == 200, police.text
    body = police.json()
    assert (body["tenant"], body["type"], body["version"]) == ("police", "agreement", 3)
    events = body["events"]
    assert [e["version"] for e in events] == [1, 2, 3]
    assert [e["recorded_by"]["name"] for e in events] == [
        "Claire Martin",
        "Claire Martin",
        "Jean Dupont",
    ]
    assert [e["business_time"][:10] for e in events] == ["2011-12-09", "2012-01-01", "2011-12-20"]
    assert events[0]["recorded_at"] <= events[1]["recorded_at"] <= events[2]["recorded_at"]
    assert events[2]["changes"] == [
        {"field": "title", "before": "Accord FR-VN-2011", "after": "Accord corrigé"}
    ]
    assert events[2]["data"]["reason"] == "typing error in the register"
    assert body["state"]["title"] == "Accord corrigé"
    assert gendarmerie.status_code == 200
    assert gendarmerie.json()["tenant"] == "gendarmerie"


def test_the_state_as_of_a_recorded_time_and_as_of_a_business_time(
    client: TestClient, service: AuditService, records: dict[str, UUID]
) -> None:
    base = f"/api/audit/police/records/{records['police']}/as-of"
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")

    recorded = _get(client, service, f"{base}/recorded?at={now}")
    business = _get(client, service, f"{base}/business?at=2011-12-31T00:00:00Z")

    assert recorded.status_code == 200, recorded.text
    assert (recorded.json()["axis"], recorded.json()["applied"]) == ("recorded", [1, 2, 3])
    assert business.status_code == 200, business.text
    found = business.json()
    assert (found["axis"], found["applied"], found["left_out"]) == ("business", [1, 3], [2])
    assert (found["state"]["title"], found["state"]["amendments"]) == ("Accord corrigé", [])
    early = _get(client, service, f"{base}/business?at=2011-01-01T00:00:00%2B01:00")
    assert early.status_code == 404
    assert early.headers["content-type"] == PROBLEM_JSON
    naive = _get(client, service, f"{base}/business?at=2011-12-31T00:00:00")
    assert naive.status_code == 422


def test_every_audit_read_is_recorded_with_who_and_what(
    client: TestClient, service: AuditService, records: dict[str, UUID]
) -> None:
    path = f"/api/audit/police/records/{records['police']}/history"
    before = len(_log(client, service, action="audit.history", resource=path))

    assert _get(client, service, path).status_code == 200

    recorded = _log(client, service, action="audit.history", resource=path)
    assert len(recorded) == before + 1
    entry = recorded[-1]
    assert (entry["name"], entry["tenant"]) == ("Demo auditor", "police")
    reads_of_the_log = _log(client, service, action="audit.access-log")
    assert reads_of_the_log  # reading the access log is itself recorded
    assert reads_of_the_log[-1]["resource"] == "/api/audit/access-log?limit=1000"


def test_only_auditors_may_read_and_unknown_things_are_404(
    client: TestClient, service: AuditService, records: dict[str, UUID]
) -> None:
    path = f"/api/audit/police/records/{records['police']}/history"
    before = _log(client, service)

    assert _get(client, service, path, user="police-reader").status_code == 403
    assert _get(client, service, path, user="reporting").status_code == 403
    assert client.get(path).status_code == 401
    assert _get(client, service, "/api/audit/access-log", user="police-recorder").status_code == 403
    assert len(_log(client, service)) == len(before) + 1  # refused calls read nothing
    assert _get(client, service, f"/api/audit/nowhere/records/{uuid4()}/history").status_code == 404
    assert _get(client, service, f"/api/audit/police/records/{uuid4()}/history").status_code == 404
    gendarmerie_record = f"/api/audit/police/records/{records['gendarmerie']}/history"
    assert _get(client, service, gendarmerie_record).status_code == 404  # tenants stay apart


def test_the_access_log_pages_with_a_cursor(
    client: TestClient, service: AuditService, records: dict[str, UUID]
) -> None:
    for _ in range(3):
        _get(client, service, "/api/audit/tenants")

    first = _get(client, service, "/api/audit/access-log?action=audit.tenants&limit=2").json()
    second = _get(
        client,
        service,
        f"/api/audit/access-log?action=audit.tenants&limit=2&after={first['next_cursor']}",
    ).json()

    ids = [i["id"] for i in first["items"] + second["items"]]
    assert len(ids) == len(set(ids)) >= 3
    assert ids == sorted(ids)
    assert second["next_cursor"] is None or second["next_cursor"] > first["next_cursor"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("access-log?since=1700000000", "since"),
        ("access-log?until=31841908289778", "until"),
        ("access-log?until=5.786693233491556e%2B16", "until"),
        ("access-log?since=2026-01-01T00:00:00", "since"),  # no offset
        ("police/records/{record}/as-of/recorded?at=1700000000.5", "at"),
    ],
)
def test_an_instant_is_iso_8601_with_its_offset_never_a_bare_number(
    client: TestClient, service: AuditService, records: dict[str, UUID], query: str, field: str
) -> None:
    # pydantic alone would read 1700000000 as Unix seconds and serve another instant's data.
    path = "/api/audit/" + query.format(record=records["police"])
    response = _get(client, service, path)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["field"].endswith(field)
    ok = _get(client, service, "/api/audit/access-log?since=2026-01-01T00:00:00%2B01:00")
    assert ok.status_code == 200, ok.text


def test_an_access_log_window_ending_before_it_starts_is_refused(
    client: TestClient, service: AuditService
) -> None:
    """It answered an empty page, as if nobody had read anything then."""
    path = "/api/audit/access-log?since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z"

    response = _get(client, service, path)

    assert response.status_code == 422, response.text
    assert (response.json()["field"], response.json()["rule"]) == ("until", "dates-in-order")


@pytest.mark.parametrize(
    "query",
    [
        "since=9999-12-31T23:59:59-14:00",
        "since=0001-01-01T00:00:00%2B01:00",
        "until=9999-12-31T23:59:59-01:00",
        "until=0001-01-01T00:00:00%2B14:00",
        # The as-of states converted ``at`` to UTC only to show the status of its day:
        # a 500 for a record that exists (black-box probe).
        "police/records/{record}/as-of/business?at=9999-12-31T23:59:59-00:01",
        "police/records/{record}/as-of/recorded?at=9999-12-31T23:59:59-14:00",
        "police/records/{record}/as-of/recorded?at=0001-01-01T00:00:00%2B14:00",
    ],
)
def test_an_instant_with_no_utc_form_is_a_422_not_a_server_error(
    client: TestClient, service: AuditService, records: dict[str, UUID], query: str
) -> None:
    """Valid ISO 8601 instants whose UTC form lies outside years 1 to 9999: the
    conversion overflowed, a 500 that also reset the client's connection."""
    if "?" not in query:
        query = f"access-log?{query}"
    response = _get(client, service, "/api/audit/" + query.format(record=records["police"]))

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    name = query.split("?")[1].split("=")[0]
    assert (response.json()["field"], response.json()["rule"]) == (name, "range")


def test_an_instants_format_error_shows_an_instant_the_route_accepts(
    client: TestClient, service: AuditService
) -> None:
    """It said "such as 2024-03-01", which the route then refused for want of an offset."""
    response = _get(client, service, "/api/audit/access-log?since=abc")

    assert response.status_code == 422, response.text
    example = response.json()["detail"].split("such as ")[1]
    assert example == "2024-03-01T09:00:00Z"
    assert _get(client, service, f"/api/audit/access-log?since={example}").status_code == 200


@pytest.mark.parametrize(
    ("query", "said"),
    [
        # A day alone answered "give the instant with its offset": the time was missing too.
        ("police/records/{record}/as-of/business?at=2026-08-19", "a day alone"),
        ("access-log?since=2026-08-19", "a day alone"),
        # +02:00 unencoded reads as a space: "unexpected extra characters".
        ("police/records/{record}/as-of/business?at=2026-08-19T02:00:00+02:00", "%2B"),
        ("access-log?until=2026-08-19T02:00+0200", "%2B"),
    ],
)
def test_an_instant_without_a_time_or_with_its_plus_unencoded_says_what_to_send(
    client: TestClient, service: AuditService, records: dict[str, UUID], query: str, said: str
) -> None:
    path = "/api/audit/" + query.format(record=records["police"])

    response = _get(client, service, path)

    assert response.status_code == 422, response.text
    assert said in response.json()["detail"], response.json()
    fixed = path.replace("+", "%2B") if said == "%2B" else path + "T00:00:00Z"
    assert _get(client, service, fixed).status_code == 200, fixed


def test_a_request_target_longer_than_8_kib_is_a_414(
    client: TestClient, service: AuditService
) -> None:
    response = _get(client, service, "/api/audit/access-log?subject=" + "a" * 9000)

    assert response.status_code == 414, response.text
    assert response.json()["rule"] == "max-bytes"


def test_a_cursor_beyond_64_bits_is_refused_not_a_database_error(
    client: TestClient, service: AuditService
) -> None:
    response = _get(client, service, f"/api/audit/access-log?after={2**63}")

    assert response.status_code == 422, response.text
    assert response.json()["field"] == "after"


def test_every_route_declares_a_policy_and_the_build_accepts_platform_settings(
    client: TestClient, tmp_path: Path
) -> None:
    assert isinstance(client.app, FastAPI)
    assert routes_without_policy(client.app) == []
    settings = Settings(data_dir=tmp_path, tenants=["police"], auth="dev")
    with TestClient(build(settings)) as before:  # the audit reads stores, never makes one
        assert before.get("/api/audit/healthz").json() == {"status": "ok"}
        not_yet = before.get("/api/audit/readyz")
    CooperationLedger("police", settings.event_store("police")).close()  # its service starts
    with TestClient(build(settings)) as fresh:
        assert fresh.get("/api/audit/readyz").json() == {"status": "ready"}  # no positions

    assert not_yet.status_code == 503
    assert "no event store at " in not_yet.json()["detail"]
    assert "its folder: ENTENTE_DATA_DIR" in not_yet.json()["detail"]


def test_the_embedded_server_serves_the_audit_api_beside_the_tenant_service(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, tenants=["police"], auth="dev")
    application = cli_main._service("tenant")(settings)
    cli_main._serve_beside(application, "/api/audit", build(settings))
    with TestClient(application) as client:
        token = client.app.state.platform.issuer.token("auditor", 60)  # type: ignore[attr-defined]
        headers = {"Authorization": f"Bearer {token}"}

        assert client.get("/api/audit/tenants", headers=headers).json() == {"tenants": ["police"]}
        assert client.get("/api/police/missions", headers=headers).status_code == 200
        assert client.get("/api/audit/access-log", headers=headers).json()["items"][0][
            "action"
        ] == ("audit.tenants")


@pytest.mark.parametrize(
    ("query", "field"),
    [("tenant=POLICE", "tenant"), ("action=reporting", "action"), ("action=bogus", "action")],
)
def test_an_access_log_filter_naming_nothing_is_refused(
    client: TestClient, service: AuditService, query: str, field: str
) -> None:
    """An empty page would read as "nobody consulted this"."""
    response = _get(client, service, f"/api/audit/access-log?{query}")

    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
