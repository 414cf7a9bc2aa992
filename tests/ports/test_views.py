"""The views contract: one suite, run against SQLite files and PostgreSQL schemas.

A realistic year of one directorate (agreements, posts, missions through their
lifecycle, delegations, corrections) is recorded through the ledger, projected
from the embedded log, and every answer is checked against figures worked out
by hand in the comments. The failure tests show the projector's guarantees:
a batch that fails half-way leaves neither rows nor tracking behind, duplicates
change nothing, an unknown event type stops it where it is.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID, uuid4

import psycopg
import pytest

from shared.application.ledger import CooperationLedger
from shared.application.stores import SqliteStore
from shared.domain.agreement import Agreement
from shared.domain.base import EntenteAggregate
from shared.domain.catalogue import AGGREGATES, aggregate_type_of, event_classes
from shared.domain.context import Actor, CommandContext
from shared.domain.delegation import DelegationVisit
from shared.domain.mission import Mission
from shared.domain.post import PostAbroad
from shared.domain.vocabulary import Classification
from shared.errors import NotYetVisibleError, ValidationError
from shared.events.envelope import EventEnvelope, type_name
from shared.log.embedded import EmbeddedEventLog
from shared.log.ports import LogRecord, topic_for
from shared.views import queries
from shared.views.errors import (
    AggregateVersionGapError,
    ProjectionError,
    TenantMismatchError,
    UnexpectedEventDataError,
    UnknownEventTypeError,
)
from shared.views.handlers import HANDLERS, Handler
from shared.views.notifications import CHANNEL, ViewChangeListener, announce
from shared.views.postgres import PostgresViewStore
from shared.views.projector import Projector
from shared.views.rebuild import RebuildRunningError, rebuild, view_contents
from shared.views.runner import ProjectorThread
from shared.views.sqlite import SqliteViewStore
from shared.views.store import ViewSession, ViewStore
from shared.views.tables import tables_for
from shared.views.tracking import ViewPosition
from shared.views.waiting import current_position, wait_for_position

TENANT = "police"
TODAY = date(2014, 6, 1)
CTX = CommandContext(TENANT, Actor("u-7", "Claire Martin"))
PUBLIC, INTERNAL, RESTRICTED = (
    Classification.PUBLIC,
    Classification.INTERNAL,
    Classification.RESTRICTED,
)
BEAUVAU, ASNIERES, AIX = "Paris — Place Beauvau", "Asnières-sur-Seine", "Aix-en-Provence"
A = TypeVar("A", bound=EntenteAggregate)


def _clock() -> datetime:
    return datetime(2014, 6, 1, 12, tzinfo=UTC)


@dataclass
class Recording:
    """One tenant's ledger (SQLite) and the embedded log over it; records named by the test."""

    ledger: CooperationLedger
    log: EmbeddedEventLog
    ids: dict[str, UUID]

    def create(self, name: str, build: Callable[[UUID], EntenteAggregate]) -> None:
        self.ids[name] = self.ledger.create(build, None).record_id

    def change(self, kind: type[A], name: str, *actions: Callable[[A], None]) -> None:
        for action in actions:
            version = self.ledger.record(kind, self.ids[name]).version
            self.ledger.change(kind, self.ids[name], version, action, None)

    def records(self) -> list[LogRecord]:
        return self.log.read(topic_for(TENANT), 0, -1, 10_000)

    def name_of(self, item: Mapping[str, Any]) -> str:
        return next(name for name, id in self.ids.items() if str(id) == item["id"])


def _recording(directory: Path) -> Iterator[Recording]:
    ledger = CooperationLedger(TENANT, SqliteStore(directory), clock=_clock)
    yield Recording(ledger, EmbeddedEventLog({TENANT: ledger}), {})
    ledger.close()


def _sqlite_views(request: pytest.FixtureRequest, base: Path) -> Iterator[ViewStore]:
    store = SqliteViewStore(base / "views", [TENANT])
    yield store
    store.dispose()


def _postgres_views(request: pytest.FixtureRequest, base: Path) -> Iterator[ViewStore]:
    url: str = request.getfixturevalue("postgres_url")
    store = PostgresViewStore(url, [TENANT], schema_prefix=f"t{uuid4().hex[:10]}_")
    yield store
    store.drop(TENANT)
    store.dispose()


VIEW_STORES = {"sqlite": _sqlite_views, "postgres": _postgres_views}
BACKENDS = [pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recording]:
    """The whole scenario, recorded once for the module; tests only read its log."""
    for recording in _recording(tmp_path_factory.mktemp("scenario")):
        record_scenario(recording)
        yield recording


@pytest.fixture(scope="module", params=BACKENDS)
def projected(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, scenario: Recording
) -> Iterator[ViewStore]:
    """The scenario projected once per backend, for the read-only query tests."""
    for store in VIEW_STORES[request.param](request, tmp_path_factory.mktemp("views")):
        Projector(store, scenario.log, [TENANT]).catch_up()
        yield store


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ViewStore]:
    """Empty views, per test."""
    yield from VIEW_STORES[request.param](request, tmp_path)


@pytest.fixture
def recording(tmp_path: Path) -> Iterator[Recording]:
    """An empty ledger, per test, for tests that record while projecting."""
    yield from _recording(tmp_path / "events")


# --- the scenario ------------------------------------------------------------


def record_scenario(w: Recording) -> None:
    """Six agreements, three posts, nine missions, five delegations: 60 events."""
    _agreements(w)
    _posts(w)
    _missions(w)
    _delegations(w)


def _sign(
    w: Recording, name: str, kind: str, countries: list[str], signed: date, **extra: Any
) -> None:
    fields: dict[str, Any] = {
        "reference": name,
        "title": f"Accord {name}",
        "kind": kind,
        "partner_countries": countries,
        "partner_organisations": [],
        "themes": ["organised-crime"],
        "signed_on": signed,
        "signed_at": "Paris",
        "duration_months": None,
        "funding": None,
        "funder": None,
        "classification": PUBLIC,
        "today": TODAY,
    }
    fields.update(extra)
    w.create(name, lambda id: Agreement.sign(CTX, id=id, **fields))


def _agreements(w: Recording) -> None:
    # A1 expires 2014-12-09, renewed → 2015-12-09; A2 expires 2014-06-15 (within 90 days);
    # A3 suspended 2014-02-01; A4 expired 2012-01-10; A5 terminated 2013-11-20; A6 open-ended.
    _sign(
        w,
        "A1",
        "funding-convention",
        ["VN"],
        date(2011, 12, 9),
        duration_months=36,
        funding=(Decimal("1000000"), "EUR"),
        funder="Union européenne",
    )
    _sign(w, "A2", "bilateral-cooperation-agreement", ["KH"], date(2013, 3, 15), duration_months=15)
    _sign(w, "A3", "letter-of-intent", ["VN", "LA"], date(2013, 7, 1))
    _sign(w, "A4", "memorandum-of-understanding", ["MA"], date(2010, 1, 10), duration_months=24)
    _sign(w, "A5", "administrative-arrangement", ["VN"], date(2012, 5, 5), duration_months=60)
    _sign(
        w,
        "A6",
        "intergovernmental-agreement",
        [],
        date(2013, 9, 9),
        partner_organisations=["EUROPOL"],
        classification=RESTRICTED,
    )
    w.change(Agreement, "A1", lambda a: a.renew(CTX, date(2014, 5, 1), 12))
    w.change(Agreement, "A3", lambda a: a.suspend(CTX, date(2014, 2, 1), "élections"))
    w.change(Agreement, "A5", lambda a: a.terminate(CTX, date(2013, 11, 20), "remplacé"))
    w.change(
        Agreement,
        "A6",
        lambda a: a.amend(CTX, date(2014, 1, 10), "annexe technique"),
        lambda a: a.correct(CTX, {"title": "Accord EUROPOL"}, "coquille", date(2014, 1, 11)),
    )


def _posts(w: Recording) -> None:
    # Hanoï covers VN, KH, LA until 2014-01-01, when Phnom Penh opens for KH; Rabat closes.
    def open_post(name: str, city: str, host: str, covered: list[str], opened: date) -> None:
        w.create(
            name,
            lambda id: PostAbroad.open(
                CTX,
                id=id,
                name=name,
                city=city,
                host_country=host,
                covered_countries=covered,
                opened_on=opened,
                classification=PUBLIC,
            ),
        )

    open_post("SSI Hanoï", "Hanoï", "VN", ["VN", "KH", "LA"], date(2010, 1, 1))
    # A handover: Hanoï gives Cambodia up before Phnom Penh takes it (one post at a time).
    w.change(
        PostAbroad, "SSI Hanoï", lambda p: p.change_coverage(CTX, ["VN", "LA"], date(2014, 1, 1))
    )
    open_post("SSI Phnom Penh", "Phnom Penh", "KH", ["KH"], date(2014, 1, 1))
    open_post("SSI Rabat", "Rabat", "MA", ["MA"], date(2011, 1, 1))
    w.change(PostAbroad, "SSI Rabat", lambda p: p.close(CTX, date(2014, 3, 1)))


def _request(
    w: Recording,
    name: str,
    kind: str,
    countries: list[str],
    themes: list[str],
    requested: date,
    post: str | None = None,
    classification: Classification = INTERNAL,
) -> None:
    post_id = str(w.ids[post]) if post else None
    w.create(
        name,
        lambda id: Mission.request(
            CTX,
            id=id,
            title=name,
            mission_type=kind,
            countries=countries,
            organisations=[],
            themes=themes,
            requested_by="autorité locale",
            post_id=post_id,
            requested_on=requested,
            description="",
            classification=classification,
            today=TODAY,
        ),
    )


def _through(
    w: Recording,
    name: str,
    decided: date,
    start: date,
    end: date,
    budget: tuple[Decimal, str] | None,
) -> None:
    w.change(
        Mission,
        name,
        lambda m: m.validate(CTX, decided, "MEAE", f"D-{name}"),
        lambda m: m.schedule(CTX, start, end, "sur place", 3, budget, decided),
    )


def _delivered(w: Recording, name: str, start: date, end: date, cost: Decimal, rating: int) -> None:
    w.change(
        Mission,
        name,
        lambda m: m.launch(CTX, start),
        lambda m: m.complete(CTX, end, 25, (cost, "EUR"), "stagiaires formés"),
        lambda m: m.evaluate(CTX, end, rating, "utile", ""),
    )


def eur(amount: str) -> tuple[Decimal, str]:
    return Decimal(amount), "EUR"


def _missions(w: Recording) -> None:
    _request(
        w, "M1", "training-course", ["KH"], ["forensic-science"], date(2013, 4, 10), "SSI Hanoï"
    )
    _through(w, "M1", date(2013, 5, 1), date(2013, 10, 7), date(2013, 10, 11), eur("12000"))
    _delivered(w, "M1", date(2013, 10, 7), date(2013, 10, 11), Decimal("11500.50"), 4)
    w.change(Mission, "M1", lambda m: m.correct(CTX, {"title": "Scène de crime"}, "titre", TODAY))
    _request(
        w,
        "M2",
        "training-course",
        ["VN"],
        ["trafficking-in-human-beings", "organised-crime"],
        date(2013, 3, 1),
        "SSI Hanoï",
    )
    _through(w, "M2", date(2013, 3, 20), date(2013, 7, 8), date(2013, 7, 12), eur("8000"))
    _delivered(w, "M2", date(2013, 7, 8), date(2013, 7, 12), Decimal("7999.99"), 5)
    _request(w, "M3", "expert-mission", ["LA"], ["narcotics"], date(2013, 6, 1), "SSI Hanoï")
    _through(w, "M3", date(2013, 6, 10), date(2013, 9, 2), date(2013, 9, 6), (Decimal(5000), "USD"))
    w.change(Mission, "M3", lambda m: m.cancel(CTX, date(2013, 8, 15), "crise politique"))
    _request(
        w,
        "M4",
        "audit-mission",
        ["VN", "KH"],
        ["border-management"],
        date(2013, 8, 1),
        classification=RESTRICTED,
    )
    _through(w, "M4", date(2013, 8, 20), date(2013, 12, 1), date(2013, 12, 5), eur("3000"))
    w.change(Mission, "M4", lambda m: m.launch(CTX, date(2013, 12, 1)))
    _request(w, "M5", "seminar", ["MA"], ["terrorism"], date(2013, 1, 15))
    w.change(Mission, "M5", lambda m: m.decline(CTX, date(2013, 2, 1), "MEAE", "D-M5", "non"))
    _request(w, "M6", "study-visit", ["KH"], ["cybercrime"], date(2014, 5, 2))
    _request(
        w, "M7", "exercise", ["VN"], ["crisis-management-and-civil-protection"], date(2014, 2, 1)
    )
    _request(w, "M8", "expert-mission", ["VN"], ["forensic-science"], date(2013, 11, 1))
    _through(w, "M8", date(2013, 11, 20), date(2014, 2, 10), date(2014, 2, 14), eur("4000"))
    _request(w, "M9", "regional-conference", ["MA"], ["organised-crime"], date(2013, 2, 1))
    _through(
        w, "M9", date(2013, 2, 20), date(2013, 5, 20), date(2013, 5, 22), (Decimal(2000), "USD")
    )
    w.change(
        Mission,
        "M9",
        lambda m: m.schedule(
            CTX,
            date(2013, 6, 10),
            date(2013, 6, 12),
            "Rabat",
            2,
            (Decimal(2000), "USD"),
            date(2013, 4, 1),
        ),
        lambda m: m.correct(CTX, {"themes": ["organised-crime", "narcotics"]}, "oubli", TODAY),
    )


def _plan(
    w: Recording,
    name: str,
    country: str | None,
    site: str,
    start: date,
    end: date,
    organisation: str | None = None,
) -> None:
    w.create(
        name,
        lambda id: DelegationVisit.plan(
            CTX,
            id=id,
            country=country,
            organisation=organisation,
            head_of_delegation=name,
            size=8,
            start_date=start,
            end_date=end,
            host_site=site,
            topics=["border-management"],
            classification=PUBLIC,
        ),
    )


def _delegations(w: Recording) -> None:
    _plan(w, "D1", "VN", BEAUVAU, date(2013, 10, 14), date(2013, 10, 16))
    w.change(DelegationVisit, "D1", lambda d: d.host(CTX, date(2013, 10, 14), 7))
    _plan(w, "D2", "MA", ASNIERES, date(2013, 6, 3), date(2013, 6, 5))
    w.change(DelegationVisit, "D2", lambda d: d.host(CTX, date(2013, 6, 4), 5))
    _plan(w, "D3", None, BEAUVAU, date(2013, 11, 5), date(2013, 11, 6), organisation="EUROPOL")
    w.change(
        DelegationVisit,
        "D3",
        lambda d: d.host(CTX, date(2013, 11, 5), 4),
        lambda d: d.correct(CTX, {"head_of_delegation": "Mme Directrice"}, "nom", TODAY),
    )
    _plan(w, "D4", "KH", AIX, date(2014, 7, 1), date(2014, 7, 3))
    w.change(
        DelegationVisit,
        "D4",
        lambda d: d.reschedule(CTX, date(2014, 7, 8), date(2014, 7, 10), date(2014, 5, 1)),
    )
    _plan(w, "D5", "LA", BEAUVAU, date(2014, 3, 1), date(2014, 3, 2))
    w.change(DelegationVisit, "D5", lambda d: d.cancel(CTX, date(2014, 2, 20), "report"))


# --- helpers ------------------------------------------------------------------


def walk(fetch: Callable[[str | None], queries.Page]) -> list[str]:
    """Every id of a list, page by page."""
    seen: list[str] = []
    cursor: str | None = None
    while True:
        page = fetch(cursor)
        seen.extend(item["id"] for item in page.items)
        cursor = page.next_cursor
        if cursor is None:
            return seen


def applied_events(store: ViewStore) -> int:
    """Each applied event sets its row's version one higher: the sum counts applications."""
    with store.read(TENANT) as session:
        return sum(
            sum(row.version for row in session.connection.execute(table.select()))
            for table in session.tables.record_tables.values()
        )


def contents(store: ViewStore) -> dict[str, list[dict[str, Any]]]:
    with store.read(TENANT) as session:
        return view_contents(session)


class ListLog:
    """An EventLog over a fixed list of records: the test's way to publish what the
    real producers never would (duplicates at later offsets, unknown event types)."""

    def __init__(self, records: Sequence[LogRecord]) -> None:
        self.records = list(records)

    def topics(self) -> list[str]:
        return [topic_for(TENANT)]

    def partitions(self, topic: str) -> list[int]:
        return [0]

    def read(self, topic: str, partition: int, after: int, limit: int) -> list[LogRecord]:
        return [r for r in self.records if r.offset > after][:limit]

    def end_offset(self, topic: str, partition: int) -> int:
        return self.records[-1].offset if self.records else -1


class CrashAt:
    """Handlers that raise on the n-th event they apply, as a crash half-way would."""

    def __init__(self, n: int) -> None:
        self.n, self.calls = n, 0

    def wrap(self, handlers: Mapping[str, Handler]) -> dict[str, Handler]:
        return {kind: self._counted(handler) for kind, handler in handlers.items()}

    def _counted(self, handler: Handler) -> Handler:
        def apply(session: ViewSession, event: Any) -> None:
            self.calls += 1
            if self.calls == self.n:
                raise RuntimeError("simulated crash")
            handler(session, event)

        return apply


def refs(recording: Recording, page: queries.Page) -> list[str]:
    """The scenario's names of a page's records, in page order."""
    return [recording.name_of(item) for item in page.items]


# --- the read side answers ------------------------------------------------------


def test_every_published_event_type_has_a_handler() -> None:
    published = {
        type_name(aggregate_type_of(cls), event)
        for cls in AGGREGATES
        for event in event_classes(cls)
    }
    assert published - set(HANDLERS) == set()
    columns = tables_for(None).record_tables
    for cls in AGGREGATES:  # a correction of any correctable field has somewhere to go
        recorded = {n for name in cls.correctable for n in cls.recorded_as.get(name, (name,))}
        assert recorded <= set(columns[aggregate_type_of(cls)].c.keys())


def test_views_reflect_the_position_of_the_last_event(
    projected: ViewStore, scenario: Recording
) -> None:
    records = scenario.records()
    assert len(records) == 60
    reached = current_position(projected, TENANT)
    assert reached.position == records[-1].event.position
    assert reached.recorded_at == records[-1].event.time
    assert applied_events(projected) == 60


def test_agreements_register(projected: ViewStore, scenario: Recording) -> None:
    def register(**filters: Any) -> list[str]:
        page = queries.agreements_register(projected, TENANT, today=TODAY, **filters)
        return refs(scenario, page)

    assert register() == ["A6", "A3", "A2", "A5", "A1", "A4"]  # newest signature first
    assert register(status="in-force") == ["A6", "A2", "A1"]
    assert register(status="suspended") == ["A3"]
    assert register(status="terminated") == ["A5"]
    assert register(status="expired") == ["A4"]  # derived: expired on 2012-01-10
    assert register(expiring_within_days=90) == ["A2"]  # 2014-06-15
    assert register(expiring_within_days=10) == []
    assert register(country="VN") == ["A3", "A5", "A1"]
    assert register(kind="funding-convention", status="in-force") == ["A1"]

    page = queries.agreements_register(projected, TENANT, today=TODAY, kind="funding-convention")
    a1 = page.items[0]
    assert a1["funding"] == {"amount": "1000000.00", "currency": "EUR"}
    assert (a1["term_start"], a1["expires_on"]) == ("2014-12-09", "2015-12-09")  # renewed
    assert (a1["version"], page.total, page.as_of.position) == (2, 1, page.as_dict()["position"])
    a6 = queries.agreements_register(projected, TENANT, today=TODAY, limit=1).items[0]
    assert (a6["title"], a6["amendment_count"], a6["classification"]) == (
        "Accord EUROPOL",
        1,
        "restricted",
    )
    a4 = queries.agreements_register(projected, TENANT, today=TODAY, status="expired").items[0]
    assert (a4["status"], a4["recorded_status"]) == ("expired", "in-force")
    with pytest.raises(ValidationError) as refused:
        queries.agreements_register(projected, TENANT, today=TODAY, status="active")
    assert refused.value.field == "status"


def test_missions_board(projected: ViewStore, scenario: Recording) -> None:
    def board(**filters: Any) -> list[str]:
        return refs(scenario, queries.missions_board(projected, TENANT, **filters))

    assert board() == ["M6", "M7", "M8", "M4", "M3", "M1", "M2", "M9", "M5"]
    assert board(status="requested") == ["M6", "M7"]
    assert board(status="evaluated") == ["M1", "M2"]
    assert board(country="KH") == ["M6", "M4", "M1"]
    assert board(theme="forensic-science") == ["M8", "M1"]
    assert board(theme="narcotics") == ["M3", "M9"]  # M9's themes were corrected
    assert board(mission_type="training-course") == ["M1", "M2"]
    assert board(year=2013) == ["M4", "M3", "M1", "M2", "M9", "M5"]
    assert board(year=2014) == ["M6", "M7", "M8"]  # M8 starts in 2014
    assert board(post_id=str(scenario.ids["SSI Hanoï"])) == ["M3", "M1", "M2"]

    m1 = queries.missions_board(projected, TENANT, status="evaluated").items[0]
    assert (m1["title"], m1["rating"], m1["participants"]) == ("Scène de crime", 4, 25)
    assert m1["budget"] == {"amount": "12000.00", "currency": "EUR"}
    assert m1["actual_cost"] == {"amount": "11500.50", "currency": "EUR"}
    with pytest.raises(ValidationError):
        queries.missions_board(projected, TENANT, theme="football")


def test_requests_awaiting_validation_oldest_first(
    projected: ViewStore, scenario: Recording
) -> None:
    page = queries.awaiting_validation(projected, TENANT, today=TODAY)

    waiting = [(scenario.name_of(i), i["waiting_days"]) for i in page.items]
    assert waiting == [("M7", 120), ("M6", 30)]


def test_delegations_calendar(projected: ViewStore, scenario: Recording) -> None:
    def calendar(**filters: Any) -> list[str]:
        return refs(scenario, queries.delegations_calendar(projected, TENANT, **filters))

    assert calendar() == ["D2", "D1", "D3", "D5", "D4"]  # earliest first
    assert calendar(from_date=date(2014, 1, 1)) == ["D5", "D4"]
    assert calendar(from_date=date(2013, 10, 15), to_date=date(2013, 11, 5)) == ["D1", "D3"]
    assert calendar(status="planned") == ["D4"]
    assert calendar(country="VN") == ["D1"]
    assert calendar(host_site=BEAUVAU) == ["D1", "D3", "D5"]

    d4 = queries.delegations_calendar(projected, TENANT, status="planned").items[0]
    assert (d4["start_date"], d4["reschedulings"]) == ("2014-07-08", 1)
    d3 = queries.delegations_calendar(projected, TENANT, to_date=date(2013, 12, 31)).items[2]
    assert (d3["head_of_delegation"], d3["organisation"], d3["country"]) == (
        "Mme Directrice",
        "EUROPOL",
        None,
    )
    with pytest.raises(ValidationError):
        queries.delegations_calendar(
            projected, TENANT, from_date=date(2014, 1, 2), to_date=date(2014, 1, 1)
        )


def test_country_file(projected: ViewStore, scenario: Recording) -> None:
    vietnam = queries.country_file(projected, TENANT, "VN", today=TODAY)

    assert vietnam["country"]["code"] == "VN"
    assert vietnam["counts"] == {
        "agreements": 3,
        "missions": 4,
        "delegations": 1,
        "posts": 1,
        "agreements_by_status": {"in-force": 1, "suspended": 1, "terminated": 1},
        "missions_by_status": {"evaluated": 1, "launched": 1, "requested": 1, "scheduled": 1},
    }
    assert [scenario.name_of(m) for m in vietnam["missions"]] == ["M7", "M8", "M4", "M2"]
    assert [p["name"] for p in vietnam["posts"]] == ["SSI Hanoï"]
    cambodia = queries.country_file(projected, TENANT, "KH", today=TODAY)
    assert [p["name"] for p in cambodia["posts"]] == ["SSI Phnom Penh"]  # since 2014-01-01
    assert [scenario.name_of(a) for a in cambodia["agreements"]] == ["A2"]
    assert cambodia["position"] == vietnam["position"] > 0
    with pytest.raises(ValidationError):
        queries.country_file(projected, TENANT, "XX", today=TODAY)


def test_annual_activity_report(projected: ViewStore) -> None:
    report = queries.annual_report(projected, TENANT, 2013)

    missions = report["missions"]  # M1, M2 evaluated; M4 launched; M9 scheduled
    assert missions["total"] == 4
    assert missions["by_type"] == {
        "audit-mission": 1,
        "regional-conference": 1,
        "training-course": 2,
    }
    assert missions["by_theme"] == {
        "border-management": 1,
        "forensic-science": 1,
        "narcotics": 1,
        "organised-crime": 2,
        "trafficking-in-human-beings": 1,
    }
    assert missions["by_country"] == {"KH": 2, "MA": 1, "VN": 2}
    assert [(p["name"], p["actions"]) for p in missions["by_post"]] == [
        ("SSI Hanoï", 3),
        ("SSI Rabat", 1),
    ]
    assert report["agreements"]["signed"] == {
        "total": 3,
        "by_kind": {
            "bilateral-cooperation-agreement": 1,
            "intergovernmental-agreement": 1,
            "letter-of-intent": 1,
        },
    }
    assert report["agreements"]["in_force_at_year_end"]["total"] == 4  # A1 A2 A3 A6
    assert report["delegations"]["by_host_site"] == {ASNIERES: 1, BEAUVAU: 2}
    assert report["budgets"]["budget"] == {"EUR": "23000.00", "USD": "2000.00"}
    assert report["budgets"]["actual_cost"] == {"EUR": "19500.49"}
    assert report["evaluations"] == {
        **report["evaluations"],
        "count": 2,
        "average_rating": "4.50",
    }
    for section in ("missions", "agreements", "delegations", "budgets", "evaluations"):
        assert set(report[section]["counting_rule"]) == {"fr", "en"}
    assert report["as_of"]["position"] == report["position"] > 0
    following = queries.annual_report(projected, TENANT, 2014)
    assert [(p["name"], p["actions"]) for p in following["missions"]["by_post"]] == [
        ("SSI Hanoï", 1)  # M8 in VN; KH had moved to Phnom Penh, but M8 is in VN only
    ]


# --- pagination -------------------------------------------------------------------


@pytest.mark.parametrize("limit", [1, 2, 4])
def test_pages_walk_every_row_exactly_once(projected: ViewStore, limit: int) -> None:
    def agreements(cursor: str | None) -> queries.Page:
        return queries.agreements_register(
            projected, TENANT, today=TODAY, limit=limit, cursor=cursor
        )

    def missions(cursor: str | None) -> queries.Page:
        return queries.missions_board(projected, TENANT, limit=limit, cursor=cursor)

    def delegations(cursor: str | None) -> queries.Page:
        return queries.delegations_calendar(projected, TENANT, limit=limit, cursor=cursor)

    for fetch, count in ((agreements, 6), (missions, 9), (delegations, 5)):
        whole = [item["id"] for item in fetch(None).items] if limit >= count else None
        seen = walk(fetch)
        assert len(seen) == len(set(seen)) == count
        assert whole is None or seen == whole


def test_pages_neither_skip_nor_repeat_when_rows_arrive(
    store: ViewStore, recording: Recording
) -> None:
    for month in range(1, 6):
        _request(recording, f"R{month}", "seminar", ["VN"], ["terrorism"], date(2013, month, 1))
    projector = Projector(store, recording.log, [TENANT])
    projector.catch_up()

    first = queries.missions_board(store, TENANT, limit=2)
    _request(recording, "newest", "seminar", ["VN"], ["terrorism"], date(2014, 5, 1))
    _request(recording, "oldest", "seminar", ["VN"], ["terrorism"], date(2012, 1, 1))
    projector.catch_up()

    def next_pages(cursor: str | None) -> queries.Page:  # resumes after the first page
        return queries.missions_board(store, TENANT, limit=2, cursor=cursor or first.next_cursor)

    rest = [recording.name_of({"id": id}) for id in walk(next_pages)]

    seen = [recording.name_of(item) for item in first.items] + rest
    assert seen == ["R5", "R4", "R3", "R2", "R1", "oldest"]  # "newest" sorts before the cursor


def test_every_page_carries_the_whole_total_and_the_views_position(
    projected: ViewStore,
) -> None:
    """Also the last page, and a page past the end: the total counts every matching row."""
    position = current_position(projected, TENANT).position
    pages = []
    cursor: str | None = None
    while True:
        page = queries.missions_board(projected, TENANT, limit=4, cursor=cursor)
        pages.append(page)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert [len(p.items) for p in pages] == [4, 4, 1]
    assert {(p.total, p.as_of.position) for p in pages} == {(9, position)}
    assert position > 0
    only_vn = queries.missions_board(projected, TENANT, country="VN", limit=1)
    assert 1 <= only_vn.total < 9  # the filter's count, not the table's
    nothing = queries.missions_board(projected, TENANT, country="ZW")
    assert (nothing.items, nothing.total, nothing.next_cursor) == ([], 0, None)
    assert nothing.as_of.position == position


def test_an_empty_view_answers_an_empty_page_at_position_zero(store: ViewStore) -> None:
    page = queries.missions_board(store, TENANT)
    assert (page.items, page.total, page.next_cursor, page.as_of.position) == ([], 0, None, 0)


def test_bad_limits_and_cursors_are_refused(projected: ViewStore) -> None:
    for limit in (0, 201):
        with pytest.raises(ValidationError) as refused:
            queries.missions_board(projected, TENANT, limit=limit)
        assert refused.value.field == "limit"
    cursor = queries.agreements_register(projected, TENANT, today=TODAY, limit=1).next_cursor
    for wrong in ("not-a-cursor", cursor):
        with pytest.raises(ValidationError) as refused:
            queries.missions_board(projected, TENANT, cursor=wrong)
        assert refused.value.rule == "invalid-cursor"


# --- the projector's guarantees ------------------------------------------------------


def test_a_crash_half_way_through_a_batch_leaves_neither_rows_nor_tracking(
    store: ViewStore, scenario: Recording
) -> None:
    records = scenario.records()
    crash = CrashAt(25)  # the 5th event of the 3rd batch of 10
    failing = Projector(store, scenario.log, [TENANT], handlers=crash.wrap(HANDLERS), page_size=10)

    with pytest.raises(RuntimeError, match="simulated crash"):
        failing.catch_up()

    assert applied_events(store) == 20
    assert current_position(store, TENANT).position == records[19].event.position
    assert Projector(store, scenario.log, [TENANT], page_size=10).catch_up() == 40
    assert applied_events(store) == 60
    with store.read(TENANT) as session:  # increments prove each event applied once
        tables = session.tables
        amendments = session.connection.execute(tables.agreements.select()).mappings()
        assert sorted(row["amendment_count"] for row in amendments) == [0, 0, 0, 0, 0, 1]
        visits = session.connection.execute(tables.delegations.select()).mappings()
        assert sorted(row["reschedulings"] for row in visits) == [0, 0, 0, 0, 1]


def test_redelivered_events_change_nothing(store: ViewStore, scenario: Recording) -> None:
    records = scenario.records()
    Projector(store, scenario.log, [TENANT]).catch_up()
    before = contents(store)
    end = records[-1].offset
    republished = [replace(r, offset=end + 1 + i) for i, r in enumerate(records[10:40])]

    consumed = Projector(store, ListLog(records + republished), [TENANT]).catch_up()

    after = contents(store)
    assert consumed == 30
    assert after.pop("view_tracking")[0]["offset"] == republished[-1].offset
    assert before.pop("view_tracking")[0]["position"] == records[-1].event.position
    assert after == before
    assert Projector(store, scenario.log, [TENANT]).catch_up() == 0


STOPPERS: dict[str, tuple[type[ProjectionError], Callable[[EventEnvelope], EventEnvelope]]] = {
    "unknown-event": (
        UnknownEventTypeError,
        lambda e: replace(e, type="fr.interieur.entente.mission.teleported.v1"),
    ),
    "newer-version": (UnknownEventTypeError, lambda e: replace(e, type=e.type[:-1] + "9")),
    "other-tenant": (TenantMismatchError, lambda e: replace(e, tenant="gendarmerie")),
    "unreadable-payload": (UnexpectedEventDataError, lambda e: replace(e, data={})),
    "missing-version": (AggregateVersionGapError, lambda e: replace(e, version=e.version + 1)),
}


@pytest.mark.parametrize("case", list(STOPPERS))
def test_a_record_it_cannot_apply_stops_the_projector_before_it(
    store: ViewStore, scenario: Recording, case: str
) -> None:
    error, spoil = STOPPERS[case]
    records = [replace(r, offset=2 * r.offset) for r in scenario.records()]
    stranger = replace(records[30], offset=records[29].offset + 1)
    stranger = replace(stranger, event=spoil(stranger.event))
    log = ListLog([*records[:30], stranger, *records[30:]])
    projector = Projector(  # strict: poison stops it too (parking: tests/projector)
        store, log, [TENANT], page_size=10, dead_letters=None, schema_check=None
    )

    for _attempt in range(2):  # stopped, and stays stopped: it never skips
        with pytest.raises(error) as stopped:
            projector.catch_up()
        assert stopped.value.offset == stranger.offset
        assert applied_events(store) == 30
        assert current_position(store, TENANT).position == records[29].event.position


def test_wait_for_position_reads_your_writes(store: ViewStore, recording: Recording) -> None:
    _request(recording, "R1", "seminar", ["VN"], ["terrorism"], date(2014, 1, 6))
    first = recording.records()[-1].event.position

    with pytest.raises(NotYetVisibleError) as not_yet:
        wait_for_position(store, TENANT, first, timeout_s=0.05)
    assert not_yet.value.position == first

    runner = ProjectorThread(Projector(store, recording.log, [TENANT]), poll_interval=0.05)
    runner.start()
    try:
        assert wait_for_position(store, TENANT, first, timeout_s=5).position >= first
        _request(recording, "R2", "seminar", ["VN"], ["terrorism"], date(2014, 1, 7))
        second = recording.records()[-1].event.position
        runner.wake()
        assert wait_for_position(store, TENANT, second, timeout_s=5).position == second
        assert queries.missions_board(store, TENANT).total == 2
    finally:
        runner.stop()
    assert runner.failure is None


def test_rebuild_from_zero_gives_the_live_views_and_swaps_them_in(
    store: ViewStore, recording: Recording
) -> None:
    record_scenario(recording)
    Projector(store, recording.log, [TENANT]).catch_up()
    live = contents(store)

    rebuilt = rebuild(store, recording.log, TENANT)

    assert contents(store) == live
    assert rebuilt.position == recording.records()[-1].event.position
    _request(recording, "late", "seminar", ["VN"], ["terrorism"], date(2014, 5, 30))
    again = rebuild(store, recording.log, TENANT)  # picks up what live had not seen yet
    assert again.position == recording.records()[-1].event.position
    assert refs(recording, queries.missions_board(store, TENANT, limit=1)) == ["late"]


def test_a_second_rebuild_of_the_same_views_is_refused_while_one_runs(
    store: ViewStore, recording: Recording
) -> None:
    """Probe 11: two rebuilds shared the rebuild area; the second emptied it under the
    first, which swapped in views behind the log's end."""
    record_scenario(recording)
    Projector(store, recording.log, [TENANT]).catch_up()
    live = contents(store)

    class SecondRebuild(EmbeddedEventLog):
        """The first rebuild's log: on its first read, a second rebuild starts."""

        tried: list[str] = []

        def read(self, *args: Any, **kwargs: Any) -> Any:
            if not self.tried:
                with pytest.raises(RebuildRunningError) as refused:
                    rebuild(store, recording.log, TENANT)
                self.tried.append(refused.value.detail)
            return super().read(*args, **kwargs)

    first = rebuild(store, SecondRebuild({TENANT: recording.ledger}), TENANT)

    assert SecondRebuild.tried == [
        f"another rebuild of {TENANT!r}'s views is running: wait for it to end (its swap "
        "brings the views to the log's end); nothing was changed"
    ]
    assert first.position == recording.records()[-1].event.position
    assert contents(store) == live
    assert rebuild(store, recording.log, TENANT).position == first.position  # lock released


def test_a_wait_on_the_projectors_signal_reads_the_views_once_per_pass_not_in_a_loop(
    store: ViewStore, recording: Recording, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shared.views.waiting as waiting

    looks: list[int] = []

    def counted(store: ViewStore, tenant: str) -> ViewPosition:
        reached = current_position(store, tenant)
        looks.append(reached.position)
        return reached

    # One look first, uncounted: on a loaded machine a cold first query (a new connection,
    # a new schema) once took the whole 0.3 s below, leaving no time for a second look.
    current_position(store, TENANT)
    monkeypatch.setattr(waiting, "current_position", counted)
    _request(recording, "R1", "seminar", ["VN"], ["terrorism"], date(2014, 1, 6))
    position = recording.records()[-1].event.position
    runner = ProjectorThread(Projector(store, recording.log, [TENANT]), poll_interval=0.5)

    with pytest.raises(NotYetVisibleError):  # no pass: asleep between a first and a last look
        wait_for_position(store, TENANT, position, timeout_s=0.3, signal=runner.passes)
    # A first look, one every FALLBACK_S, one at the deadline; polling would look about ten times.
    assert looks[0] == 0
    assert 2 <= len(looks) <= 3
    looks.clear()
    runner.start()
    try:
        reached = wait_for_position(store, TENANT, position, timeout_s=5, signal=runner.passes)
    finally:
        runner.stop()

    assert reached.position == position
    assert 1 <= len(looks) <= 3  # a first look, then one per committed pass


@pytest.mark.postgres
def test_a_projector_in_another_process_wakes_the_waiting_readers_through_postgresql(
    postgres_url: str, recording: Recording
) -> None:
    """The tenant service's listener hears each commit of a projector it does not run."""
    store = PostgresViewStore(postgres_url, [TENANT], schema_prefix=f"t{uuid4().hex[:10]}_")
    listener = ViewChangeListener(postgres_url, [store.schema(TENANT)])
    listener.start()
    try:
        _eventually(lambda: listener.signal.passes >= 1)  # listening
        _request(recording, "R1", "seminar", ["VN"], ["terrorism"], date(2014, 1, 6))
        position = recording.records()[-1].event.position
        heard = listener.signal.passes
        with pytest.raises(RuntimeError):
            _announce_then_roll_back(store)
        _announce_elsewhere(postgres_url, "another_tenant_views")
        time.sleep(0.3)
        assert listener.signal.passes == heard  # a rollback, another schema: not for us

        Projector(store, recording.log, [TENANT]).catch_up()  # "another process"
        reached = wait_for_position(store, TENANT, position, timeout_s=5, signal=listener.signal)

        assert reached.position == position
        assert listener.signal.passes > heard
    finally:
        listener.stop()
        store.drop(TENANT)
        store.dispose()


def _announce_then_roll_back(store: PostgresViewStore) -> None:
    with store.write(TENANT) as session:
        announce(session.connection, store.schema(TENANT))
        raise RuntimeError("roll back")


def _announce_elsewhere(url: str, schema: str) -> None:
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("SELECT pg_notify(%s, %s)", (CHANNEL, schema))


def _eventually(condition: Callable[[], bool], within_s: float = 10.0) -> None:
    deadline = time.monotonic() + within_s
    while not condition():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.05)


# --- amounts in their currency's decimals -------------------------------------------


def test_amounts_keep_their_currencys_decimals_and_earlier_records_are_never_rounded(
    store: ViewStore, recording: Recording
) -> None:
    """A dinar's third decimal reaches the views (the PostgreSQL column was NUMERIC(18, 2),
    which rounds it away), a CFA franc budget shows no decimals, and an amount recorded by
    an earlier release with two decimals in yen is shown in yen's form when no digit
    changes (``1000.00`` → ``1000``), and exactly as recorded otherwise (``10.50``)."""
    budgets = {
        "TND": (Decimal("1.255"), "TND"),
        "XOF": (Decimal("1311914000"), "XOF"),
        "JPY-old": (Decimal(1000), "JPY"),
        "JPY-odd": (Decimal(10), "JPY"),
    }
    for name, budget in budgets.items():
        _request(recording, name, "training-course", ["TN"], ["narcotics"], date(2013, 4, 1))
        _through(recording, name, date(2013, 4, 2), date(2013, 5, 6), date(2013, 5, 7), budget)
    earlier = {  # what releases before 2026-12-06 recorded: two decimals in every currency
        str(recording.ids["JPY-old"]): "1000.00",
        str(recording.ids["JPY-odd"]): "10.50",
    }

    def as_recorded_then(record: LogRecord) -> LogRecord:
        data = record.event.data
        if record.event.aggregate_id in earlier and "budget_amount" in data:
            data = {**data, "budget_amount": earlier[record.event.aggregate_id]}
        return replace(record, event=replace(record.event, data=data))

    log = ListLog([as_recorded_then(r) for r in recording.records()])
    Projector(store, log, [TENANT]).catch_up()

    board = queries.missions_board(store, TENANT, limit=10).items
    shown = {recording.name_of(item): item["budget"] for item in board}
    assert shown == {
        "TND": {"amount": "1.255", "currency": "TND"},
        "XOF": {"amount": "1311914000", "currency": "XOF"},
        "JPY-old": {"amount": "1000", "currency": "JPY"},
        "JPY-odd": {"amount": "10.50", "currency": "JPY"},
    }
    report = queries.annual_report(store, TENANT, 2013)
    assert report["budgets"]["budget"] == {
        "JPY": "1010.50",
        "TND": "1.255",
        "XOF": "1311914000",
    }
