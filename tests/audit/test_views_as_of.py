"""The views as they stood at a past recorded time, for auditors (probe 8: only records had it).

The audit service replays the store up to ``at`` into scratch views and reads
them with the directorates' own queries. Records are written through the
tenant's own ledger between instants the test notes, so each instant sees a
different state of the same views.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from services.audit.app import create_app
from services.audit.bootstrap import AuditService, bootstrap
from shared.application.ledger import CooperationLedger
from shared.audit.errors import ReplaysQueuedError
from shared.audit.settings import AuditSettings
from shared.audit.views_as_of import AsOfViews, ViewsAsOf, replay_until
from shared.domain.agreement import Agreement
from shared.domain.context import CommandContext
from tests.agreements import signed_agreement

from .support import RECORDER, StoreTamper

SIGNED_ON = date.today() - timedelta(days=40)


def _instant() -> datetime:
    """Now, with the writes on either side strictly before and after it."""
    time.sleep(0.01)
    moment = datetime.now(UTC)
    time.sleep(0.01)
    return moment


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
def instants(service: AuditService) -> dict[str, datetime]:
    """Before anything; after a signing; after its termination (written by the tenant)."""
    ledger = CooperationLedger("police", service.stores["police"])
    ctx = CommandContext("police", RECORDER, today=date.today())
    found = {"before": _instant()}
    record = ledger.create(
        lambda id: signed_agreement(
            ctx, id, "ASOF-1", signed_on=SIGNED_ON, today=date.today(), partner_countries=["KH"]
        ),
        None,
    ).record_id
    found["signed"] = _instant()
    ledger.change(
        Agreement,
        record,
        1,
        lambda a: a.terminate(ctx, SIGNED_ON + timedelta(days=10), "Replaced"),
        None,
    )
    found["terminated"] = _instant()
    ledger.close()
    return found


def _get(client: TestClient, service: AuditService, path: str, user: str = "auditor") -> Any:
    assert service.issuer is not None
    token = service.issuer.token(user, 600)
    response: httpx.Response = client.get(path, headers={"Authorization": f"Bearer {token}"})
    return response


def _at(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def test_the_register_and_a_country_file_as_they_stood_at_each_recorded_time(
    client: TestClient, service: AuditService, instants: dict[str, datetime]
) -> None:
    def register(when: str) -> list[dict[str, Any]]:
        answer = _get(client, service, f"/api/audit/police/as-of/recorded/agreements?at={when}")
        assert answer.status_code == 200, answer.text
        assert answer.json()["as_of_recorded"] == instants_by_text[when].isoformat()
        items: list[dict[str, Any]] = answer.json()["items"]
        return items

    instants_by_text = {_at(moment): moment for moment in instants.values()}
    before, signed, terminated = (_at(instants[k]) for k in ("before", "signed", "terminated"))

    assert register(before) == []
    assert [(a["reference"], a["status"]) for a in register(signed)] == [("ASOF-1", "in-force")]
    assert [a["status"] for a in register(terminated)] == ["terminated"]
    country = _get(client, service, f"/api/audit/police/as-of/recorded/countries/KH?at={signed}")
    assert country.status_code == 200, country.text
    assert [a["reference"] for a in country.json()["agreements"]] == ["ASOF-1"]
    empty = _get(client, service, f"/api/audit/police/as-of/recorded/countries/KH?at={before}")
    assert empty.json()["agreements"] == []


def test_views_as_of_are_for_auditors_only_and_each_read_is_recorded(
    client: TestClient, service: AuditService, instants: dict[str, datetime]
) -> None:
    path = f"/api/audit/police/as-of/recorded/missions?at={_at(instants['signed'])}"

    refused = _get(client, service, path, user="police-reader")
    served = _get(client, service, path)
    log = _get(client, service, "/api/audit/access-log?limit=1000").json()["items"]

    assert refused.status_code == 403
    assert served.status_code == 200
    assert served.json()["items"] == []
    assert [e["action"] for e in log].count("audit.view-as-of-recorded") == 1


@pytest.mark.parametrize(
    ("query", "field"),
    [("at=2026-01-01T00:00:00", "at"), ("at=yesterday", "at"), ("", "at")],
)
def test_an_instant_without_offset_or_missing_is_a_422_naming_at(
    client: TestClient, service: AuditService, query: str, field: str
) -> None:
    answer = _get(client, service, f"/api/audit/police/as-of/recorded/posts?{query}")

    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["field"] == field


def test_a_replay_is_kept_per_instant_and_made_again_once_the_store_moved(
    service: AuditService, instants: dict[str, datetime]
) -> None:
    made: list[datetime] = []

    def counted(ledger: CooperationLedger, at: datetime, directory: Path) -> ViewsAsOf:
        made.append(at)
        return replay_until(ledger, at, directory)

    views = AsOfViews(kept=1)
    ledger = service.ledger("police")
    events = lambda v: v.events  # noqa: E731
    try:
        first = views.read(ledger, instants["signed"], events, counted)
        again = views.read(ledger, instants["signed"], events, counted)
        other = views.read(ledger, instants["terminated"], events, counted)
        back = views.read(ledger, instants["signed"], events, counted)  # evicted (kept=1)
    finally:
        views.close()

    assert (first, again, other, back) == (1, 1, 2, 1)
    assert made == [instants["signed"], instants["terminated"], instants["signed"]]


def test_a_history_that_cannot_be_replayed_is_a_problem_naming_it_not_a_partial_view(
    client: TestClient, service: AuditService, instants: dict[str, datetime]
) -> None:
    ledger = CooperationLedger("police", service.stores["police"])
    first = ledger.read_log(0, 1)[0][0]
    StoreTamper(ledger).replace_state(first, b"not json")  # a database administrator's edit
    ledger.close()

    answer = _get(
        client, service, f"/api/audit/police/as-of/recorded/agreements?at={_at(instants['signed'])}"
    )

    assert answer.status_code == 500
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["type"].endswith("/altered-history")
    assert "cannot be replayed" in answer.json()["detail"]


def test_past_the_queued_replays_a_read_is_refused_at_once_and_the_others_answered(
    service: AuditService, instants: dict[str, datetime]
) -> None:
    """An auditor's 200 reads at distinct instants queued behind one replay at a time,
    each holding a worker thread: every directorate's reads took 15-30 s (probe 13)."""
    started, release = threading.Event(), threading.Event()

    def slow(ledger: CooperationLedger, at: datetime, directory: Path) -> ViewsAsOf:
        started.set()
        release.wait(10)
        return replay_until(ledger, at, directory)

    views = AsOfViews(kept=8, queued=2)
    ledger = service.ledger("police")
    at = instants["signed"]
    answers: list[object] = []

    def read(offset: int) -> None:
        try:
            answers.append(views.read(ledger, at + timedelta(microseconds=offset), len_of, slow))
        except ReplaysQueuedError as error:
            answers.append(error)

    readers = [threading.Thread(target=read, args=(n,)) for n in range(3)]  # 1 runs, 2 wait
    try:
        readers[0].start()
        assert started.wait(5)
        for thread in readers[1:]:
            thread.start()
        deadline = time.monotonic() + 5
        while views._waiting < 3:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        with pytest.raises(ReplaysQueuedError) as refused:
            views.read(ledger, at + timedelta(microseconds=9), len_of, slow)
        release.set()
        for thread in readers:
            thread.join(30)
    finally:
        release.set()
        views.close()

    assert refused.value.rule == "too-many-replays"
    assert answers == [1, 1, 1]  # the running one and the two waiting: answered


def len_of(views: ViewsAsOf) -> int:
    return views.events
