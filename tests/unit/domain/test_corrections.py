"""Corrections: a mistake is fixed by a new event with a reason; history is never edited."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pycountry
import pytest
from eventsourcing.utils import get_topic

from shared.domain.agreement import Agreement
from shared.domain.base import EntenteAggregate
from shared.domain.context import Actor, CommandContext
from shared.domain.delegation import DelegationVisit
from shared.domain.mission import Mission
from shared.domain.post import PostAbroad
from shared.domain.vocabulary import AgreementKind, Classification, MissionType, Organisation
from shared.errors import DomainRuleViolation, ValidationError

CTX = CommandContext(
    tenant="police",
    actor=Actor(subject="u-2001", name="Anne Petit"),
    correlation_id="corr-fix-1",
)
FIXED_ON = date(2013, 5, 2)


def mission() -> Mission:
    """A requested mission, with a typo in its title."""
    return Mission.request(
        CTX,
        id=uuid4(),
        title="Protection des mineur",
        mission_type="seminar",
        countries=["VN"],
        organisations=[],
        themes=["trafficking-in-human-beings"],
        requested_by="Ministère de la Sécurité publique",
        post_id=None,
        requested_on=date(2013, 3, 1),
        description="",
        classification=Classification.INTERNAL,
        today=date(2013, 12, 31),
    )


def agreement() -> Agreement:
    return Agreement.sign(
        CTX,
        id=uuid4(),
        reference="LOI-2013-KH",
        title="Lettre d'intention",
        kind="letter-of-intent",
        partner_countries=["KH"],
        partner_organisations=[],
        themes=["narcotics"],
        signed_on=date(2013, 2, 1),
        signed_at="Phnom Penh",
        duration_months=None,
        funding=None,
        funder=None,
        classification=Classification.PUBLIC,
        today=date(2013, 12, 31),
    )


def delegation(planned_on: date | None = date(2013, 4, 2)) -> DelegationVisit:
    return DelegationVisit.plan(
        CTX,
        id=uuid4(),
        country="MA",
        organisation=None,
        head_of_delegation="Général Amrani",
        size=6,
        start_date=date(2013, 6, 10),
        end_date=date(2013, 6, 12),
        host_site="Aix-en-Provence",
        topics=["crisis-management-and-civil-protection"],
        classification=Classification.PUBLIC,
        planned_on=planned_on,
    )


def post() -> PostAbroad:
    return PostAbroad.open(
        CTX,
        id=uuid4(),
        name="SSI Phnom Penh",
        city="Phnom Pehn",
        host_country="KH",
        covered_countries=["KH"],
        opened_on=date(2008, 1, 1),
        classification=Classification.INTERNAL,
    )


def history(record: EntenteAggregate) -> list[Any]:
    return list(record.collect_events())


def test_a_correction_is_an_event_with_its_reason_and_the_original_stays() -> None:
    record = mission()
    (requested,) = history(record)

    record.correct(CTX, {"title": " Protection des mineurs "}, "typo in the title", FIXED_ON)

    (corrected,) = history(record)
    assert isinstance(corrected, Mission.Corrected)
    assert corrected.changes == {"title": "Protection des mineurs"}
    assert corrected.reason == "typo in the title"
    assert corrected.business_time == datetime(2013, 5, 2, tzinfo=UTC)
    assert (corrected.actor_id, corrected.actor_name) == ("u-2001", "Anne Petit")
    assert record.title == "Protection des mineurs"
    assert requested.title == "Protection des mineur"


def test_the_corrected_event_is_named_after_its_aggregate() -> None:
    record = mission()
    record.correct(CTX, {"description": "Formation de formateurs"}, "added", FIXED_ON)

    corrected = history(record)[-1]

    assert get_topic(type(corrected)) == "shared.domain.mission:Mission.Corrected"
    assert isinstance(corrected, EntenteAggregate.Corrected)


def test_several_fields_at_once_are_normalised() -> None:
    record = mission()

    record.correct(
        CTX,
        {"themes": ["narcotics", "narcotics"], "organisations": ["ASEANAPOL"]},
        "themes mis-coded",
        FIXED_ON,
    )

    assert (record.themes, record.organisations) == (["narcotics"], ["ASEANAPOL"])


@pytest.mark.parametrize("field", ["status", "scheduled_on", "launched_on", "tenant"])
def test_a_field_that_is_not_correctable_is_refused(field: str) -> None:
    record = mission()
    history(record)

    with pytest.raises(ValidationError) as caught:
        record.correct(CTX, {field: "anything"}, "why not", FIXED_ON)

    assert (caught.value.field, caught.value.rule) == (f"changes.{field}", "not-correctable")
    assert history(record) == []


@pytest.mark.parametrize(
    ("changes", "reason", "field", "rule"),
    [
        ({"title": "x"}, "  ", "reason", "required"),
        ({}, "nothing", "changes", "required"),
        ({"title": " "}, "blank", "changes.title", "required"),
        ({"themes": ["drugs"]}, "bad", "changes.themes[0]", "vocabulary"),
        ({"themes": []}, "none", "changes.themes", "required"),
        ({"description": "x" * 4001}, "long", "changes.description", "max-length"),
        ({"classification": "secret"}, "bad", "changes.classification", "vocabulary"),
        ({"classification": None}, "bad", "changes.classification", "type"),
    ],
)
def test_an_invalid_correction_is_refused(
    changes: dict[str, Any], reason: str, field: str, rule: str
) -> None:
    record = mission()
    history(record)

    with pytest.raises(ValidationError) as caught:
        record.correct(CTX, changes, reason, FIXED_ON)

    assert (caught.value.field, caught.value.rule) == (field, rule)
    assert history(record) == []


def test_a_place_cannot_be_corrected_before_the_mission_has_one() -> None:
    record = mission()
    history(record)

    with pytest.raises(DomainRuleViolation) as caught:
        record.correct(CTX, {"place": "Hanoï"}, "wrong city", FIXED_ON)

    assert (caught.value.rule, caught.value.field) == ("not-scheduled", "changes.place")


def test_a_scheduled_mission_place_can_be_corrected() -> None:
    record = mission()
    record.validate(CTX, date(2013, 4, 1), "MEAE", "MEAE/2013/9")
    record.schedule(CTX, date(2013, 7, 8), date(2013, 7, 12), "Hanoi", 2, None, date(2013, 5, 1))

    record.correct(CTX, {"place": "Hanoï"}, "spelling", FIXED_ON)

    assert record.place == "Hanoï"
    assert (record.start_date, record.expert_count) == (date(2013, 7, 8), 2)


def test_a_place_correction_is_not_dated_before_the_mission_had_a_place() -> None:
    """Dated before the first scheduling, the audit's business-time replay showed a
    requested mission with a place, a state it never had. A rescheduling keeps the
    first scheduling's date: the place existed since then."""
    record = mission()
    record.validate(CTX, date(2013, 4, 1), "MEAE", "MEAE/2013/9")
    record.schedule(CTX, date(2013, 7, 8), date(2013, 7, 12), "Hanoi", 2, None, date(2013, 5, 1))
    record.schedule(CTX, date(2013, 8, 5), date(2013, 8, 9), "Hanoi", 2, None, date(2013, 6, 3))
    history(record)

    with pytest.raises(DomainRuleViolation) as caught:
        record.correct(CTX, {"place": "Hanoï"}, "spelling", date(2013, 4, 20))

    assert (caught.value.rule, caught.value.field) == ("dates-in-order", "corrected_on")
    assert "the first scheduled_on (2013-05-01)" in caught.value.detail
    assert history(record) == []
    record.correct(CTX, {"place": "Hanoï"}, "spelling", date(2013, 5, 2))
    assert record.place == "Hanoï"


def test_reclassification_applies_to_the_correction_and_what_follows() -> None:
    record = mission()
    record.correct(CTX, {"classification": "restricted"}, "names of minors", FIXED_ON)

    record.validate(CTX, date(2013, 5, 3), "MEAE", "MEAE/2013/10")

    classifications = [e.classification for e in history(record)]
    assert classifications == ["internal", "restricted", "restricted"]
    assert record.classification is Classification.RESTRICTED


@pytest.mark.parametrize(
    ("build", "changes", "attribute", "expected", "kind"),
    [
        (agreement, {"reference": "LOI-2013-KH-01"}, "reference", "LOI-2013-KH-01", Agreement),
        (delegation, {"host_site": "Valabre"}, "host_site", "Valabre", DelegationVisit),
        (post, {"city": "Phnom Penh"}, "city", "Phnom Penh", PostAbroad),
    ],
    ids=["agreement", "delegation", "post"],
)
def test_every_aggregate_can_be_corrected(
    build: Any, changes: dict[str, Any], attribute: str, expected: str, kind: Any
) -> None:
    record = build()
    history(record)

    record.correct(CTX, changes, "data entry error", FIXED_ON)

    (corrected,) = history(record)
    assert isinstance(corrected, kind.Corrected)
    assert corrected.changes == changes
    assert getattr(record, attribute) == expected


@pytest.mark.parametrize(
    ("build", "field"),
    [(agreement, "expires_on"), (delegation, "start_date"), (post, "opened_on")],
    ids=["agreement", "delegation", "post"],
)
def test_facts_of_other_aggregates_are_not_correctable(build: Any, field: str) -> None:
    record = build()

    with pytest.raises(ValidationError) as caught:
        record.correct(CTX, {field: "x"}, "why not", FIXED_ON)

    assert (caught.value.field, caught.value.rule) == (f"changes.{field}", "not-correctable")


def test_rebuilding_replays_the_correction() -> None:
    record = mission()
    record.correct(CTX, {"title": "Protection des mineurs"}, "typo", FIXED_ON)
    record.validate(CTX, date(2013, 5, 3), "MEAE", "MEAE/2013/10")
    record.schedule(
        CTX,
        date(2013, 7, 8),
        date(2013, 7, 12),
        "Hanoi",
        2,
        (Decimal("9000"), "EUR"),
        date(2013, 5, 6),
    )
    events = history(record)

    rebuilt: Any = None
    for event in events:
        rebuilt = event.mutate(rebuilt)

    assert rebuilt == record
    assert rebuilt.title == "Protection des mineurs"
    assert rebuilt.version == 4


BUILDERS = {"mission": mission, "agreement": agreement, "delegation": delegation, "post": post}


#: Fields whose value is a number or an object (those wrong values are their own tests'),
#: with a record that has them.
SHAPED: dict[str, tuple[tuple[type, ...], Any]] = {
    "participants": ((int,), lambda: completed_mission()),
    "budget": ((dict,), lambda: completed_mission()),
    "actual_cost": ((dict,), lambda: completed_mission()),
    "expert_count": ((int,), lambda: completed_mission()),
    "rating": ((int,), lambda: completed_mission()),
    "post_id": ((type(None),), lambda: mission()),  # null: no post collected it
    "size": ((int,), lambda: delegation()),
    "country": ((type(None),), lambda: delegation()),  # null: an organisation instead
    "funding": ((type(None), dict), lambda: agreement()),  # null: no funding
    "funder": ((type(None),), lambda: agreement()),
    "duration_months": ((type(None), int), lambda: agreement()),  # null: open-ended
    "organisation": ((type(None),), lambda: delegation()),
    "actual_size": ((int,), lambda: hosted_delegation()),
}


@pytest.mark.parametrize(
    ("kind", "field"),
    [(kind, field) for kind, build in BUILDERS.items() for field in type(build()).correctable],
)
@pytest.mark.parametrize(
    ("wrong", "named"),
    [
        (None, "null"),
        (42, "a number"),
        (1.5, "a decimal number"),
        (True, "a boolean"),
        ({"a": 1}, "an object"),
        ({"narcotics": 1}, "an object"),  # its keys would have passed for a list of themes
    ],
    ids=["null", "int", "float", "bool", "object", "object-of-codes"],
)
def test_a_corrected_value_of_the_wrong_json_type_is_refused_not_stringified(
    kind: str, field: str, wrong: Any, named: str
) -> None:
    """``str(None)`` was recorded as the title "None", for ever."""
    shaped, build = SHAPED.get(field, ((), BUILDERS[kind]))
    if type(wrong) in shaped:
        return  # of the field's own type: test_an_invalid_money_or_count_correction_…
    record = build()
    history(record)

    decision = field in record.decision_fields  # a validator's correction names those

    with pytest.raises(ValidationError) as caught:
        record.correct(CTX, {field: wrong}, "a client's bug", FIXED_ON, decision=decision)

    assert (caught.value.field, caught.value.rule) == (f"changes.{field}", "type")
    assert caught.value.detail.startswith(f"{field} must be ")
    assert caught.value.detail.endswith(f", not {named}")
    assert history(record) == []


@pytest.mark.parametrize("given", ["", "ASEANAPOL"])
def test_a_list_field_given_as_text_is_refused(given: str) -> None:
    """``""`` was taken for an empty list of organisations (it iterates as nothing)."""
    record = mission()
    history(record)

    with pytest.raises(ValidationError) as caught:
        record.correct(CTX, {"organisations": given}, "a client's bug", FIXED_ON)

    assert (caught.value.field, caught.value.rule) == ("changes.organisations", "type")
    assert caught.value.detail == "organisations must be a list, not a string"


def test_a_correction_is_not_dated_before_the_record_began() -> None:
    record = delegation()  # planned on 2013-04-02
    record.collect_events()

    with pytest.raises(DomainRuleViolation) as caught:
        record.correct(CTX, {"host_site": "Valabre"}, "Wrong site", date(2013, 4, 1))

    assert (caught.value.rule, caught.value.field) == ("dates-in-order", "corrected_on")
    assert record.collect_events() == []


def test_a_visit_planned_without_its_date_takes_a_correction_of_any_date() -> None:
    """Without ``planned_on`` the plan's business time is when it was recorded: no fact."""
    record = delegation(planned_on=None)

    record.correct(CTX, {"host_site": "Valabre"}, "Wrong site", date(2013, 4, 1))

    assert record.host_site == "Valabre"


def test_a_correction_that_changes_nothing_is_refused() -> None:
    record = delegation()
    record.collect_events()

    with pytest.raises(ValidationError) as caught:
        record.correct(
            CTX,
            {
                "host_site": " Aix-en-Provence ",
                "topics": ["crisis-management-and-civil-protection"],
            },
            "Same",
            date(2013, 5, 1),
        )

    assert (caught.value.rule, caught.value.field) == ("no-change", "changes")
    assert record.collect_events() == []


def completed_mission() -> Mission:
    """Delivered 8-12 July 2013: 18 participants, 23,950.50 EUR (budget 24,000.00)."""
    record = mission()
    record.validate(CTX, date(2013, 4, 1), "MEAE", "MEAE/2013/9")
    budget = (Decimal("24000.00"), "EUR")
    record.schedule(CTX, date(2013, 7, 8), date(2013, 7, 12), "Hanoi", 2, budget, date(2013, 5, 1))
    record.launch(CTX, date(2013, 7, 8))
    record.complete(CTX, date(2013, 7, 15), 18, (Decimal("23950.50"), "EUR"), "Course held")
    return record


def test_a_completed_mission_s_cost_participants_and_budget_can_be_corrected() -> None:
    """A slip in the actual cost (2,395.05 typed 23,950.50) stayed in every report."""
    record = completed_mission()
    history(record)

    record.correct(
        CTX,
        {
            "actual_cost": {"amount": "2395.05", "currency": "EUR"},
            "participants": 16,
            "budget": {"amount": 2400, "currency": "EUR"},
        },
        "Montant de la facture",
        date(2013, 9, 1),
    )

    [event] = history(record)
    assert event.changes == {
        "actual_cost_amount": Decimal("2395.05"),
        "actual_cost_currency": "EUR",
        "participants": 16,
        "budget_amount": Decimal("2400.00"),
        "budget_currency": "EUR",
    }
    assert (record.actual_cost_amount, record.participants) == (Decimal("2395.05"), 16)
    assert (record.budget_amount, record.budget_currency) == (Decimal("2400.00"), "EUR")


@pytest.mark.parametrize(
    ("changes", "field", "rule"),
    [
        ({"actual_cost": "2395.05"}, "changes.actual_cost", "type"),
        ({"actual_cost": {"amount": "2395.05"}}, "changes.actual_cost", "money"),
        (
            {"actual_cost": {"amount": "1E+3", "currency": "EUR"}},
            "changes.actual_cost.amount",
            "decimal",
        ),
        (
            {"actual_cost": {"amount": 2395.5, "currency": "EUR"}},
            "changes.actual_cost.amount",
            "decimal",
        ),
        (
            {"actual_cost": {"amount": "2395.055", "currency": "EUR"}},
            "changes.actual_cost.amount",
            "scale",
        ),
        (
            {"actual_cost": {"amount": "-1.00", "currency": "EUR"}},
            "changes.actual_cost.amount",
            "range",
        ),
        (
            {"actual_cost": {"amount": "10", "currency": "XXX"}},
            "changes.actual_cost.currency",
            "not-money",
        ),
        ({"budget": {"amount": "10.5", "currency": "JPY"}}, "changes.budget.amount", "scale"),
        ({"participants": -1}, "changes.participants", "range"),
        ({"participants": "16"}, "changes.participants", "type"),
        ({"participants": True}, "changes.participants", "type"),
        (
            {"actual_cost": {"amount": "1", "currency": "EUR", "x": 1}},
            "changes.actual_cost",
            "money",
        ),
    ],
)
def test_an_invalid_money_or_count_correction_names_the_part_to_fix(
    changes: dict[str, Any], field: str, rule: str
) -> None:
    record = completed_mission()
    history(record)

    with pytest.raises(ValidationError) as caught:
        record.correct(CTX, changes, "Facture", date(2013, 9, 1))

    assert (caught.value.field, caught.value.rule) == (field, rule)
    assert history(record) == []


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"actual_cost": {"amount": "10.00", "currency": "EUR"}}, "not-completed"),
        ({"participants": 3}, "not-completed"),
        ({"budget": {"amount": "10.00", "currency": "EUR"}}, "not-scheduled"),
    ],
)
def test_delivery_figures_are_corrected_only_once_the_mission_has_them(
    changes: dict[str, Any], rule: str
) -> None:
    record = mission()
    record.validate(CTX, date(2013, 4, 1), "MEAE", "MEAE/2013/9")
    history(record)

    with pytest.raises(DomainRuleViolation) as caught:
        record.correct(CTX, changes, "Facture", date(2013, 9, 1))

    assert caught.value.rule == rule
    assert caught.value.field == f"changes.{next(iter(changes))}"
    assert history(record) == []


def test_a_cost_correction_is_not_dated_before_the_completion() -> None:
    """Dated before, the audit's business-time replay showed a cost on a launched mission."""
    record = completed_mission()
    history(record)

    with pytest.raises(DomainRuleViolation) as caught:
        record.correct(
            CTX, {"actual_cost": {"amount": "10.00", "currency": "EUR"}}, "x", date(2013, 7, 14)
        )

    assert caught.value.rule == "dates-in-order"
    assert history(record) == []


def hosted_delegation() -> DelegationVisit:
    """Planned for 6, hosted on 11 June 2013: 9 came."""
    record = delegation()
    record.host(CTX, date(2013, 6, 11), 9)
    return record


def test_a_delegation_s_planned_and_hosted_head_counts_can_be_corrected() -> None:
    """90 typed for 9 stayed in the delegations calendar for good."""
    record = hosted_delegation()
    history(record)

    record.correct(CTX, {"size": 8, "actual_size": 7}, "Liste des participants", date(2013, 6, 20))

    [event] = history(record)
    assert event.changes == {"size": 8, "actual_size": 7}
    assert (record.size, record.actual_size) == (8, 7)


@pytest.mark.parametrize(
    ("changes", "field", "rule"),
    [
        ({"actual_size": 0}, "changes.actual_size", "range"),
        ({"size": 501}, "changes.size", "range"),
        ({"size": "8"}, "changes.size", "type"),
        ({"actual_size": True}, "changes.actual_size", "type"),
    ],
)
def test_an_invalid_head_count_correction_is_refused(
    changes: dict[str, Any], field: str, rule: str
) -> None:
    record = hosted_delegation()
    history(record)

    with pytest.raises(ValidationError) as caught:
        record.correct(CTX, changes, "Liste", date(2013, 6, 20))

    assert (caught.value.field, caught.value.rule) == (field, rule)
    assert history(record) == []


def test_how_many_came_is_corrected_only_once_the_visit_is_hosted() -> None:
    record = delegation()
    history(record)

    with pytest.raises(DomainRuleViolation) as caught:
        record.correct(CTX, {"actual_size": 5}, "Liste", date(2013, 6, 20))

    assert (caught.value.rule, caught.value.field) == ("not-hosted", "changes.actual_size")
    assert history(record) == []


def test_how_many_came_is_not_corrected_as_of_a_day_before_the_visit_was_hosted() -> None:
    record = hosted_delegation()
    history(record)

    with pytest.raises(DomainRuleViolation) as caught:
        record.correct(CTX, {"actual_size": 5}, "Liste", date(2013, 6, 10))

    assert caught.value.rule == "dates-in-order"
    assert history(record) == []


def test_the_planned_size_of_a_visit_still_planned_can_be_corrected() -> None:
    record = delegation()
    history(record)

    record.correct(CTX, {"size": 12}, "Note verbale", date(2013, 4, 5))

    assert (record.size, record.actual_size) == (12, None)


def test_an_agreement_s_partners_can_be_corrected() -> None:
    """Partner typed VN for KH: the country file and the figures by country kept it."""
    record = agreement()
    history(record)

    record.correct(
        CTX,
        {"partner_countries": ["KH", "LA"], "partner_organisations": ["ASEANAPOL"]},
        "Texte signé",
        FIXED_ON,
    )

    [event] = history(record)
    assert event.changes == {
        "partner_countries": ["KH", "LA"],
        "partner_organisations": ["ASEANAPOL"],
    }
    assert (record.partner_countries, record.partner_organisations) == (["KH", "LA"], ["ASEANAPOL"])


@pytest.mark.parametrize(
    ("changes", "field", "rule"),
    [
        ({"partner_countries": []}, "changes.partner_countries", "required"),
        (
            {"partner_countries": [], "partner_organisations": []},
            "changes.partner_countries",
            "required",
        ),
        ({"partner_countries": ["XX"]}, "changes.partner_countries[0]", "unknown-country"),
        ({"partner_organisations": ["NOPE"]}, "changes.partner_organisations[0]", "vocabulary"),
        ({"partner_countries": "KH"}, "changes.partner_countries", "type"),
    ],
)
def test_a_partner_correction_leaves_a_known_partner(
    changes: dict[str, Any], field: str, rule: str
) -> None:
    record = agreement()  # one partner country, no organisation
    history(record)

    with pytest.raises(ValidationError) as caught:
        record.correct(CTX, changes, "Texte signé", FIXED_ON)

    assert (caught.value.field, caught.value.rule) == (field, rule)
    assert history(record) == []


def test_the_countries_can_go_when_an_organisation_stays() -> None:
    record = agreement()
    record.correct(CTX, {"partner_organisations": ["INTERPOL"]}, "Texte signé", FIXED_ON)
    history(record)

    record.correct(CTX, {"partner_countries": []}, "Accord multilatéral", FIXED_ON)

    assert (record.partner_countries, record.partner_organisations) == ([], ["INTERPOL"])


def test_the_same_codes_in_another_order_change_nothing() -> None:
    """Themes reordered were recorded as a correction (a list compared item by item)."""
    record = mission()
    record.correct(CTX, {"themes": ["narcotics", "cybercrime"]}, "Deux thèmes", FIXED_ON)
    history(record)

    with pytest.raises(ValidationError) as caught:
        record.correct(CTX, {"themes": ["cybercrime", "narcotics"]}, "Ordre", FIXED_ON)

    assert (caught.value.rule, caught.value.field) == ("no-change", "changes")
    assert history(record) == []


def test_a_count_given_with_a_decimal_point_is_named_a_decimal_number() -> None:
    """The strict JSON reader takes 15.0 as a Decimal: the refusal said "not Decimal"."""
    record = completed_mission()
    history(record)

    with pytest.raises(ValidationError) as caught:
        record.correct(CTX, {"participants": Decimal("15.0")}, "Liste", date(2013, 9, 1))

    assert caught.value.detail == "participants must be a whole number, not a decimal number"


def evaluated_mission() -> Mission:
    """Completed, then evaluated on 1 October 2013: rated 2."""
    record = completed_mission()
    record.evaluate(CTX, date(2013, 10, 1), 2, "Bonne participation", "")
    return record


def test_an_evaluation_and_the_type_of_a_mission_can_be_corrected() -> None:
    """A rating typed 2 for 4 stayed in the evaluation average for good."""
    record = evaluated_mission()
    before = history(record)

    record.correct(
        CTX,
        {
            "rating": 4,
            "findings": "Très bonne participation",
            "recommendations": "Un second stage",
            "outcome": "Stage tenu",
            "expert_count": 3,
            "mission_type": "expert-mission",
        },
        "Fiche d'évaluation",
        date(2013, 10, 2),
    )

    assert (record.rating, record.findings, record.expert_count) == (
        4,
        "Très bonne participation",
        3,
    )
    assert record.mission_type is MissionType.EXPERT_MISSION
    rebuilt: Any = None
    for event in [*before, *history(record)]:
        rebuilt = event.mutate(rebuilt)
    assert rebuilt.mission_type is MissionType.EXPERT_MISSION


@pytest.mark.parametrize(
    ("build", "changes", "rule"),
    [
        (completed_mission, {"rating": 4}, "not-evaluated"),
        (completed_mission, {"findings": "x"}, "not-evaluated"),
        (completed_mission, {"recommendations": "x"}, "not-evaluated"),
        (mission, {"outcome": "x"}, "not-completed"),
        (mission, {"expert_count": 2}, "not-scheduled"),
    ],
)
def test_a_step_s_figures_are_corrected_only_once_the_mission_has_them(
    build: Any, changes: dict[str, Any], rule: str
) -> None:
    record = build()
    history(record)

    with pytest.raises(DomainRuleViolation) as caught:
        record.correct(CTX, changes, "Fiche", date(2013, 10, 2))

    assert (caught.value.rule, caught.value.field) == (rule, f"changes.{next(iter(changes))}")
    assert history(record) == []


@pytest.mark.parametrize(
    ("changes", "field", "rule"),
    [
        ({"rating": 6}, "changes.rating", "range"),
        ({"rating": 0}, "changes.rating", "range"),
        ({"mission_type": "holiday"}, "changes.mission_type", "vocabulary"),
        ({"findings": " "}, "changes.findings", "required"),
    ],
)
def test_an_invalid_evaluation_correction_is_refused(
    changes: dict[str, Any], field: str, rule: str
) -> None:
    record = evaluated_mission()
    history(record)

    with pytest.raises(ValidationError) as caught:
        record.correct(CTX, changes, "Fiche", date(2013, 10, 2))

    assert (caught.value.field, caught.value.rule) == (field, rule)
    assert history(record) == []


def test_a_rating_is_not_corrected_as_of_a_day_before_the_evaluation() -> None:
    record = evaluated_mission()
    history(record)

    with pytest.raises(DomainRuleViolation) as caught:
        record.correct(CTX, {"rating": 4}, "Fiche", date(2013, 9, 30))

    assert caught.value.rule == "dates-in-order"


def test_a_mission_s_countries_can_be_corrected_never_to_none() -> None:
    record = mission()
    history(record)

    record.correct(CTX, {"countries": ["KH", "LA", "KH"]}, "Pays", FIXED_ON)

    assert record.countries == ["KH", "LA"]
    for wrong, rule in [([], "required"), (["XX"], "unknown-country"), ("KH", "type")]:
        with pytest.raises(ValidationError) as caught:
            record.correct(CTX, {"countries": wrong}, "Pays", FIXED_ON)
        assert (caught.value.field.split("[")[0], caught.value.rule) == ("changes.countries", rule)


def test_a_delegation_s_origin_is_corrected_to_one_country_or_one_organisation() -> None:
    """A delegation of INTERPOL recorded as one from Morocco stayed in Morocco's file."""
    record = delegation()  # from MA
    history(record)

    refusals: list[tuple[dict[str, Any], str]] = [
        ({"organisation": "INTERPOL"}, "one-of"),  # both
        ({"country": None}, "one-of"),  # neither
        ({"country": "XX"}, "unknown-country"),
    ]
    for changes, rule in refusals:
        with pytest.raises(ValidationError) as caught:
            record.correct(CTX, changes, "Origine", FIXED_ON)
        assert (caught.value.field, caught.value.rule) == (f"changes.{next(iter(changes))}", rule)
    assert history(record) == []

    record.correct(CTX, {"country": None, "organisation": "INTERPOL"}, "Origine", FIXED_ON)

    assert (record.country, record.organisation) == (None, Organisation.INTERPOL)
    record.correct(CTX, {"country": "TN", "organisation": None}, "Origine", FIXED_ON)
    assert (record.country, record.organisation) == ("TN", None)


def funding_convention() -> Agreement:
    return Agreement.sign(
        CTX,
        id=uuid4(),
        reference="FSP-2011-VN",
        title="Convention FSP",
        kind="funding-convention",
        partner_countries=["VN"],
        partner_organisations=[],
        themes=["narcotics"],
        signed_on=date(2011, 12, 9),
        signed_at="Hanoï",
        duration_months=36,
        funding=(Decimal("1000000.00"), "EUR"),
        funder="Fonds de solidarité prioritaire",
        classification=Classification.PUBLIC,
        today=date(2013, 12, 31),
    )


def test_an_agreement_s_funding_and_funder_can_be_corrected() -> None:
    """100,000.00 typed 1,000,000.00 stayed in the register for good."""
    record = funding_convention()
    history(record)

    record.correct(
        CTX,
        {"funding": {"amount": "100000", "currency": "EUR"}, "funder": " AFD "},
        "Convention signée",
        date(2012, 1, 5),
    )

    [event] = history(record)
    assert event.changes == {
        "funding_amount": Decimal("100000.00"),
        "funding_currency": "EUR",
        "funder": "AFD",
    }
    assert (record.funding_amount, record.funder) == (Decimal("100000.00"), "AFD")


@pytest.mark.parametrize(
    ("changes", "field", "rule"),
    [
        ({"funding": None}, "changes.funding", "required"),
        ({"funder": None}, "changes.funder", "required"),
        ({"funder": " "}, "changes.funder", "required"),
        ({"funding": {"amount": "1.234", "currency": "EUR"}}, "changes.funding.amount", "scale"),
    ],
)
def test_a_funding_convention_keeps_its_funding_and_funder(
    changes: dict[str, Any], field: str, rule: str
) -> None:
    record = funding_convention()
    history(record)

    with pytest.raises(ValidationError) as caught:
        record.correct(CTX, changes, "Convention", date(2012, 1, 5))

    assert (caught.value.field, caught.value.rule) == (field, rule)
    assert history(record) == []


def test_an_agreement_other_than_a_funding_convention_can_lose_its_funding() -> None:
    record = agreement()
    record.correct(CTX, {"funding": {"amount": "5000", "currency": "XOF"}}, "x", FIXED_ON)
    history(record)

    record.correct(CTX, {"funding": None, "funder": None}, "Sans financement", FIXED_ON)

    assert (record.funding_amount, record.funding_currency) == (None, None)


def test_a_launched_mission_s_dates_can_be_corrected() -> None:
    """Held 8-12 July 2013, typed 8-12 July 2031: the board of 2031 showed it for good."""
    record = completed_mission()  # 8-12 July 2013, launched 8 July, completed 15 July
    history(record)

    record.correct(CTX, {"end_date": "2013-07-13"}, "Programme", date(2013, 9, 1))

    [event] = history(record)
    assert event.changes == {"end_date": date(2013, 7, 13)}
    assert (record.start_date, record.end_date) == (date(2013, 7, 8), date(2013, 7, 13))


@pytest.mark.parametrize(
    ("changes", "rule", "field"),
    [
        ({"start_date": "2013-07-09"}, "dates-in-order", "changes.start_date"),  # after launch
        ({"end_date": "2013-07-07"}, "dates-in-order", "changes.end_date"),  # before launch
        ({"start_date": "2013-02-28"}, "dates-in-order", "changes.start_date"),  # before request
        ({"start_date": "2013-07-16"}, "dates-in-order", "changes.start_date"),  # after completion
        ({"start_date": "8 July 2013"}, "date", "changes.start_date"),
        ({"start_date": "20130708"}, "date", "changes.start_date"),
        ({"end_date": "2213-07-12"}, "date-range", "changes.end_date"),
        ({"end_date": 20130712}, "type", "changes.end_date"),
        (  # both moved: the end is the one now before the launch
            {"start_date": "2013-07-01", "end_date": "2013-07-05"},
            "dates-in-order",
            "changes.end_date",
        ),
    ],
)
def test_corrected_dates_keep_the_order_of_the_mission_s_steps(
    changes: dict[str, Any], rule: str, field: str
) -> None:
    record = completed_mission()
    history(record)

    with pytest.raises((ValidationError, DomainRuleViolation)) as caught:
        record.correct(CTX, changes, "Programme", date(2013, 9, 1))

    refused: Any = caught.value
    assert (refused.rule, refused.field) == (rule, field)
    assert history(record) == []


def test_a_mission_not_yet_launched_is_rescheduled_not_corrected() -> None:
    record = mission()
    record.validate(CTX, date(2013, 4, 1), "MEAE", "MEAE/2013/9")
    record.schedule(CTX, date(2013, 7, 8), date(2013, 7, 12), "Hanoi", 2, None, date(2013, 5, 1))
    history(record)

    with pytest.raises(DomainRuleViolation) as caught:
        record.correct(CTX, {"start_date": "2013-07-09"}, "Programme", date(2013, 6, 1))

    assert (caught.value.rule, caught.value.field) == ("not-launched", "changes.start_date")


def test_the_day_a_visit_was_hosted_can_be_corrected_within_its_dates() -> None:
    record = hosted_delegation()  # 10-12 June 2013, hosted on the 11th
    history(record)

    record.correct(CTX, {"hosted_on": "2013-06-10"}, "Registre", date(2013, 6, 20))

    assert record.hosted_on == date(2013, 6, 10)
    for day, field in [("2013-06-13", "changes.hosted_on"), ("2013-06-09", "changes.hosted_on")]:
        with pytest.raises(DomainRuleViolation) as caught:
            record.correct(CTX, {"hosted_on": day}, "Registre", date(2013, 6, 20))
        assert (caught.value.rule, caught.value.field) == ("dates-in-order", field)
    with pytest.raises(DomainRuleViolation) as planned:
        delegation().correct(CTX, {"hosted_on": "2013-06-11"}, "Registre", date(2013, 6, 20))
    assert (planned.value.rule, planned.value.field) == ("not-hosted", "changes.hosted_on")


def test_an_agreement_s_kind_can_be_corrected_and_a_funding_convention_s_rules_hold() -> None:
    record = agreement()  # a letter of intent, open-ended, no funding
    history(record)

    with pytest.raises(ValidationError) as caught:
        record.correct(CTX, {"kind": "funding-convention"}, "Texte", FIXED_ON)
    assert (caught.value.field, caught.value.rule) == ("changes.kind", "required")
    assert "needs an amount" in caught.value.detail

    record.correct(CTX, {"kind": "memorandum-of-understanding"}, "Texte", FIXED_ON)

    assert record.kind is AgreementKind.MEMORANDUM_OF_UNDERSTANDING
    convention = funding_convention()
    convention.correct(CTX, {"kind": "administrative-arrangement"}, "Texte", date(2012, 1, 5))
    assert convention.kind is AgreementKind.ADMINISTRATIVE_ARRANGEMENT
    with pytest.raises(ValidationError) as vocabulary:
        record.correct(CTX, {"kind": "treaty"}, "Texte", FIXED_ON)
    assert (vocabulary.value.field, vocabulary.value.rule) == ("changes.kind", "vocabulary")


def test_only_what_changes_is_recorded() -> None:
    """Partners reordered beside a new title were recorded, order flipped, as corrected."""
    record = agreement()
    record.correct(CTX, {"partner_countries": ["LA", "VN"]}, "Partenaires", FIXED_ON)
    history(record)

    record.correct(
        CTX,
        {
            "partner_countries": ["VN", "LA"],
            "title": "Lettre d'intention bis",
            "themes": ["narcotics"],
        },
        "Titre",
        FIXED_ON,
    )

    [event] = history(record)
    assert event.changes == {"title": "Lettre d'intention bis"}
    assert record.partner_countries == ["LA", "VN"]


def test_an_amount_changed_in_its_currency_is_recorded_with_it() -> None:
    record = funding_convention()  # 1,000,000.00 EUR
    history(record)

    record.correct(CTX, {"funding": {"amount": "900000", "currency": "EUR"}}, "x", date(2012, 1, 5))

    [event] = history(record)
    assert event.changes == {"funding_amount": Decimal("900000.00"), "funding_currency": "EUR"}


def test_a_code_of_the_wrong_type_in_a_list_is_named_with_its_index() -> None:
    """``{"countries": [1]}`` answered "object of type 'int' has no len()"."""
    record = mission()
    history(record)

    with pytest.raises(ValidationError) as caught:
        record.correct(CTX, {"countries": ["VN", 1]}, "Pays", FIXED_ON)

    assert (caught.value.field, caught.value.rule) == ("changes.countries[1]", "type")
    assert caught.value.detail == "countries[1] must be text, not a number"


@pytest.mark.parametrize(
    ("changes", "field", "detail"),
    [
        # All one code: it was called no change, where the request was refused for size.
        (
            {"countries": ["VN"] * 61},
            "changes.countries",
            "countries holds at most 60 items, not 61",
        ),
        # 61 different countries were taken: a record no request could have made.
        (
            {"countries": sorted(c.alpha_2 for c in pycountry.countries)[:61]},
            "changes.countries",
            "countries holds at most 60 items, not 61",
        ),
        (
            {"themes": ["forensic-science"] * 21},
            "changes.themes",
            "themes holds at most 20 items, not 21",
        ),
    ],
)
def test_a_corrected_list_holds_no_more_than_a_request_may(
    changes: dict[str, list[str]], field: str, detail: str
) -> None:
    record = mission()
    history(record)

    with pytest.raises(ValidationError) as caught:
        record.correct(CTX, changes, "Pays", FIXED_ON)

    assert (caught.value.field, caught.value.rule) == (field, "too_long")
    assert caught.value.detail == detail
    assert history(record) == []


def test_an_agreement_s_signing_day_and_duration_can_be_corrected() -> None:
    """Signed 19 December 2011 for two years, typed 9 December for three: it was counted
    in force through 2014 and expired on the wrong day in every register."""
    record = funding_convention()  # signed 2011-12-09, 36 months
    history(record)

    record.correct(
        CTX, {"signed_on": "2011-12-19", "duration_months": 24}, "Texte", date(2012, 1, 5)
    )

    [event] = history(record)
    assert event.changes == {"signed_on": date(2011, 12, 19), "duration_months": 24}
    assert (record.signed_on, record.term_start) == (date(2011, 12, 19), date(2011, 12, 19))
    assert record.expires_on == date(2013, 12, 19)
    with pytest.raises(DomainRuleViolation) as early:  # the record now begins on the 19th
        record.correct(CTX, {"title": "Convention"}, "Titre", date(2011, 12, 12))
    assert early.value.field == "corrected_on"
    record.renew(CTX, date(2013, 12, 1), 12)  # the renewal follows the corrected term
    assert (record.term_start, record.expires_on) == (date(2013, 12, 19), date(2014, 12, 19))


def test_an_open_ended_agreement_can_be_given_its_duration() -> None:
    record = agreement()  # a letter of intent signed 2013-02-01, open-ended
    history(record)

    record.correct(CTX, {"duration_months": 12}, "Texte", FIXED_ON)

    assert record.expires_on == date(2014, 2, 1)
    record.correct(CTX, {"duration_months": None}, "Sans terme", FIXED_ON)
    assert record.expires_on is None


def amended_and_suspended() -> Agreement:
    """Signed 2013-02-01 for 24 months, amended 2013-03-10, suspended 2013-06-01."""
    record = agreement()
    record.correct(CTX, {"duration_months": 24}, "Texte", date(2013, 2, 5))
    record.amend(CTX, date(2013, 3, 10), "Annexe")
    record.suspend(CTX, date(2013, 6, 1), "Crise")
    history(record)
    return record


@pytest.mark.parametrize(
    ("changes", "rule", "field", "detail"),
    [  # signed after its first correction (2013-02-05)
        ({"signed_on": "2013-02-06"}, "dates-in-order", "changes.signed_on", "corrected_on"),
        ({"signed_on": "2013-09-02"}, "dates-in-order", "changes.signed_on", "corrected_on"),
        # expiring before the suspension, which it must cover
        ({"duration_months": 3}, "dates-in-order", "changes.duration_months", "suspended_on"),
        ({"duration_months": 0}, "range", "changes.duration_months", "1 to 1200"),
        ({"duration_months": 1201}, "range", "changes.duration_months", "1 to 1200"),
        ({"duration_months": "24"}, "type", "changes.duration_months", "a string"),
        ({"duration_months": True}, "type", "changes.duration_months", "boolean"),
        ({"signed_on": "2013/02/01"}, "date", "changes.signed_on", "YYYY-MM-DD"),
        ({"signed_on": None}, "type", "changes.signed_on", "null"),
    ],
)
def test_a_corrected_term_still_holds_what_happened_under_it(
    changes: dict[str, Any], rule: str, field: str, detail: str
) -> None:
    record = amended_and_suspended()

    with pytest.raises((ValidationError, DomainRuleViolation)) as caught:
        record.correct(CTX, changes, "Texte", date(2013, 9, 1))

    refused: Any = caught.value
    assert (refused.rule, refused.field) == (rule, field)
    assert detail in refused.detail
    assert history(record) == []
    assert (record.signed_on, record.duration_months) == (date(2013, 2, 1), 24)


def test_a_signing_day_is_not_corrected_to_after_the_first_later_step() -> None:
    record = agreement()  # signed 2013-02-01
    record.amend(CTX, date(2013, 3, 10), "Annexe")
    history(record)

    with pytest.raises(DomainRuleViolation) as caught:
        record.correct(CTX, {"signed_on": "2013-03-11"}, "Texte", date(2013, 9, 1))

    assert (caught.value.rule, caught.value.field) == ("dates-in-order", "changes.signed_on")
    assert "amended_on (2013-03-10)" in caught.value.detail
    record.correct(CTX, {"signed_on": "2013-03-10"}, "Texte", date(2013, 9, 1))
    assert record.signed_on == date(2013, 3, 10)


def test_a_funding_convention_keeps_its_duration() -> None:
    record = funding_convention()
    history(record)

    with pytest.raises(ValidationError) as caught:
        record.correct(CTX, {"duration_months": None}, "Texte", date(2012, 1, 5))

    assert (caught.value.field, caught.value.rule) == ("changes.duration_months", "required")


def test_a_renewed_agreement_s_first_term_is_no_longer_corrected() -> None:
    record = funding_convention()  # signed 2011-12-09, 36 months
    record.renew(CTX, date(2014, 11, 1), 12)
    history(record)

    for changes in ({"signed_on": "2011-12-19"}, {"duration_months": 24}):
        with pytest.raises(DomainRuleViolation) as caught:
            record.correct(CTX, changes, "Texte", date(2014, 12, 1))
        [name] = changes
        assert (caught.value.rule, caught.value.field) == ("renewed", f"changes.{name}")
        assert "2014-11-01" in caught.value.detail
    assert history(record) == []


def test_the_day_a_request_came_can_be_corrected_before_its_later_steps() -> None:
    record = mission()  # requested 2013-03-01
    history(record)

    record.correct(CTX, {"requested_on": "2013-02-20"}, "Courrier", date(2013, 3, 5))

    [event] = history(record)
    assert event.changes == {"requested_on": date(2013, 2, 20)}
    assert record.requested_on == date(2013, 2, 20)
    decided = mission()
    decided.validate(CTX, date(2013, 4, 1), "MEAE", "MEAE/2013/9")
    history(decided)
    for refused, day, named in [
        (record, "2013-03-06", "the first corrected_on (2013-03-05)"),
        (decided, "2013-04-02", "decided_on (2013-04-01)"),
        (mission(), "2013-05-02", "corrected_on (2013-05-01)"),  # the correction's own day
    ]:
        history(refused)
        with pytest.raises(DomainRuleViolation) as caught:
            refused.correct(CTX, {"requested_on": day}, "Courrier", date(2013, 5, 1))
        assert (caught.value.rule, caught.value.field) == ("dates-in-order", "changes.requested_on")
        assert named in caught.value.detail
        assert history(refused) == []


def test_a_corrected_request_day_stays_before_a_launched_mission_s_start() -> None:
    record = completed_mission()  # requested 2013-03-01, held 8-12 July 2013
    history(record)

    with pytest.raises(DomainRuleViolation) as caught:  # moved after the start with it
        record.correct(
            CTX, {"requested_on": "2013-07-09", "start_date": "2013-07-08"}, "x", date(2013, 9, 1)
        )

    assert caught.value.field == "changes.requested_on"
    assert history(record) == []
