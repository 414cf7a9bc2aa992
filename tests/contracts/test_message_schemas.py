"""Every message the relay would publish conforms to its JSON Schema, and bad ones do not.

Messages are made the way the relay makes them: events recorded through the
ledger (SQLite, in a temporary folder), read back from the notification log,
hash-chained and encoded with ``wire.encode``. Two sets: a small one written
here that covers every event type (corrections of every aggregate, the
Agreement.Signed stored as v1 and upcast, nullable fields both null and set),
and the whole sample data. A schema that refuses a real event would park facts
on the dead-letter topic, so the first set must cover every type the catalogue
lists, and a test says so.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID, uuid4

import pytest
import yaml
from eventsourcing.persistence import StoredEvent
from jsonschema import Draft7Validator, Draft202012Validator

from shared.application.ledger import CooperationLedger
from shared.application.stores import SqliteStore
from shared.domain.agreement import Agreement
from shared.domain.base import EntenteAggregate
from shared.domain.catalogue import AGGREGATE_TYPES, event_classes
from shared.domain.context import Actor, CommandContext
from shared.domain.delegation import DelegationVisit
from shared.domain.mission import Mission
from shared.domain.post import PostAbroad
from shared.domain.vocabulary import Classification
from shared.events import chain, schemas, wire
from shared.events.asyncapi import message_key
from shared.events.envelope import META_FIELDS, EventEnvelope, type_name
from shared.sample_data.loader import load

TENANT = "police"
TODAY = date(2026, 11, 23)
DOCUMENT = Path(__file__).parents[2] / "docs" / "asyncapi.yaml"
A = TypeVar("A", bound=EntenteAggregate)


@dataclass(frozen=True)
class Published:
    """One event as the relay would publish it: the envelope and its Kafka message."""

    event: EventEnvelope
    message: wire.WireMessage

    @property
    def value(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.message.value)
        return parsed

    @property
    def headers(self) -> dict[str, str]:
        return {name: raw.decode() for name, raw in self.message.headers}


def _publish(ledger: CooperationLedger) -> list[Published]:
    """The tenant's log, chained and encoded in notification order, as the relay does."""
    published: list[Published] = []
    link, after = chain.genesis(ledger.tenant), 0
    while batch := ledger.read_log(after, 1000):
        for position, event in batch:
            link = chain.link(link, event)
            published.append(Published(event, wire.encode(event, link)))
            after = position
    return published


class _Recorder:
    """Commands against one ledger without idempotency keys (none is retried here)."""

    def __init__(self, ledger: CooperationLedger, ctx: CommandContext) -> None:
        self.ledger, self.ctx = ledger, ctx

    def create(self, build: Callable[[UUID], EntenteAggregate]) -> UUID:
        return self.ledger.create(build, None).record_id

    def change(self, cls: type[A], record_id: UUID, action: Callable[[A], None]) -> None:
        version = self.ledger.record(cls, record_id).version
        self.ledger.change(cls, record_id, version, action, None)


def _agreements(r: _Recorder) -> None:
    ctx = r.ctx
    funded = r.create(
        lambda id_: Agreement.sign(
            ctx,
            id=id_,
            reference="FR-VN-2019-FC",
            title="Convention de financement",
            kind="funding-convention",
            partner_countries=["VN", "KH"],
            partner_organisations=["UNHCR"],
            themes=["counterfeit-medicines", "narcotics"],
            signed_on=date(2019, 3, 4),
            signed_at="Hanoï",
            duration_months=36,
            funding=(Decimal("125000.50"), "EUR"),
            funder="Ambassade de France",
            classification=Classification.INTERNAL,
            today=TODAY,
        )
    )
    r.change(Agreement, funded, lambda a: a.amend(ctx, date(2020, 1, 2), "Annexe II ajoutée"))
    r.change(Agreement, funded, lambda a: a.amend(ctx, date(2020, 2, 3), "Annexe III"))
    r.change(
        Agreement,
        funded,
        lambda a: a.withdraw_amendment(ctx, "Annexe d'un autre accord", date(2020, 2, 4)),
    )
    r.change(Agreement, funded, lambda a: a.renew(ctx, date(2021, 5, 6), 24))
    r.change(Agreement, funded, lambda a: a.renew(ctx, date(2021, 6, 1), 12))
    r.change(
        Agreement,
        funded,
        lambda a: a.withdraw_renewal(ctx, "Renouvellement saisi deux fois", date(2021, 6, 2)),
    )
    r.change(Agreement, funded, lambda a: a.suspend(ctx, date(2021, 7, 1), "Crise sanitaire"))
    r.change(Agreement, funded, lambda a: a.resume(ctx, date(2021, 9, 1)))
    r.change(
        Agreement,
        funded,
        lambda a: a.correct(
            ctx,
            {"title": "Convention de financement (révisée)", "themes": ["narcotics"]},
            "Intitulé officiel",
            date(2021, 9, 2),
        ),
    )
    r.change(
        Agreement,
        funded,
        lambda a: a.correct(ctx, {"classification": "public"}, "Publié", date(2021, 9, 3)),
    )
    r.change(Agreement, funded, lambda a: a.suspend(ctx, date(2021, 10, 1), "Audit"))
    r.change(Agreement, funded, lambda a: a.terminate(ctx, date(2021, 12, 1), "Saisie erronée"))
    r.change(  # back to suspended: a date in ``suspended_on``
        Agreement,
        funded,
        lambda a: a.withdraw_status_change(ctx, "Mauvais accord", date(2021, 12, 2)),
    )
    r.change(Agreement, funded, lambda a: a.terminate(ctx, date(2022, 1, 1), "Objet atteint"))
    r.create(  # every nullable field null, organisations only
        lambda id_: Agreement.sign(
            ctx,
            id=id_,
            reference="FR-INTERPOL-2020-LOI",
            title="Lettre d'intention",
            kind="letter-of-intent",
            partner_countries=[],
            partner_organisations=["INTERPOL"],
            themes=["organised-crime"],
            signed_on=date(2020, 2, 3),
            signed_at="Lyon",
            duration_months=None,
            funding=None,
            funder=None,
            classification=Classification.PUBLIC,
            today=TODAY,
        )
    )


def _missions(r: _Recorder, post: UUID) -> None:
    ctx = r.ctx

    def request(title: str, post_id: str | None) -> UUID:
        return r.create(
            lambda id_: Mission.request(
                ctx,
                id=id_,
                title=title,
                mission_type="training-course",
                countries=["VN"],
                organisations=[],
                themes=["cybercrime"],
                requested_by="Ministère de la sécurité publique",
                post_id=post_id,
                requested_on=date(2024, 1, 10),
                description="",
                classification=Classification.INTERNAL,
                today=TODAY,
            )
        )

    decider, reference = "Ministère de l'Europe et des Affaires étrangères", "MEAE-1"
    done = request("Formation cybercriminalité", str(post))
    r.change(Mission, done, lambda m: m.validate(ctx, date(2024, 2, 1), decider, reference))
    r.change(
        Mission,
        done,
        lambda m: m.schedule(
            ctx,
            date(2024, 3, 4),
            date(2024, 3, 8),
            "Hanoï",
            2,
            (Decimal("24000.00"), "EUR"),
            date(2024, 2, 10),
        ),
    )
    r.change(Mission, done, lambda m: m.launch(ctx, date(2024, 3, 4)))
    r.change(
        Mission,
        done,
        lambda m: m.complete(ctx, date(2024, 3, 8), 18, None, "Objectifs atteints"),
    )
    r.change(Mission, done, lambda m: m.evaluate(ctx, date(2024, 4, 8), 4, "Apprécié", ""))
    r.change(
        Mission,
        done,
        lambda m: m.correct(
            ctx,
            {"place": "Hô Chi Minh-Ville", "organisations": ["EU"], "description": "Cycle 1"},
            "Lieu réel",
            date(2024, 4, 9),
        ),
    )
    r.change(  # delivery figures: money recorded as amount and currency, as the events do
        Mission,
        done,
        lambda m: m.correct(
            ctx,
            {"actual_cost": {"amount": "2395.05", "currency": "EUR"}, "participants": 16},
            "Facture finale",
            date(2024, 4, 10),
        ),
    )
    declined = request("Audit des frontières", None)
    r.change(
        Mission,
        declined,
        lambda m: m.decline(ctx, date(2024, 2, 1), decider, "MEAE-2", "Hors priorités"),
    )
    redeclined = request("Audit des ports", None)
    r.change(
        Mission,
        redeclined,
        lambda m: m.decline(ctx, date(2024, 2, 1), decider, "MEAE-4", "Hors priorités"),
    )
    r.change(
        Mission,
        redeclined,
        lambda m: m.withdraw_decision(ctx, "Mauvaise demande", date(2024, 2, 2)),
    )
    cancelled = request("Séminaire régional", None)
    r.change(Mission, cancelled, lambda m: m.validate(ctx, date(2024, 2, 1), decider, "MEAE-3"))
    r.change(
        Mission,
        cancelled,
        lambda m: m.schedule(
            ctx, date(2024, 5, 6), date(2024, 5, 7), "Vientiane", 0, None, date(2024, 2, 2)
        ),
    )
    r.change(Mission, cancelled, lambda m: m.cancel(ctx, date(2024, 3, 1), "Saisie erronée"))
    r.change(
        Mission,
        cancelled,
        lambda m: m.withdraw_cancellation(ctx, "Autre mission", date(2024, 3, 2)),
    )
    r.change(Mission, cancelled, lambda m: m.cancel(ctx, date(2024, 4, 1), "Contexte"))


def _delegations(r: _Recorder) -> None:
    ctx = r.ctx

    def plan(country: str | None, organisation: str | None) -> UUID:
        return r.create(
            lambda id_: DelegationVisit.plan(
                ctx,
                id=id_,
                country=country,
                organisation=organisation,
                head_of_delegation="Général Nguyen",
                size=6,
                start_date=date(2025, 6, 2),
                end_date=date(2025, 6, 5),
                host_site="Asnières-sur-Seine",
                topics=["crisis-management-and-civil-protection"],
                classification=Classification.INTERNAL,
                planned_on=date(2025, 1, 15),
            )
        )

    hosted = plan("VN", None)
    r.change(
        DelegationVisit,
        hosted,
        lambda d: d.reschedule(ctx, date(2025, 6, 9), date(2025, 6, 12), date(2025, 3, 1)),
    )
    r.change(
        DelegationVisit,
        hosted,
        lambda d: d.correct(ctx, {"host_site": "Aix-en-Provence"}, "Site changé", date(2025, 3, 2)),
    )
    r.change(DelegationVisit, hosted, lambda d: d.host(ctx, date(2025, 6, 10), 5))
    cancelled = plan(None, "EUROPOL")
    r.change(DelegationVisit, cancelled, lambda d: d.cancel(ctx, date(2025, 4, 1), "Erreur"))
    r.change(
        DelegationVisit,
        cancelled,
        lambda d: d.withdraw_cancellation(ctx, "Autre visite", date(2025, 4, 2)),
    )
    r.change(
        DelegationVisit, cancelled, lambda d: d.cancel(ctx, date(2025, 5, 1), "Report sine die")
    )


def _post(r: _Recorder) -> UUID:
    ctx = r.ctx
    post = r.create(
        lambda id_: PostAbroad.open(
            ctx,
            id=id_,
            name="SSI Hanoï",
            city="Hanoï",
            host_country="VN",
            covered_countries=["VN", "KH"],
            opened_on=date(2010, 9, 1),
            classification=Classification.PUBLIC,
        )
    )
    # Vientiane covered Laos until Hanoï took it over: one post per country at a time.
    closed = r.create(
        lambda id_: PostAbroad.open(
            ctx,
            id=id_,
            name="SSI Vientiane",
            city="Vientiane",
            host_country="LA",
            covered_countries=["LA"],
            opened_on=date(2008, 1, 1),
            classification=Classification.PUBLIC,
        )
    )
    r.change(PostAbroad, closed, lambda p: p.close(ctx, date(2014, 12, 1)))  # a slip
    r.change(
        PostAbroad, closed, lambda p: p.withdraw_closure(ctx, "Mauvaise date", date(2014, 12, 2))
    )
    r.change(PostAbroad, closed, lambda p: p.close(ctx, date(2014, 12, 31)))
    r.change(
        PostAbroad,
        post,
        lambda p: p.change_coverage(ctx, ["VN", "KH", "LA"], date(2015, 1, 1)),
    )
    r.change(
        PostAbroad,
        post,
        lambda p: p.redate_coverage(ctx, date(2015, 1, 15), "Date de l'arrêté", date(2015, 2, 1)),
    )
    r.change(
        PostAbroad,
        post,
        lambda p: p.correct(ctx, {"city": "Hà Nội"}, "Graphie officielle", date(2015, 2, 1)),
    )
    r.change(
        PostAbroad,
        post,
        lambda p: p.redate_opening(ctx, date(2010, 10, 1), "Date du décret", date(2015, 2, 2)),
    )
    return post


#: An Agreement.Signed as stored before partners became lists (class_version 1).
V1_SIGNED_STATE = {
    "timestamp": {"_type_": "datetime_iso", "_data_": "2011-12-09T10:00:00+00:00"},
    "originator_topic": "shared.domain.agreement:Agreement",
    "tenant": TENANT,
    "business_time": {"_type_": "datetime_iso", "_data_": "2011-12-09T00:00:00+00:00"},
    "actor_id": "legacy-import",
    "actor_name": "Reprise de l'historique",
    "correlation_id": "legacy-1",
    "causation_id": None,
    "classification": "internal",
    "reference": "FR-VN-2011-CM",
    "title": "Convention contrefaçon de médicaments",
    "kind": "funding-convention",
    "partner_country": "VN",
    "themes": ["counterfeit-medicines"],
    "signed_on": {"_type_": "date_iso", "_data_": "2011-12-09"},
    "signed_at": "Hanoï",
    "duration_months": 36,
    "funding_amount": {"_type_": "decimal_str", "_data_": "1000000.00"},
    "funding_currency": "EUR",
    "funder": "Ambassade de France",
}


def _store_v1_signature(ledger: CooperationLedger) -> None:
    stored = StoredEvent(
        originator_id=uuid4(),
        originator_version=1,
        topic="shared.domain.agreement:Agreement.Signed",
        state=json.dumps(V1_SIGNED_STATE).encode(),
    )
    ledger.recorder.insert_events([stored])


def _clock() -> datetime:
    return datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def representative(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Published]]:
    """At least one message of every event type, as the relay would publish them."""
    ledger = CooperationLedger(
        TENANT, SqliteStore(tmp_path_factory.mktemp("representative")), clock=_clock
    )
    actor = Actor("u-42", "Claire Martin")
    _store_v1_signature(ledger)
    recorder = _Recorder(ledger, CommandContext(TENANT, actor, causation_id="cmd-7"))
    _agreements(recorder)
    _missions(recorder, _post(recorder))
    _delegations(recorder)
    yield _publish(ledger)
    ledger.close()


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Published]]:
    """The whole sample data of the three directorates (a few thousand events)."""
    store = SqliteStore(tmp_path_factory.mktemp("sample"))
    ledgers = {
        t: CooperationLedger(t, store) for t in ("police", "gendarmerie", "civil-protection")
    }
    load(ledgers, TODAY)
    yield [published for ledger in ledgers.values() for published in _publish(ledger)]
    for ledger in ledgers.values():
        ledger.close()


def _violations(messages: list[Published]) -> list[str]:
    found = []
    for published in messages:
        try:
            schemas.validate_message(published.event.type, published.message.value)
        except schemas.SchemaViolationError as error:
            found.append(error.detail)
    return found


ALL_TYPES = list(schemas.event_types())


def test_the_schemas_cover_exactly_the_catalogue() -> None:
    expected = {
        type_name(kind, e) for cls, kind in AGGREGATE_TYPES.items() for e in event_classes(cls)
    }

    assert set(ALL_TYPES) == expected
    assert len(ALL_TYPES) == len(expected)


def test_the_representative_set_has_every_event_type(representative: list[Published]) -> None:
    assert {p.event.type for p in representative} == set(ALL_TYPES)


@pytest.mark.parametrize("event_type", ALL_TYPES)
def test_every_message_of_the_set_conforms(
    representative: list[Published], event_type: str
) -> None:
    messages = [p for p in representative if p.event.type == event_type]

    assert messages, f"the representative set has no {event_type}"
    assert _violations(messages) == []


def test_every_message_of_the_sample_data_conforms(sample: list[Published]) -> None:
    by_type: dict[str, int] = defaultdict(int)
    for published in sample:
        by_type[published.event.type] += 1

    assert len(sample) > 4000
    assert len(by_type) >= 10
    assert _violations(sample) == []


def test_the_upcast_v1_signature_is_published_and_valid_as_v2(
    representative: list[Published],
) -> None:
    [upcast] = [p for p in representative if p.event.data.get("reference") == "FR-VN-2011-CM"]

    assert upcast.event.type == "fr.interieur.entente.agreement.signed.v2"
    assert upcast.value["payload"]["partner_countries"] == ["VN"]
    schemas.validate_message(upcast.event.type, upcast.message.value)


def test_payloads_carry_every_field_and_only_the_fields(representative: list[Published]) -> None:
    """The schema's ``required`` (every field, nullable too) matches what is published."""
    for published in representative:
        required = schemas.payload_schema(published.event.type)["required"]
        assert sorted(published.value["payload"]) == sorted(required), published.event.type


def test_every_header_set_conforms_and_names_the_value_schema(
    representative: list[Published],
) -> None:
    headers_validator = Draft202012Validator(
        schemas.HEADERS_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    for published in representative:
        headers = published.headers
        assert list(headers_validator.iter_errors(headers)) == []
        assert headers["ce_dataschema"] == schemas.message_schema(headers["ce_type"])["$id"]
        assert published.message.key == published.event.aggregate_id.encode()


def test_an_absent_causation_id_is_an_absent_header(sample: list[Published]) -> None:
    """The one optional header: the sample's events have no cause, so none carries it."""
    assert all("ce_causationid" not in p.headers for p in sample)
    validator = Draft202012Validator(schemas.HEADERS_SCHEMA)
    assert list(validator.iter_errors(sample[0].headers)) == []


def test_an_amount_given_in_exponent_form_is_recorded_in_its_currency_and_old_forms_stay_valid(
    tmp_path: Path,
) -> None:
    """The domain records ``1E+3`` CFA francs as ``1000`` (XOF has no minor unit);
    events recorded earlier with the exponent form, or with two decimals in every
    currency (before 2026-12-06), are facts of the log, so the schema keeps accepting
    them (refusing them would park real events on the dead-letter topic at the next
    rebuild).
    """
    ledger = CooperationLedger(TENANT, SqliteStore(tmp_path), clock=_clock)
    ctx = CommandContext(TENANT, Actor("u-1", "Claire Martin"))
    ledger.create(
        lambda id_: Agreement.sign(
            ctx,
            id=id_,
            reference="FR-SN-2024-FC",
            title="Convention",
            kind="funding-convention",
            partner_countries=["SN"],
            partner_organisations=[],
            themes=["road-safety"],
            signed_on=date(2024, 1, 2),
            signed_at="Dakar",
            duration_months=12,
            funding=(Decimal("1E+3"), "XOF"),
            funder="AFD",
            classification=Classification.PUBLIC,
            today=TODAY,
        ),
        None,
    )
    [published] = _publish(ledger)
    ledger.close()

    assert published.value["payload"]["funding_amount"] == "1000"  # XOF: no decimals
    schemas.validate_message(published.event.type, published.message.value)
    # Events recorded before amounts were normalised carry "1E+3", and before amounts
    # followed their currency "1000.00": the log keeps them.
    for earlier in ("1E+3", "1000.00"):
        payload = {**published.value["payload"], "funding_amount": earlier}
        schemas.validate_message(
            published.event.type, json.dumps({**published.value, "payload": payload})
        )


# --- what must fail ----------------------------------------------------------

SIGNED = "fr.interieur.entente.agreement.signed.v2"
CORRECTED = "fr.interieur.entente.mission.corrected.v1"


@pytest.fixture
def signed(representative: list[Published]) -> dict[str, Any]:
    """A valid Agreement.Signed value, to break one way per test."""
    first = next(p for p in representative if p.event.type == SIGNED)
    return first.value


def _set(value: dict[str, Any], path: str, new: object) -> dict[str, Any]:
    *parents, last = path.split(".")
    target = value
    for name in parents:
        target = target[name]
    target[last] = new
    return value


def _drop(value: dict[str, Any], path: str) -> dict[str, Any]:
    *parents, last = path.split(".")
    target = value
    for name in parents:
        target = target[name]
    del target[last]
    return value


BREAKAGES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "an extra payload field": lambda v: _set(v, "payload.partner_country", "VN"),
    "an extra top-level key": lambda v: _set(v, "signature", "x"),
    "an extra actor field": lambda v: _set(v, "actor.email", "claire@example.org"),
    "a missing field": lambda v: _drop(v, "payload.title"),
    "a missing nullable field": lambda v: _drop(v, "payload.funder"),
    "a missing actor": lambda v: _drop(v, "actor"),
    "a number for a string": lambda v: _set(v, "payload.title", 42),
    "a string for an integer": lambda v: _set(v, "payload.duration_months", "36"),
    "a float for a decimal": lambda v: _set(v, "payload.funding_amount", 125000.5),
    "a malformed decimal": lambda v: _set(v, "payload.funding_amount", "125 000,50"),
    "a malformed date": lambda v: _set(v, "payload.signed_on", "04/03/2019"),
    "an impossible date": lambda v: _set(v, "payload.signed_on", "2019-02-30"),
    "a term outside the vocabulary": lambda v: _set(v, "payload.themes", ["astrology"]),
    "an alpha-3 country": lambda v: _set(v, "payload.partner_countries", ["VNM"]),
    "a lowercase currency": lambda v: _set(v, "payload.funding_currency", "eur"),
    "a string for a list": lambda v: _set(v, "payload.partner_countries", "VN"),
    "null for a required text": lambda v: _set(v, "payload.title", None),
    "a payload that is a list": lambda v: _set(v, "payload", []),
}


@pytest.mark.parametrize("breakage", list(BREAKAGES))
def test_a_broken_value_is_a_schema_violation(signed: dict[str, Any], breakage: str) -> None:
    broken = BREAKAGES[breakage](signed)

    with pytest.raises(schemas.SchemaViolationError) as raised:
        schemas.validate_message(SIGNED, json.dumps(broken).encode())

    assert raised.value.event_type == SIGNED
    assert not isinstance(raised.value, schemas.UnknownEventTypeError)


def test_the_error_names_the_offending_field(signed: dict[str, Any]) -> None:
    signed["payload"]["duration_months"] = "36"

    with pytest.raises(schemas.SchemaViolationError) as raised:
        schemas.validate_message(SIGNED, signed)

    assert raised.value.problems == ["$.payload.duration_months: must be of type integer or null"]
    assert "duration_months" in raised.value.detail


def test_the_error_lists_every_problem_without_quoting_values(signed: dict[str, Any]) -> None:
    """The reason goes into a dead-letter header: no personal data, whatever was sent."""
    signed["actor"]["name"] = ["Claire Martin"]
    signed["payload"]["title"] = {"Jean Dupont": 1}
    signed["payload"]["themes"] = ["Jean Dupont"]
    signed["payload"]["partner_countries"] = ["Jean Dupont"]
    del signed["payload"]["funder"]
    signed["payload"]["dossier"] = "x"

    with pytest.raises(schemas.SchemaViolationError) as raised:
        schemas.validate_message(SIGNED, signed)

    assert raised.value.problems == [
        "$.actor.name: must be of type string",
        "$.payload: 'funder' is a required property",
        "$.payload: properties not in the schema: dossier",
        "$.payload.partner_countries[0]: does not match ^[A-Z]{2}$",
        "$.payload.themes[0]: not a code of the field's vocabulary",
        "and 1 more",
    ]
    assert "Dupont" not in raised.value.detail
    assert "Claire" not in raised.value.detail


def test_null_is_accepted_where_the_field_is_nullable(signed: dict[str, Any]) -> None:
    for name in ("duration_months", "funding_amount", "funding_currency", "funder"):
        signed["payload"][name] = None

    schemas.validate_message(SIGNED, signed)


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"status": "evaluated"},  # not correctable
        {"themes": ["astrology"]},
        {"classification": "secret"},
        {"title": None},
    ],
    ids=["empty", "not-correctable", "bad-theme", "bad-classification", "null-title"],
)
def test_a_correction_outside_the_correctable_fields_is_a_violation(
    changes: dict[str, Any],
) -> None:
    value = {"payload": {"changes": changes, "reason": "x"}, "actor": {"id": "u", "name": "n"}}

    with pytest.raises(schemas.SchemaViolationError):
        schemas.validate_message(CORRECTED, value)


def test_a_value_that_is_not_json_is_a_violation() -> None:
    with pytest.raises(schemas.SchemaViolationError, match="not JSON"):
        schemas.validate_message(SIGNED, b"\xff\xfe not json")


def test_an_unknown_type_has_its_own_violation() -> None:
    with pytest.raises(schemas.UnknownEventTypeError) as raised:
        schemas.validate_message("fr.interieur.entente.mission.teleported.v1", b"{}")

    assert isinstance(raised.value, schemas.SchemaViolationError)


def test_a_stale_version_of_a_type_is_unknown() -> None:
    """Only current versions are published (older ones are upcast on read)."""
    with pytest.raises(schemas.UnknownEventTypeError):
        schemas.validate_message("fr.interieur.entente.agreement.signed.v1", b"{}")


# --- the schemas themselves and the AsyncAPI document ------------------------


@pytest.mark.parametrize("event_type", ALL_TYPES)
def test_each_schema_is_valid_in_2020_12_and_draft_07(event_type: str) -> None:
    """Draft-07 too: the same objects are AsyncAPI Schema Objects in the document."""
    schema = schemas.message_schema(event_type)

    Draft202012Validator.check_schema(schema)
    Draft7Validator.check_schema({k: v for k, v in schema.items() if k != "$schema"})
    assert schema["$id"] == f"urn:entente:schema:{event_type}"


def test_the_field_name_tables_name_real_string_fields() -> None:
    """A renamed field must not leave a vocabulary rule that silently applies to nothing."""
    fields: dict[str, set[str]] = defaultdict(set)
    for event_type in ALL_TYPES:
        for name, schema in schemas.payload_schema(event_type)["properties"].items():
            fields[name].add(json.dumps(schema.get("items", schema).get("type")))
    named = {*schemas.VOCABULARY_FIELDS, *schemas.COUNTRY_FIELDS, *schemas.CURRENCY_FIELDS}

    for name in named - {"classification"}:  # classification is corrected, never a field
        assert name in fields, f"{name} is in a table but no event has it"
        assert fields[name] <= {'"string"', '["string", "null"]'}, name
    assert not set(fields) & META_FIELDS


def _document() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))
    return loaded


def test_every_event_type_has_a_message_in_the_asyncapi_document() -> None:
    document = _document()
    messages: Mapping[str, Any] = document["components"]["messages"]
    on_topic = document["channels"]["events"]["messages"]
    published = document["operations"]["publishEvents"]["messages"]

    for event_type in ALL_TYPES:
        key = message_key(event_type)
        assert messages[key]["name"] == event_type
        assert on_topic[key] == {"$ref": f"#/components/messages/{key}"}
        assert {"$ref": f"#/channels/events/messages/{key}"} in published
        payload = document["components"]["schemas"][f"{key}Payload"]
        assert payload == schemas.payload_schema(event_type), f"{event_type}: stale schema"
