"""No leak across tenants: another tenant's record answers exactly like no record at all.

Gendarmerie records are made through the API with real tokens; then police
URLs are asked for them by callers who may read police, including an auditor
and a user who may read both directorates. Status, media type and body (ids
aside) must match those of an id that exists nowhere, and police's views
(lists, counts, country files, reports) must not move.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import CHANGE, CREATE

from .conftest import Keycloak

COLLECTIONS = ("agreements", "missions", "delegations", "posts")
#: Callers who may read police; the last two may read gendarmerie as well.
POLICE_READERS = ("police-reader", "auditor", "test-police-gendarmerie-reader")
POLICE_VIEWS = (
    "/api/police/agreements",
    "/api/police/missions",
    "/api/police/missions/awaiting-validation",
    "/api/police/delegations",
    "/api/police/countries/VN",
    "/api/police/countries/KH",
    "/api/police/reports/annual/2013",
    "/api/police/reports/annual/2024",
)


@dataclass(frozen=True)
class Answer:
    """What a caller can observe of a response, with one id masked."""

    status: int
    media_type: str
    body: Any

    @classmethod
    def of(cls, response: httpx.Response, masked: str = "") -> Answer:
        text = response.text.replace(masked, "<id>") if masked else response.text
        return cls(response.status_code, response.headers.get("content-type", ""), text)


@dataclass(frozen=True)
class Records:
    """Gendarmerie's records, and police's views before and after they were made."""

    gendarmerie: dict[str, str]
    views_before: dict[tuple[str, str], Answer]
    views_after: dict[tuple[str, str], Answer]


def _create(client: TestClient, keycloak: Keycloak, tenant: str, collection: str) -> Any:
    body = dict(CREATE[collection])
    if collection == "agreements":  # a directorate's references are unique: one of its own
        body["reference"] = f"{body['reference']}-{uuid.uuid4().hex[:12]}"
    response = client.post(
        f"/api/{tenant}/{collection}",
        json=body,
        headers=keycloak.auth(f"{tenant}-recorder"),
    )
    assert response.status_code == 201, response.text
    return response.json()


def _views(client: TestClient, keycloak: Keycloak, position: int) -> dict[tuple[str, str], Answer]:
    return {
        (user, path): Answer.of(
            client.get(path, params={"min_position": position}, headers=keycloak.auth(user))
        )
        for user in POLICE_READERS
        for path in POLICE_VIEWS
    }


@pytest.fixture(scope="module")
def records(keycloak: Keycloak, tenant_client: TestClient) -> Records:
    police = _create(tenant_client, keycloak, "police", "missions")
    before = _views(tenant_client, keycloak, police["position"])
    made = {c: _create(tenant_client, keycloak, "gendarmerie", c) for c in COLLECTIONS}
    caught_up = tenant_client.get(
        "/api/gendarmerie/missions",
        params={"min_position": max(m["position"] for m in made.values()), "wait_ms": 10000},
        headers=keycloak.auth("gendarmerie-reader"),
    )
    assert caught_up.status_code == 200, caught_up.text
    assert caught_up.json()["items"], "gendarmerie's views show its own records"
    after = _views(tenant_client, keycloak, police["position"])
    return Records({c: m["id"] for c, m in made.items()}, before, after)


def test_the_gendarmerie_records_exist_for_those_who_may_read_gendarmerie(
    keycloak: Keycloak, tenant_client: TestClient, records: Records
) -> None:
    for user in ("gendarmerie-reader", "auditor", "test-police-gendarmerie-reader"):
        for collection, record_id in records.gendarmerie.items():
            url = f"/api/gendarmerie/{collection}/{record_id}"
            response = tenant_client.get(url, headers=keycloak.auth(user))
            assert response.status_code == 200, (user, url)


@pytest.mark.parametrize("user", POLICE_READERS)
@pytest.mark.parametrize("suffix", ["", "/history"])
def test_another_tenants_record_reads_like_one_that_does_not_exist(
    keycloak: Keycloak, tenant_client: TestClient, records: Records, user: str, suffix: str
) -> None:
    headers = keycloak.auth(user)

    for collection, record_id in records.gendarmerie.items():
        nowhere = str(uuid.uuid4())
        foreign = tenant_client.get(
            f"/api/police/{collection}/{record_id}{suffix}", headers=headers
        )
        missing = tenant_client.get(f"/api/police/{collection}/{nowhere}{suffix}", headers=headers)

        assert Answer.of(foreign, record_id) == Answer.of(missing, nowhere)
        assert foreign.status_code == 404


@pytest.mark.parametrize(
    ("user", "collection", "segment"),
    [
        ("police-recorder", "missions", "corrections"),
        ("police-validator", "missions", "validation"),
        ("police-recorder", "posts", "closure"),
        ("police-recorder", "agreements", "amendments"),
    ],
)
def test_a_command_on_another_tenants_record_answers_like_on_no_record(
    keycloak: Keycloak,
    tenant_client: TestClient,
    records: Records,
    user: str,
    collection: str,
    segment: str,
) -> None:
    headers = {**keycloak.auth(user), "If-Match": '"1"'}
    body = CHANGE[collection, segment]
    record_id, nowhere = records.gendarmerie[collection], str(uuid.uuid4())

    foreign = tenant_client.post(
        f"/api/police/{collection}/{record_id}/{segment}", json=body, headers=headers
    )
    missing = tenant_client.post(
        f"/api/police/{collection}/{nowhere}/{segment}", json=body, headers=headers
    )

    assert Answer.of(foreign, record_id) == Answer.of(missing, nowhere)
    assert foreign.status_code == 404


def test_police_views_and_counts_do_not_move_when_gendarmerie_records(records: Records) -> None:
    assert records.views_after == records.views_before
    assert {a.status for a in records.views_after.values()} == {200}
