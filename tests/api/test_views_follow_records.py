"""Whatever commands a record goes through, every way of reading it agrees.

A record's read (``GET /<collection>/<id>``) is its state rebuilt from its
events by the ledger; the lists (board, register, calendar, directory) are
rows a projector wrote from the same events; the audit rebuilds the record by
itself. Hypothesis draws sequences of commands, valid or not (dates in and out
of order, transitions allowed or not, corrections of every correctable field),
on a new record of each kind, on SQLite and on PostgreSQL. Each answer must be
a success or a refusal (never a 500, never a 412 for the version just read);
then the record's row in its list must agree with its read on every field both
show; its history must hold one event per version; the auditor's record as of
each event's recorded time must be the read that followed that event. Last,
the whole log replayed at once (as ``entente audit`` replays it) must build
exactly the rows the live projector built one command at a time, and the
consolidated figures filtered on the directorate must be its annual report.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from shared.audit.replay import replay_tenant, scratch_views
from shared.cli.main import platform_app
from shared.domain.reference import all_countries
from shared.domain.vocabulary import Organisation, Theme
from shared.log.embedded import EmbeddedEventLog
from shared.settings import Settings
from tests.api.conftest import (
    CHANGE,
    MAX_BODY,
    VALIDATOR_COMMANDS,
    Api,
    fresh_database,
    postgres_backend,
    reproducible,
)

TENANT = "police"
#: The years the drawn dates fall in (the usual bodies' dates are in 2011-2024).
YEARS = range(2011, 2026)
#: Sequences drawn per collection and backend.
EXAMPLES = int(os.environ.get("ENTENTE_FOLLOW_EXAMPLES", "20"))
#: The list each collection's records appear in (same path as the collection).
COLLECTIONS = ("missions", "agreements", "delegations", "posts")
#: The usual order of each kind's commands.
LIFE = {
    "missions": ["validation", "schedule", "launch", "completion", "evaluation"],
    "agreements": ["amendments", "suspension", "resumption", "renewals", "termination"],
    "delegations": ["reschedule", "hosting"],
    "posts": ["coverage", "closure"],
}
#: Fields a read and a list row both carry but that say where, not what.
NOT_COMPARED = {"position", "recorded_at", "created_on", "modified_on", "tenant"}
#: Money: one ``{"amount", "currency"}`` in lists, two fields in reads.
MONEY = ("funding", "budget", "actual_cost")
#: What each correction may change, and how to draw a value (valid or not).
TEXT = st.text(
    st.characters(codec="utf-8", categories=["L", "N", "P", "Zs"]), min_size=1, max_size=24
)
THEMES = st.lists(st.sampled_from([t.value for t in Theme]), min_size=0, max_size=3)
MONEY_VALUES = st.fixed_dictionaries(
    {
        "amount": st.sampled_from(["0.00", "2395.05", "12.5", "100", "1.234", "-1.00"]),
        "currency": st.sampled_from(["EUR", "XOF", "TND"]),
    }
)
CORRECTABLE: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "missions": {
        "title": TEXT,
        "description": TEXT,
        "place": TEXT,
        "themes": THEMES,
        "requested_by": TEXT,
        "organisations": st.lists(st.sampled_from([o.value for o in Organisation]), max_size=2),
        "participants": st.integers(-1, 40),
        "budget": MONEY_VALUES,
        "actual_cost": MONEY_VALUES,
        "mission_type": st.sampled_from(["seminar", "expert-mission", "nope"]),
        "countries": st.lists(st.sampled_from(["VN", "KH", "SN", "XX"]), max_size=2),
        "requested_on": st.sampled_from(["2012-12-28", "2013-03-20", "2013-05-01", "14/3/2013"]),
        "start_date": st.sampled_from(["2012-12-31", "2013-10-07", "2013-10-08", "7/10/2013"]),
        "end_date": st.sampled_from(["2013-10-06", "2013-10-18", "2014-01-02", "2200-01-01"]),
        "expert_count": st.integers(-1, 3),
        "outcome": TEXT,
        "rating": st.integers(0, 6),
        "findings": TEXT,
        "recommendations": TEXT,
    },
    "agreements": {
        "title": TEXT,
        "signed_at": TEXT,
        "themes": THEMES,
        "reference": TEXT,
        "partner_countries": st.lists(st.sampled_from(["VN", "KH", "MA", "XX"]), max_size=2),
        "kind": st.sampled_from(["letter-of-intent", "funding-convention", "treaty"]),
        "funding": st.one_of(st.none(), MONEY_VALUES),
        "funder": st.one_of(st.none(), TEXT),
        "partner_organisations": st.lists(
            st.sampled_from([o.value for o in Organisation]), max_size=1
        ),
        # Signed 2011-12-09; amended 2013-05-02, suspended 2013-03-16 in the usual bodies.
        "signed_on": st.sampled_from(["2011-11-30", "2011-12-19", "2012-01-06", "2013-05-03"]),
        "duration_months": st.sampled_from([None, 0, 6, 12, 48, 1201]),
    },
    "delegations": {
        "head_of_delegation": TEXT,
        "host_site": TEXT,
        "topics": THEMES,
        "size": st.integers(0, 501),
        "country": st.sampled_from(["VN", "MA", None, "XX"]),
        "organisation": st.sampled_from([None, "INTERPOL", "NOPE"]),
        "actual_size": st.integers(0, 12),
        "hosted_on": st.sampled_from(["2024-06-09", "2024-06-10", "2024-06-14", "x"]),
    },
    "posts": {"name": TEXT, "city": TEXT},
}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """The platform as ``entente serve`` runs it (the audit beside the tenant service);
    on PostgreSQL, in a database of its own (events, views, access log)."""
    data: Path = tmp_path_factory.mktemp(f"follow-{request.param}")
    with ExitStack() as stack:
        backend: dict[str, Any] = {"store": "sqlite"}
        if request.param == "postgres":
            url = stack.enter_context(fresh_database(request.getfixturevalue("postgres_url")))
            backend = postgres_backend(url)
        settings = Settings(
            tenants=[TENANT], data_dir=data, auth="dev", max_body_bytes=MAX_BODY, **backend
        )
        app = platform_app(settings)
        with TestClient(app) as client:
            yield Api(client, app.state.platform, salt=uuid.uuid4().hex[:12])


#: Dates at and beyond the edges of what the ledger records (1900 to 2199).
EDGES = ["0001-01-01", "1899-12-31", "1900-01-01", "2199-12-31", "2200-01-01", "9999-12-31"]


def _dates(base: str) -> st.SearchStrategy[str]:
    """The example's date most of the time; else one from two years around it, or an
    edge (a renewal on 9999-01-01 was recorded, then no read of its record worked)."""
    day = date.fromisoformat(base)
    around = st.integers(-400, 400).map(lambda n: (day + timedelta(days=n)).isoformat())
    return st.integers(0, 7).flatmap(
        lambda n: around if n == 0 else st.sampled_from(EDGES) if n <= 2 else st.just(base)
    )


def _body(collection: str, segment: str) -> st.SearchStrategy[dict[str, Any]]:
    """A command body: the usual one, its dates redrawn; a correction of drawn fields."""
    usual = CHANGE[(collection, segment)]
    if segment == "corrections":
        fields = CORRECTABLE[collection]
        changes = st.fixed_dictionaries({}, optional=fields).filter(bool)
        return st.fixed_dictionaries(
            {
                "changes": changes,
                "reason": st.just("Relecture"),
                "corrected_on": _dates(usual["corrected_on"]),
            }
        )
    drawn: dict[str, st.SearchStrategy[Any]] = {}
    for name, value in usual.items():
        if isinstance(value, str) and (name.endswith("_on") or name.endswith("_date")):
            drawn[name] = _dates(value)
        elif name == "duration_months":  # the longest terms stack towards year 9999
            drawn[name] = st.sampled_from([value, 1200])
        else:
            drawn[name] = st.just(value)
    return st.fixed_dictionaries(drawn)


def _steps(collection: str) -> st.SearchStrategy[list[tuple[str, dict[str, Any]]]]:
    """Part of the usual life of the record (with corrections here and there), then
    any commands: drawn alone, most later steps would be refused for the state."""

    def step(segment: str) -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
        return st.tuples(st.just(segment), _body(collection, segment))

    correction = step("corrections")
    life = LIFE[collection]
    prefix = st.integers(0, len(life)).flatmap(
        lambda k: st.tuples(
            *[st.tuples(st.lists(correction, max_size=1), step(segment)) for segment in life[:k]]
        )
    )
    segments = sorted(segment for (owner, segment) in CHANGE if owner == collection)
    tail = st.lists(st.sampled_from(segments).flatmap(step), max_size=4)
    return st.tuples(prefix, tail).map(
        lambda drawn: [s for before, usual in drawn[0] for s in (*before, usual)] + drawn[1]
    )


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_the_lists_show_each_record_as_its_read_does(api: Api, collection: str) -> None:
    tenant = TENANT

    places = iter(_POST_PLACES)

    @given(steps=_steps(collection))
    @reproducible(EXAMPLES)
    def check(steps: list[tuple[str, dict[str, Any]]]) -> None:
        body = api.body(collection)
        if collection == "posts":  # one post of a directorate covers a country at a time
            place = dict(zip(("VN", "KH", "LA"), next(places, ()), strict=False))
            assert len(place) == 3, "more posts than the countries of _POST_PLACES allow"
            body = _placed(body, place)
            steps = [(segment, _placed(step, place)) for segment, step in steps]
        created = api.post(f"/api/{tenant}/{collection}", body, f"{tenant}-recorder")
        assert created.status_code == 201, created.text
        record_id, version = created.json()["id"], 1
        position = created.json()["position"]
        path = f"/api/{tenant}/{collection}/{record_id}"
        reads = {1: api.get(path, f"{tenant}-reader").json()}  # the read after each version
        for segment, body in steps:
            role = "validator" if (collection, segment) in VALIDATOR_COMMANDS else "recorder"
            answer = api.post(f"{path}/{segment}", body, f"{tenant}-{role}", version=version)
            assert answer.status_code in {200, 409, 422}, f"{segment} {body}: {answer.text}"
            if answer.status_code == 200:
                assert answer.json()["version"] == version + 1
                version, position = version + 1, answer.json()["position"]
                read = api.get(path, f"{tenant}-reader")
                assert read.status_code == 200, f"after {segment} {body}: {read.text}"
                reads[version] = read.json()

        state = reads[version]
        row = _listed(api, tenant, collection, record_id, position)
        shared = (set(state) & set(row)) - NOT_COMPARED
        assert len(shared) >= 8, sorted(shared)  # the comparison is not vacuous
        differ = {name: (state[name], row[name]) for name in shared if state[name] != row[name]}
        assert not differ, f"after {[s for s, _ in steps]}: read vs list {differ}"
        history = api.get(f"{path}/history", f"{tenant}-reader").json()
        assert state["version"] == version == len(history["events"])
        _audit_agrees(api, record_id, history["events"], reads)

    check()
    # Live, the projector applied each command's events in a batch of its own; a
    # replay of the whole log (the audit's) applies them in pages of 1,000: the
    # batch code paths (prefetch, deferred inserts) must build the same rows.
    settings_ = api.platform.settings
    scratch = scratch_views(settings_.views_url, settings_.data_dir, tenant)
    try:
        report = replay_tenant(
            api.platform.views, scratch, EmbeddedEventLog(api.platform.ledgers), tenant
        )
    finally:
        scratch.dispose()
    assert report.rows[collection] >= EXAMPLES
    assert report.ok, "\n".join(d.line() for d in report.differences[:20])
    counted = _reporting_agrees(api, api.get(f"/api/{tenant}/views/position").json()["position"])
    if collection in {"missions", "agreements"}:
        assert counted > 0, "no action nor agreement in force: the comparison proved nothing"


#: Each drawn post covers three countries of its own (the usual post's VN, KH, LA
#: renamed): the posts of one store may not cover a country on the same days.
_COUNTRIES = sorted(c.code for c in all_countries() if c.code not in {"FR", "VN", "KH", "LA"})
_POST_PLACES = [tuple(_COUNTRIES[i : i + 3]) for i in range(0, len(_COUNTRIES) - 2, 3)]


def _placed(value: Any, place: dict[str, str]) -> Any:
    """``value`` with the usual post's countries replaced as ``place`` says."""
    if isinstance(value, str):
        return place.get(value, value)
    if isinstance(value, list):
        return [_placed(item, place) for item in value]
    if isinstance(value, dict):
        return {key: _placed(item, place) for key, item in value.items()}
    return value


def _reporting_agrees(api: Api, position: int) -> int:
    """The directorate's slice of the consolidated figures is its annual report.

    Reporting projects the same events into its own area (``tests/reporting/
    test_slice.py`` holds the rule on the sample data); here, on the records the
    drawn commands left behind, for each year they touch.
    """
    reporting = api.auth("reporting")
    counted = 0
    for year in YEARS:
        report = api.get(f"/api/{TENANT}/reports/annual/{year}?min_position={position}").json()

        def figures(*group_by: str, year: int = year) -> dict[str, Any]:
            params: dict[str, Any] = {"year": year, "directorate": TENANT}
            if group_by:
                params["group_by"] = ",".join(group_by)
            for _ in range(200):  # reporting's projector follows the same log
                answer: dict[str, Any] = api.client.get(
                    "/api/reporting/figures", params=params, headers=reporting
                ).json()
                if answer["positions"][TENANT] >= position:
                    return answer
                time.sleep(0.05)
            raise AssertionError(f"reporting did not reach position {position}")

        def by(dimension: str) -> dict[str, int]:
            return {c[dimension]: c["actions"] for c in figures(dimension)["cells"]}

        missions, totals = report["missions"], figures()["totals"]
        assert totals["actions"] == missions["total"], year
        assert by("mission_type") == missions["by_type"], year
        assert by("theme") == missions["by_theme"], year
        assert by("country") == missions["by_country"], year
        assert totals["budget"] == report["budgets"]["budget"], year
        assert totals["actual_cost"] == report["budgets"]["actual_cost"], year
        in_force = api.client.get(
            "/api/reporting/agreements/in-force",
            params={"year": year, "directorate": TENANT},
            headers=reporting,
        ).json()["totals"]
        expected = report["agreements"]["in_force_at_year_end"]
        assert (in_force["in_force"], in_force["by_kind"]) == (
            expected["total"],
            expected["by_kind"],
        ), year
        counted += missions["total"] + expected["total"]
    return counted


def _audit_agrees(
    api: Api, record_id: str, events: list[dict[str, Any]], reads: dict[int, dict[str, Any]]
) -> None:
    """The auditor's record as of each event's recorded time is the read after that event.

    The audit rebuilds the record from its events by itself; the read comes from the
    ledger. Both show what was recorded, and an agreement's status as the register
    shows it (``expired`` derived on the day) beside its ``recorded_status``.
    """
    for event in events:
        at = event["recorded_at"]
        answer = api.client.get(
            f"/api/audit/{TENANT}/records/{record_id}/as-of/recorded",
            params={"at": at},
            headers=api.auth("auditor"),
        )
        assert answer.status_code == 200, answer.text
        audited = answer.json()
        assert audited["version"] == event["version"], (at, audited["applied"])
        read = dict(reads[event["version"]])
        shared = (set(read) & set(audited["state"])) - NOT_COMPARED
        assert len(shared) >= 8, sorted(shared)
        differ = {
            name: (read[name], audited["state"][name])
            for name in shared
            if read[name] != audited["state"][name]
        }
        assert not differ, f"version {event['version']}: read vs audit {differ}"


def _listed(
    api: Api, tenant: str, collection: str, record_id: str, position: int
) -> dict[str, Any]:
    """The record's row in its list, once the list reflects ``position``; money as in reads."""
    query = f"limit=200&min_position={position}&wait_ms=10000"
    while True:
        page = api.get(f"/api/{tenant}/{collection}?{query}", f"{tenant}-reader")
        assert page.status_code == 200, page.text
        for item in page.json()["items"]:
            if item["id"] == record_id:
                return _reads_money(item)
        cursor = page.json()["next_cursor"]
        assert cursor, f"{record_id} is not in the {collection} list"
        query = f"limit=200&cursor={cursor}"


def _reads_money(item: dict[str, Any]) -> dict[str, Any]:
    row = dict(item)
    for prefix in MONEY:
        if prefix in row:
            money = row.pop(prefix)
            row[f"{prefix}_amount"] = None if money is None else money["amount"]
            row[f"{prefix}_currency"] = None if money is None else money["currency"]
    return row
