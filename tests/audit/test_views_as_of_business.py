"""The views as of a past business time, for auditors (domain.md: "the state of any record
or view as of a past recorded time or business time"; only records had the second).

What is now known to have been true then: each record's events dated at or before
``at``, whenever recorded. An amendment recorded after a suspension but dated before
it, and a correction dated back, count from their own dates; a record whose events
dated then cannot be applied without the ones left out is named, not shown.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi.testclient import TestClient

from services.audit.app import create_app
from services.audit.bootstrap import AuditService, bootstrap
from shared.application.ledger import CooperationLedger
from shared.audit.settings import AuditSettings
from shared.domain.agreement import Agreement
from shared.domain.context import CommandContext
from tests.agreements import signed_agreement

from .support import RECORDER

TODAY = date(2024, 1, 31)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[AuditService]:
    settings = AuditSettings(data_dir=tmp_path, tenants=["police"], auth="dev")
    service = bootstrap(settings)
    yield service
    service.stop()


@pytest.fixture
def client(service: AuditService) -> Iterator[TestClient]:
    with TestClient(create_app(service)) as client:
        yield client


@pytest.fixture
def ledger(service: AuditService) -> Iterator[CooperationLedger]:
    ledger = CooperationLedger("police", service.stores["police"])
    yield ledger
    ledger.close()


CTX = CommandContext("police", RECORDER, today=TODAY)


def _sign(ledger: CooperationLedger, reference: str) -> UUID:
    return ledger.create(
        lambda id_: signed_agreement(
            CTX, id_, reference, signed_on=date(2020, 1, 10), today=TODAY, partner_countries=["KH"]
        ),
        None,
    ).record_id


def _change(ledger: CooperationLedger, record: UUID, action: Any) -> None:
    version = ledger.record(Agreement, record).version
    ledger.change(Agreement, record, version, action, None)


def _get(client: TestClient, service: AuditService, path: str, user: str = "auditor") -> Any:
    assert service.issuer is not None
    token = service.issuer.token(user, 600)
    response: httpx.Response = client.get(path, headers={"Authorization": f"Bearer {token}"})
    return response


def _register(client: TestClient, service: AuditService, day: str) -> dict[str, Any]:
    answer = _get(
        client, service, f"/api/audit/police/as-of/business/agreements?at={day}T23:59:59Z"
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    assert body["as_of_business"] == f"{day}T23:59:59+00:00"
    return body


def test_events_count_from_their_business_time_whenever_recorded(
    client: TestClient, service: AuditService, ledger: CooperationLedger
) -> None:
    """Suspended in March 2021; an amendment of May 2020 and a title corrected as of June
    2020 recorded after it: at the end of 2020 the agreement was in force, amended once,
    under the corrected title, though the store holds the suspension before them."""
    record = _sign(ledger, "BT-1")
    _change(ledger, record, lambda a: a.suspend(CTX, date(2021, 3, 1), "Audit"))
    _change(ledger, record, lambda a: a.amend(CTX, date(2020, 5, 1), "Annexe"))
    fixed = {"title": "Accord corrigé"}
    _change(ledger, record, lambda a: a.correct(CTX, fixed, "Coquille", date(2020, 6, 1)))

    end_of_2020 = _register(client, service, "2020-12-31")
    spring_2021 = _register(client, service, "2021-04-01")

    [then] = end_of_2020["items"]
    assert (then["status"], then["title"], then["amendment_count"]) == (
        "in-force",
        "Accord corrigé",
        1,
    )
    assert then["version"] == 4  # the last version applied, version 2 left out
    assert end_of_2020["left_out_records"] == []
    [later] = spring_2021["items"]
    assert (later["status"], later["suspended_on"]) == ("suspended", "2021-03-01")
    assert _register(client, service, "2019-12-31")["items"] == []
    # The recorded axis of the same instant knows nothing yet: it was all recorded today.
    recorded = _get(
        client, service, "/api/audit/police/as-of/recorded/agreements?at=2021-04-01T00:00:00Z"
    )
    assert recorded.json()["items"] == []
    report = _get(
        client,
        service,
        "/api/audit/police/as-of/business/reports/annual/2020?at=2020-12-31T23:59:59Z",
    ).json()
    assert report["agreements"]["in_force_at_year_end"]["total"] == 1
    country = _get(
        client, service, "/api/audit/police/as-of/business/countries/KH?at=2020-12-31T23:59:59Z"
    ).json()
    assert [a["title"] for a in country["agreements"]] == ["Accord corrigé"]


def test_a_record_its_dated_events_cannot_make_is_named_not_shown(
    client: TestClient, service: AuditService, ledger: CooperationLedger
) -> None:
    """A withdrawal dated before the termination it withdraws (as an import of an older
    history could hold it): at a day between them, the withdrawal alone cannot be
    applied, so the views name the record rather than show a state it never had."""
    kept = _sign(ledger, "BT-2")
    odd = _sign(ledger, "BT-3")
    _change(ledger, odd, lambda a: a.terminate(CTX, date(2020, 6, 1), "Erreur"))

    def dated_back(agreement: Agreement) -> None:  # bypasses the command's date rule
        agreement.trigger_event(
            Agreement.StatusChangeWithdrawn,
            withdrawn="terminated_on",
            withdrawn_on=date(2020, 6, 1),
            withdrawn_version=2,
            status="in-force",
            suspended_on=None,
            reason="Reprise",
            **CTX.meta(date(2020, 3, 1), agreement.classification),
        )

    _change(ledger, odd, dated_back)

    spring = _register(client, service, "2020-04-01")

    assert [a["id"] for a in spring["items"]] == [str(kept)]
    [left_out] = spring["left_out_records"]
    assert (left_out["id"], left_out["type"]) == (str(odd), "agreement")
    assert "(status-change-withdrawn) cannot be applied" in left_out["why"]
    assert "Error" not in left_out["why"]  # the apply()'s Python error is not shown
    own = _get(
        client, service, f"/api/audit/police/records/{odd}/as-of/business?at=2020-04-01T00:00:00Z"
    )
    assert own.status_code == 409
    summer = _register(client, service, "2020-07-01")
    assert {a["id"]: a["status"] for a in summer["items"]} == {
        str(kept): "in-force",
        str(odd): "in-force",
    }
    assert summer["left_out_records"] == []


def test_views_as_of_a_business_time_are_for_auditors_and_each_read_is_recorded(
    client: TestClient, service: AuditService, ledger: CooperationLedger
) -> None:
    _sign(ledger, f"BT-{uuid4().hex[:6]}")
    path = "/api/audit/police/as-of/business/missions?at=2020-02-01T00:00:00Z"

    refused = _get(client, service, path, user="police-reader")
    served = _get(client, service, path)
    log = _get(client, service, "/api/audit/access-log?limit=1000").json()["items"]

    assert refused.status_code == 403
    assert served.status_code == 200, served.text
    assert (served.json()["items"], served.json()["left_out_records"]) == ([], [])
    assert [e["action"] for e in log].count("audit.view-as-of-business") == 1


def test_a_record_whose_first_event_is_dated_after_a_later_one_is_named(
    client: TestClient, service: AuditService, ledger: CooperationLedger
) -> None:
    """Signed in June 2020, amended as of March (as an older import could hold it): in
    April the record did not exist yet, though an event of it is dated then."""
    record = ledger.create(
        lambda id_: signed_agreement(CTX, id_, "BT-4", signed_on=date(2020, 6, 1), today=TODAY),
        None,
    ).record_id

    def dated_back(agreement: Agreement) -> None:  # bypasses the command's date rule
        agreement.trigger_event(
            Agreement.Amended,
            amended_on=date(2020, 3, 1),
            summary="Reprise",
            **CTX.meta(date(2020, 3, 1), agreement.classification),
        )

    _change(ledger, record, dated_back)

    april = _register(client, service, "2020-04-01")

    assert april["items"] == []
    [left_out] = april["left_out_records"]
    assert left_out["id"] == str(record)
    assert "did not exist yet" in left_out["why"]
