"""The tenant service over HTTP, wired by the real composition root.

Each test module gets its own data directory (SQLite event stores per tenant,
the dev issuer's key) and app, built by ``bootstrap`` exactly as in production;
nothing is mocked. Tests stay independent within a module: each makes its own
records, compares log positions before and after, and its Idempotency-Keys are
salted per test so no test can replay another's command. A test that opens
posts gets a store of its own (see ``api``).

``Api`` is the one helper: tokens for demo users, requests with If-Match and
Idempotency-Key, bodies of the usual records, and ``walk`` to bring a record
to the state a command needs.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from psycopg import sql

from services.tenant.app import create_app
from services.tenant.bootstrap import Platform, bootstrap
from services.tenant.schemas.missions import CRIME_SCENE_COURSE
from shared.auth.dev_issuer import DevIssuer
from shared.settings import Settings

TENANTS = ["police", "gendarmerie"]
PROBLEM_JSON = "application/problem+json"
PROBLEMS = "https://entente.interieur.gouv.fr/problems/"
MAX_BODY = 65536

#: The first body of each collection's create command.
CREATE: dict[str, dict[str, Any]] = {
    "agreements": {
        "reference": "FR-VN-2011-CM",
        "title": "Convention de lutte contre la contrefaçon de médicaments",
        "kind": "funding-convention",
        "partner_countries": ["VN"],
        "themes": ["counterfeit-medicines"],
        "signed_on": "2011-12-09",
        "signed_at": "Hanoï",
        "duration_months": 36,
        "funding": {"amount": "1000000.00", "currency": "EUR"},
        "funder": "Fonds de solidarité prioritaire",
    },
    "missions": {
        **CRIME_SCENE_COURSE,
        "description": "Two-week course for crime-scene technicians",
    },
    "delegations": {
        "country": "VN",
        "head_of_delegation": "Général Nguyen Van A",
        "size": 8,
        "start_date": "2024-06-10",
        "end_date": "2024-06-14",
        "host_site": "ENSOSP, Aix-en-Provence",
        "topics": ["crisis-management-and-civil-protection"],
        "planned_on": "2024-03-01",
    },
    "posts": {
        "name": "SSI Hanoï",
        "city": "Hanoï",
        "host_country": "VN",
        "covered_countries": ["VN", "KH", "LA"],
        "opened_on": "2005-09-01",
    },
}

#: Who may run each command: decisions on foreign requests are the validators'.
VALIDATOR_COMMANDS = {
    ("missions", "validation"),
    ("missions", "decline"),
    ("missions", "decision-withdrawal"),
}

#: The body of each change command, by collection and URL segment.
CHANGE: dict[tuple[str, str], dict[str, Any]] = {
    ("agreements", "amendments"): {
        "amended_on": "2013-05-02",
        "summary": "Extension to Cambodia and Laos",
    },
    ("agreements", "renewals"): {"renewed_on": "2014-12-01", "duration_months": 24},
    ("agreements", "suspension"): {"suspended_on": "2013-03-16", "reason": "Sanitary crisis"},
    ("agreements", "resumption"): {"resumed_on": "2013-09-01"},
    ("agreements", "termination"): {
        "terminated_on": "2014-01-01",
        "reason": "Replaced by a new agreement",
    },
    ("agreements", "status-withdrawal"): {
        "reason": "Recorded on the wrong agreement",
        "corrected_on": "2014-03-01",
    },
    ("agreements", "renewal-withdrawal"): {
        "reason": "Renewed the wrong agreement",
        "corrected_on": "2015-01-05",
    },
    ("agreements", "amendment-withdrawal"): {
        "reason": "Amendment of another agreement",
        "corrected_on": "2013-05-03",
    },
    ("agreements", "corrections"): {
        "changes": {"signed_at": "Hà Nội"},
        "reason": "Spelling of the city",
        "corrected_on": "2012-01-05",
    },
    ("missions", "validation"): {
        "decided_on": "2013-04-02",
        "decided_by": "Ministère de l'Europe et des Affaires étrangères",
        "decision_reference": "MEAE/DCSD/2013-118",
    },
    ("missions", "decline"): {
        "decided_on": "2013-04-02",
        "decided_by": "Ministère de l'Europe et des Affaires étrangères",
        "decision_reference": "MEAE/DCSD/2013-119",
        "reason": "Outside the cooperation priorities",
    },
    ("missions", "schedule"): {
        "start_date": "2013-10-07",
        "end_date": "2013-10-18",
        "place": "Phnom Penh",
        "expert_count": 3,
        "budget": {"amount": "24000.00", "currency": "EUR"},
        "scheduled_on": "2013-05-20",
    },
    ("missions", "launch"): {"launched_on": "2013-10-07"},
    ("missions", "completion"): {
        "completed_on": "2013-10-18",
        "participants": 18,
        "actual_cost": {"amount": "23950.50", "currency": "EUR"},
        "outcome": "18 technicians trained; kits handed over",
    },
    ("missions", "cancellation"): {"cancelled_on": "2013-09-01", "reason": "Security situation"},
    ("missions", "cancellation-withdrawal"): {
        "reason": "Recorded on the wrong mission",
        "corrected_on": "2013-09-03",
    },
    ("missions", "decision-withdrawal"): {
        "reason": "Declined the wrong request",
        "corrected_on": "2013-04-05",
    },
    ("missions", "evaluation"): {
        "evaluated_on": "2013-12-10",
        "rating": 4,
        "findings": "Good uptake; follow-up requested",
        "recommendations": "Train trainers next",
    },
    ("missions", "corrections"): {
        "changes": {"title": "Gestion de la scène de crime"},
        "reason": "Title as in the request letter",
        "corrected_on": "2013-03-20",
    },
    ("delegations", "reschedule"): {
        "start_date": "2024-09-16",
        "end_date": "2024-09-20",
        "rescheduled_on": "2024-05-02",
    },
    ("delegations", "hosting"): {"hosted_on": "2024-06-10", "actual_size": 7},
    ("delegations", "cancellation"): {
        "cancelled_on": "2024-05-20",
        "reason": "Postponed sine die by the partner",
    },
    ("delegations", "cancellation-withdrawal"): {
        "reason": "Recorded on the wrong visit",
        "corrected_on": "2024-05-21",
    },
    ("delegations", "corrections"): {
        "changes": {"host_site": "ENSOSP, Vitrolles"},
        "reason": "Wrong site",
        "corrected_on": "2024-03-05",
    },
    ("posts", "coverage"): {"covered_countries": ["VN", "LA"], "effective_on": "2014-01-01"},
    ("posts", "closure"): {"closed_on": "2020-08-31"},
    ("posts", "closure-withdrawal"): {
        "reason": "Recorded on the wrong post",
        "corrected_on": "2020-09-07",
    },
    ("posts", "coverage-correction"): {
        "effective_on": "2013-06-01",
        "reason": "Date of the decree",
        "corrected_on": "2014-02-03",
    },
    ("posts", "opening-correction"): {
        "opened_on": "2006-01-09",
        "reason": "Date of the decree",
        "corrected_on": "2006-02-01",
    },
    ("posts", "corrections"): {
        "changes": {"name": "SSI Hanoi"},
        "reason": "Name as in the decree",
        "corrected_on": "2005-09-02",
    },
}

#: The commands that must happen before each command (after the create).
BEFORE: dict[tuple[str, str], list[str]] = {
    ("agreements", "resumption"): ["suspension"],
    ("agreements", "status-withdrawal"): ["termination"],
    ("agreements", "renewal-withdrawal"): ["renewals"],
    ("agreements", "amendment-withdrawal"): ["amendments"],
    ("missions", "schedule"): ["validation"],
    ("missions", "launch"): ["validation", "schedule"],
    ("missions", "completion"): ["validation", "schedule", "launch"],
    ("missions", "cancellation"): ["validation"],
    ("missions", "cancellation-withdrawal"): ["validation", "schedule", "cancellation"],
    ("missions", "decision-withdrawal"): ["decline"],
    ("delegations", "cancellation-withdrawal"): ["cancellation"],
    ("missions", "evaluation"): ["validation", "schedule", "launch", "completion"],
    ("posts", "coverage-correction"): ["coverage"],
    ("posts", "closure-withdrawal"): ["closure"],
}

#: What the record shows after each command (a few fields that prove it applied).
AFTER: dict[tuple[str, str], dict[str, Any]] = {
    # Signed in 2011 for 36 months: expired since 2014 (``status``, derived), whatever
    # the last event recorded (``recorded_status``).
    ("agreements", "amendments"): {
        "status": "expired",
        "recorded_status": "in-force",
        "amendments": [{"on": "2013-05-02", "summary": "Extension to Cambodia and Laos"}],
    },
    ("agreements", "renewals"): {"duration_months": 24, "expires_on": "2016-12-09"},
    ("agreements", "suspension"): {
        "status": "expired",
        "recorded_status": "suspended",
        "suspended_on": "2013-03-16",
    },
    ("agreements", "resumption"): {"recorded_status": "in-force", "suspended_on": None},
    ("agreements", "termination"): {"status": "terminated", "recorded_status": "terminated"},
    ("agreements", "status-withdrawal"): {
        "status": "expired",  # in force again, and past its term
        "recorded_status": "in-force",
        "terminated_on": None,
        "termination_reason": None,
    },
    ("agreements", "amendment-withdrawal"): {"amendments": []},
    ("agreements", "renewal-withdrawal"): {  # the first term again: expired since 2014
        "status": "expired",
        "recorded_status": "in-force",
        "duration_months": 36,
        "expires_on": "2014-12-09",
    },
    ("agreements", "corrections"): {"signed_at": "Hà Nội"},
    ("missions", "validation"): {
        "status": "validated",
        "decided_on": "2013-04-02",
        "decision_reference": "MEAE/DCSD/2013-118",
    },
    ("missions", "decline"): {
        "status": "declined",
        "decline_reason": "Outside the cooperation priorities",
    },
    ("missions", "schedule"): {
        "status": "scheduled",
        "place": "Phnom Penh",
        "budget": {"amount": "24000.00", "currency": "EUR"},
    },
    ("missions", "launch"): {"status": "launched", "launched_on": "2013-10-07"},
    ("missions", "completion"): {
        "status": "completed",
        "participants": 18,
        "actual_cost": {"amount": "23950.50", "currency": "EUR"},
    },
    ("missions", "cancellation"): {
        "status": "cancelled",
        "cancellation_reason": "Security situation",
    },
    ("missions", "cancellation-withdrawal"): {
        "status": "scheduled",
        "cancelled_on": None,
        "cancellation_reason": None,
    },
    ("missions", "decision-withdrawal"): {
        "status": "requested",
        "decided_on": None,
        "decision_reference": None,
        "decline_reason": None,
    },
    ("missions", "evaluation"): {"status": "evaluated", "rating": 4},
    ("missions", "corrections"): {"title": "Gestion de la scène de crime"},
    ("delegations", "reschedule"): {
        "start_date": "2024-09-16",
        "end_date": "2024-09-20",
        "reschedulings": 1,
    },
    ("delegations", "hosting"): {"status": "hosted", "actual_size": 7},
    ("delegations", "cancellation"): {"status": "cancelled"},
    ("delegations", "cancellation-withdrawal"): {"status": "planned", "cancelled_on": None},
    ("delegations", "corrections"): {"host_site": "ENSOSP, Vitrolles"},
    ("posts", "coverage"): {"covered_countries": ["VN", "LA"]},
    ("posts", "closure"): {"status": "closed", "closed_on": "2020-08-31"},
    ("posts", "closure-withdrawal"): {"status": "open", "closed_on": None},
    ("posts", "coverage-correction"): {
        "coverage_history": [
            {"from": "2005-09-01", "countries": ["VN", "KH", "LA"]},
            {"from": "2013-06-01", "countries": ["VN", "LA"]},
        ]
    },
    ("posts", "opening-correction"): {
        "opened_on": "2006-01-09",
        "coverage_history": [{"from": "2006-01-09", "countries": ["VN", "KH", "LA"]}],
    },
    ("posts", "corrections"): {"name": "SSI Hanoi"},
}


@dataclass(frozen=True)
class Created:
    """A record made through the API: where it is and its current version."""

    collection: str
    id: str
    version: int
    tenant: str = "police"

    @property
    def path(self) -> str:
        return f"/api/{self.tenant}/{self.collection}/{self.id}"


@dataclass
class Api:
    """The app under test and the calls every test makes."""

    client: TestClient
    platform: Platform
    salt: str
    created: int = 0  # records made by ``create``: numbers each agreement's own reference

    @property
    def issuer(self) -> DevIssuer:
        assert self.platform.issuer is not None
        return self.platform.issuer

    def token(self, username: str, ttl_seconds: int = 3600) -> str:
        return self.issuer.token(username, ttl_seconds)

    def auth(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(username)}"}

    def position(self, tenant: str = "police") -> int:
        return self.platform.ledger(tenant).position()

    def get(self, path: str, user: str = "police-reader") -> httpx.Response:
        response: httpx.Response = self.client.get(path, headers=self.auth(user))
        return response

    def post(
        self,
        path: str,
        body: Mapping[str, Any],
        user: str = "police-recorder",
        *,
        version: int | None = None,
        key: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        sent = self.auth(user)
        if version is not None:
            sent["If-Match"] = f'"{version}"'
        if key is not None:
            sent["Idempotency-Key"] = f"{key}.{self.salt}"
        sent = {"Content-Type": "application/json", **sent, **(headers or {})}
        # ASCII JSON, so a test can send what httpx's UTF-8 ``json=`` cannot: a lone
        # surrogate, which JSON spells ``"\\ud800"``.
        content = json.dumps(dict(body)).encode()
        response: httpx.Response = self.client.post(path, content=content, headers=sent)
        return response

    def create(self, collection: str, tenant: str = "police", **overrides: Any) -> Created:
        response = self.post(
            f"/api/{tenant}/{collection}", self.body(collection, **overrides), f"{tenant}-recorder"
        )
        assert response.status_code == 201, response.text
        return Created(collection, response.json()["id"], response.json()["version"], tenant)

    def body(self, collection: str, **overrides: Any) -> dict[str, Any]:
        """``CREATE[collection]`` with ``overrides``; an agreement with a reference of its
        own (two agreements of one directorate may not share one)."""
        body = {**CREATE[collection], **overrides}
        if collection == "agreements" and "reference" not in overrides:
            self.created += 1
            body["reference"] = f"{body['reference']}-{self.salt}-{self.created}"
        return body

    def command(self, record: Created, segment: str, **overrides: Any) -> Created:
        """Runs one change command as the role it needs; the record at its new version."""
        user = "validator" if (record.collection, segment) in VALIDATOR_COMMANDS else "recorder"
        response = self.post(
            f"{record.path}/{segment}",
            {**CHANGE[record.collection, segment], **overrides},
            f"{record.tenant}-{user}",
            version=record.version,
        )
        assert response.status_code == 200, response.text
        return Created(record.collection, record.id, response.json()["version"], record.tenant)

    def walk(self, collection: str, *segments: str) -> Created:
        """A new record of ``collection`` after the given commands."""
        record = self.create(collection)
        for segment in segments:
            record = self.command(record, segment)
        return record

    def ready_for(self, collection: str, segment: str) -> Created:
        """A new record in the state where ``segment`` is allowed."""
        return self.walk(collection, *BEFORE.get((collection, segment), []))


def problem(response: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    """The problem document of ``response``, after checking status, media type and type."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert body["type"] == PROBLEMS + slug, body
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    return body


@contextmanager
def _platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("entente"),
        tenants=TENANTS,
        store="sqlite",
        auth="dev",
        embedded_projector=False,
        max_body_bytes=MAX_BODY,
    )
    platform = bootstrap(settings)
    try:
        yield platform
    finally:
        for ledger in platform.ledgers.values():
            ledger.close()


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """The composition root's Platform: two tenants on SQLite, the dev issuer."""
    with _platform(tmp_path_factory) as platform:
        yield platform


@pytest.fixture(scope="module")
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform)) as client:
        yield client


@pytest.fixture
def api(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Api]:
    """The module's app; a store of the test's own for a test that opens posts.

    One post of a directorate covers a country at a time, so the usual post
    (Hanoï: VN, KH, LA from 2005) opens once per store: a second test opening it
    in the module's store would be refused. Those tests (``opens_posts``, or
    parametrized with the posts collection) get a fresh platform, about 0.1 s.
    """
    salt = uuid.uuid4().hex[:12]
    if not _opens_posts(request):
        platform: Platform = request.getfixturevalue("platform")
        yield Api(request.getfixturevalue("client"), platform, salt=salt)
        return
    with _platform(tmp_path_factory) as own, TestClient(create_app(own)) as client:
        yield Api(client, own, salt=salt)


def _opens_posts(request: pytest.FixtureRequest) -> bool:
    if request.node.get_closest_marker("opens_posts") is not None:
        return True
    callspec = getattr(request.node, "callspec", None)
    params = callspec.params.values() if callspec is not None else ()
    return any(
        value == "posts" or (isinstance(value, tuple) and "posts" in value) for value in params
    )


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """The URL of a new database on the server of ``server_url``, dropped afterwards."""
    name = f"t{uuid.uuid4().hex[:10]}_api"
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(server_url, autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def postgres_backend(url: str) -> dict[str, Any]:
    """``Settings`` fields putting events and views in the PostgreSQL database of ``url``."""
    views = url.replace("postgresql://", "postgresql+psycopg://", 1)
    return {"store": "postgres", "postgres_url": url, "views_url": views}


def reproducible(examples: int) -> settings:
    """Hypothesis settings for searches against a running service: the same draws every
    run (a failure is reproducible), no deadline (a request's time is the server's).

    ``ENTENTE_HYPOTHESIS_EXPLORE=1`` lets a deep search by hand draw anew on each
    run instead (pin one with pytest's ``--hypothesis-seed``; a failure prints the
    seed that reproduces it): the fixed draws only ever search the same corner.
    """
    explore = os.environ.get("ENTENTE_HYPOTHESIS_EXPLORE", "") == "1"
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=not explore,
        print_blob=explore,
        suppress_health_check=list(HealthCheck),
    )
