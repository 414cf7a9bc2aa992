"""Record reads and the audit's views as of a time, on the sample data, are what the
OpenAPI documents state.

``test_answer_schemas`` holds the directorates' lists to their closed schemas; the
record reads and the audit's views as of a recorded or business time were still
stated as open objects. Here every record the sample data's lists name (three
directorates, every collection) is read with its history, and the audit service's
lists, country files and annual reports are read on both axes at a few instants,
each answer validated against the 200 schema its operation states. Those schemas
are closed: a field the document does not name, a null where it promises a value,
or a number where it promises a string fails.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator, FormatChecker

from services.audit.app import create_app
from services.audit.bootstrap import AuditService, bootstrap
from shared.application.ledger import CooperationLedger
from shared.audit.settings import AuditSettings
from shared.auth.dev_issuer import DevIssuer
from shared.cli.main import platform_app
from shared.domain.agreement import Agreement
from shared.domain.context import CommandContext
from shared.settings import Settings
from tests.agreements import signed_agreement
from tests.audit.support import RECORDER

TENANTS = ("police", "gendarmerie", "civil-protection")
COLLECTIONS = ("agreements", "missions", "delegations", "posts")
AXES = ("recorded", "business")
#: Before most of the sample data's business dates, amid them, and now (``_now``).
INSTANTS = ("2015-01-01T00:00:00Z", "2020-06-30T12:00:00Z")
YEARS = (2012, 2016, 2020)
#: One record in this many of each collection is also read through the audit.
AUDITED_EVERY = 4
#: How many of the countries an instant's lists name get their country file read.
COUNTRY_FILES = 4

Validators = dict[str, Draft202012Validator]


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        data_dir=Path(tmp_path_factory.mktemp("records")),
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
    """Each directorate's reader, and the auditor, by user name."""
    issuer = DevIssuer(settings.data_dir, settings.issuer, settings.audience, settings.tenants)
    users = [f"{t}-reader" for t in TENANTS] + ["auditor"]
    return {u: {"Authorization": f"Bearer {issuer.token(u, 3600)}"} for u in users}


@pytest.fixture(scope="module")
def tenant_stated(client: TestClient) -> Validators:
    return _stated(client.get("/openapi.json").json())


@pytest.fixture(scope="module")
def audit_stated(client: TestClient) -> Validators:
    return _stated(client.get("/api/audit/openapi.json").json())


def _stated(document: dict[str, Any]) -> Validators:
    """A validator of the 200 schema of each GET operation of ``document``, by path; a
    ``$ref`` (a response model's) resolves in the document's components."""
    components = document.get("components", {})
    return {
        path: Draft202012Validator(
            {
                **item["get"]["responses"]["200"]["content"]["application/json"]["schema"],
                "components": components,
            },
            format_checker=FormatChecker(),
        )
        for path, item in document["paths"].items()
        if "get" in item
    }


def _check(stated: Validators, path: str, answer: Any) -> Any:
    """``answer``'s body, once it is a 200 and what ``path``'s operation states."""
    assert answer.status_code == 200, f"{answer.request.url}: {answer.text[:300]}"
    body = answer.json()
    errors = sorted(stated[path].iter_errors(body), key=lambda e: list(e.path))
    assert not errors, f"{answer.request.url}\n" + "\n".join(
        f"{list(e.path)}: {e.message}"[:300] for e in errors[:5]
    )
    return body


def _caught_up(client: TestClient, tenant: str, headers: dict[str, str]) -> int:
    """The views' position once the embedded projector has projected the sample data:
    unchanged over a second (the lists below name every record)."""
    seen: list[int] = []
    for _ in range(120):
        answer = client.get(f"/api/{tenant}/views/position", headers=headers)
        seen.append(int(answer.json()["position"]))
        if len(seen) >= 5 and seen[-1] > 0 and len(set(seen[-5:])) == 1:
            return seen[-1]
        time.sleep(0.25)
    raise AssertionError(f"the {tenant} views were still moving after 30 s: {seen[-5:]}")


def _pages(
    client: TestClient, stated: Validators, path: str, url: str, auth: dict[str, str]
) -> Iterator[dict[str, Any]]:
    """Every page of a list, each checked against ``path``'s schema."""
    cursor: str | None = None
    while True:
        query = "limit=200" + (f"&cursor={cursor}" if cursor else "")
        page: dict[str, Any] = _check(stated, path, client.get(f"{url}&{query}", headers=auth))
        yield page
        cursor = page["next_cursor"]
        if cursor is None:
            return


def _countries(item: dict[str, Any]) -> set[str]:
    """The countries a list item names (partners, a mission's, a visit's, a post's)."""
    found: set[str] = set()
    for name in ("partner_countries", "countries", "covered_countries"):
        found.update(item.get(name) or [])
    for name in ("country", "host_country"):
        if item.get(name):
            found.add(item[name])
    return found


@pytest.mark.parametrize("tenant", TENANTS)
def test_every_record_read_and_its_history_is_what_the_document_states(
    client: TestClient,
    headers: dict[str, dict[str, str]],
    tenant_stated: Validators,
    audit_stated: Validators,
    tenant: str,
) -> None:
    auth = headers[f"{tenant}-reader"]
    position = _caught_up(client, tenant, auth)
    read: dict[str, int] = {}
    for collection in COLLECTIONS:
        read[collection] = 0
        url = f"/api/{tenant}/{collection}?min_position={position}"
        for page in _pages(client, tenant_stated, f"/api/{{tenant}}/{collection}", url, auth):
            for item in page["items"]:
                path = f"/api/{{tenant}}/{collection}/{{record_id}}"
                record = _check(
                    tenant_stated,
                    path,
                    client.get(f"/api/{tenant}/{collection}/{item['id']}", headers=auth),
                )
                history = _check(
                    tenant_stated,
                    f"{path}/history",
                    client.get(f"/api/{tenant}/{collection}/{item['id']}/history", headers=auth),
                )
                assert record["id"] == history["id"] == item["id"]
                assert record["version"] == history["version"]
                read[collection] += 1
                if read[collection] % AUDITED_EVERY == 1:
                    _audited(client, audit_stated, headers["auditor"], tenant, record)

    assert sum(read.values()) > 20, read  # the sample data filled the lists


def _audited(
    client: TestClient,
    stated: Validators,
    auth: dict[str, str],
    tenant: str,
    record: dict[str, Any],
) -> None:
    """The audit's history of ``record`` and its state as of now on both axes: stated, and
    the same state as the record read's, without the read's metadata."""
    base = f"/api/audit/{tenant}/records/{record['id']}"
    path = "/api/audit/{tenant}/records/{record_id}"
    history = _check(stated, f"{path}/history", client.get(f"{base}/history", headers=auth))
    for axis in AXES:
        found = _check(
            stated,
            f"{path}/as-of/{axis}",
            client.get(f"{base}/as-of/{axis}?at={_now()}", headers=auth),
        )
        assert found["state"] == history["state"]
    shown = {
        k: v for k, v in record.items() if k not in ("id", "version", "created_on", "modified_on")
    }
    assert {k: v for k, v in history["state"].items() if k in shown} == shown


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize("tenant", TENANTS)
def test_every_view_as_of_a_time_is_what_the_audit_document_states(
    client: TestClient,
    headers: dict[str, dict[str, str]],
    audit_stated: Validators,
    tenant: str,
) -> None:
    _caught_up(client, tenant, headers[f"{tenant}-reader"])  # the sample data is all in
    auth = headers["auditor"]
    listed: dict[tuple[str, str], int] = {}
    instants = (*INSTANTS, _now())
    for at in instants:
        for axis in AXES:
            base = f"/api/audit/{tenant}/as-of/{axis}"
            countries: set[str] = set()
            items = 0
            for view in COLLECTIONS:
                path = f"/api/audit/{{tenant}}/as-of/{axis}/{view}"
                for page in _pages(client, audit_stated, path, f"{base}/{view}?at={at}", auth):
                    items += len(page["items"])
                    for item in page["items"]:
                        countries.update(_countries(item))
            listed[at, axis] = items
            for country in sorted(countries)[:COUNTRY_FILES] or ["VN"]:
                _check(
                    audit_stated,
                    f"/api/audit/{{tenant}}/as-of/{axis}/countries/{{country}}",
                    client.get(f"{base}/countries/{country}?at={at}", headers=auth),
                )
            for year in (*YEARS, int(at[:4])):
                _check(
                    audit_stated,
                    f"/api/audit/{{tenant}}/as-of/{axis}/reports/annual/{{year}}",
                    client.get(f"{base}/reports/annual/{year}?at={at}", headers=auth),
                )

    # The lists held records now, and records dated back in 2020: not only empty pages
    # (as of a past recorded time they are empty: the sample data is recorded at start).
    assert listed[instants[-1], "recorded"] > 20, listed
    assert listed[INSTANTS[1], "business"] > 0, listed


def test_a_record_left_out_as_of_a_business_time_is_stated_too(tmp_path: Path) -> None:
    """The sample data has no record whose events dated at an instant cannot be applied
    alone; one is made here (a withdrawal dated before the termination it withdraws, as
    an import of an older history could hold it), and named in ``left_out_records``."""
    today = date(2024, 1, 31)
    ctx = CommandContext("police", RECORDER, today=today)
    service: AuditService = bootstrap(
        AuditSettings(data_dir=tmp_path, tenants=["police"], auth="dev")
    )
    try:
        ledger = CooperationLedger("police", service.stores["police"])
        odd = ledger.create(
            lambda id_: signed_agreement(
                ctx, id_, "LO-1", signed_on=date(2020, 1, 10), today=today
            ),
            None,
        ).record_id
        _change(ledger, odd, lambda a: a.terminate(ctx, date(2020, 6, 1), "Erreur"))

        def dated_back(agreement: Agreement) -> None:  # bypasses the command's date rule
            agreement.trigger_event(
                Agreement.StatusChangeWithdrawn,
                withdrawn="terminated_on",
                withdrawn_on=date(2020, 6, 1),
                withdrawn_version=2,
                status="in-force",
                suspended_on=None,
                reason="Reprise",
                **ctx.meta(date(2020, 3, 1), agreement.classification),
            )

        _change(ledger, odd, dated_back)
        ledger.close()
        assert service.issuer is not None
        auth = {"Authorization": f"Bearer {service.issuer.token('auditor', 600)}"}
        with TestClient(create_app(service)) as client:
            stated = _stated(client.get("/api/audit/openapi.json").json())
            base = "/api/audit/police/as-of/business"
            at = "at=2020-04-01T00:00:00Z"
            for view in COLLECTIONS:
                path = f"/api/audit/{{tenant}}/as-of/business/{view}"
                page = _check(stated, path, client.get(f"{base}/{view}?{at}", headers=auth))
                assert [r["id"] for r in page["left_out_records"]] == [str(odd)]
            _check(
                stated,
                "/api/audit/{tenant}/as-of/business/countries/{country}",
                client.get(f"{base}/countries/VN?{at}", headers=auth),
            )
            _check(
                stated,
                "/api/audit/{tenant}/as-of/business/reports/annual/{year}",
                client.get(f"{base}/reports/annual/2020?{at}", headers=auth),
            )
    finally:
        service.stop()


def _change(ledger: CooperationLedger, record: UUID, action: Any) -> None:
    version = ledger.record(Agreement, record).version
    ledger.change(Agreement, record, version, action, None)
