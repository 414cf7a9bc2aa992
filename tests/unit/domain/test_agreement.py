"""Agreements: Given past events, When a command, Then the new events."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar
from uuid import uuid4

import pytest

from shared.domain.agreement import Agreement
from shared.domain.base import EntenteAggregate
from shared.domain.context import Actor, CommandContext
from shared.domain.vocabulary import AgreementKind, AgreementStatus, Classification
from shared.errors import (
    DomainRuleViolation,
    IllegalTransition,
    InvalidFieldsError,
    NothingToWithdraw,
    ValidationError,
)

CTX = CommandContext(
    tenant="gendarmerie",
    actor=Actor(subject="u-1789", name="Jean Moreau"),
    correlation_id="corr-agreement-1",
    causation_id="cause-9",
)
TODAY = date(2024, 1, 31)
SIGNED_ON = date(2011, 12, 9)

E = TypeVar("E")
Step = Callable[[Agreement], None]


def sign(**overrides: Any) -> Agreement:
    """The funding convention on counterfeit medicines: 1 M EUR over 3 years, Hanoi 2011."""
    fields: dict[str, Any] = {
        "id": uuid4(),
        "reference": "CONV-2011-VN-01",
        "title": "Lutte contre la contrefaçon de médicaments",
        "kind": "funding-convention",
        "partner_countries": ["VN"],
        "partner_organisations": [],
        "themes": ["counterfeit-medicines"],
        "signed_on": SIGNED_ON,
        "signed_at": "Hanoï",
        "duration_months": 36,
        "funding": (Decimal("1000000"), "EUR"),
        "funder": "Union européenne",
        "classification": Classification.PUBLIC,
        "today": TODAY,
    }
    return Agreement.sign(CTX, **{**fields, **overrides})


def letter_of_intent(**overrides: Any) -> Agreement:
    """An open-ended letter of intent with no funding."""
    return sign(
        **{
            "kind": "letter-of-intent",
            "duration_months": None,
            "funding": None,
            "funder": None,
            **overrides,
        }
    )


def given(*steps: Step, **overrides: Any) -> Agreement:
    """A signed funding convention after ``steps``, its history already collected."""
    agreement = sign(**overrides)
    for step in steps:
        step(agreement)
    agreement.collect_events()
    return agreement


def then_one(agreement: Agreement, kind: type[E]) -> E:
    events = agreement.collect_events()
    assert len(events) == 1, events
    event = events[0]
    assert isinstance(event, kind)
    return event


def suspend(agreement: Agreement) -> None:
    agreement.suspend(CTX, date(2012, 6, 1), "audit pending")


def resume(agreement: Agreement) -> None:
    agreement.resume(CTX, date(2012, 9, 1))


def terminate(agreement: Agreement) -> None:
    agreement.terminate(CTX, date(2013, 1, 15), "programme closed")


def amend(agreement: Agreement) -> None:
    agreement.amend(CTX, date(2012, 3, 1), "annex 2 budget lines")


def renew(agreement: Agreement) -> None:
    agreement.renew(CTX, date(2014, 6, 1), 24)


COMMANDS: dict[str, Step] = {
    "amend": amend,
    "renew": renew,
    "suspend": suspend,
    "resume": resume,
    "terminate": terminate,
}


# --- signature -------------------------------------------------------------


def test_sign_records_the_funding_convention() -> None:
    agreement = sign()

    event = then_one(agreement, Agreement.Signed)
    assert (event.reference, event.kind) == ("CONV-2011-VN-01", "funding-convention")
    assert (event.partner_countries, event.partner_organisations) == (["VN"], [])
    assert (event.signed_on, event.signed_at) == (SIGNED_ON, "Hanoï")
    assert (event.funding_amount, event.funding_currency) == (Decimal("1000000"), "EUR")
    assert (event.funder, event.duration_months) == ("Union européenne", 36)
    assert agreement.kind is AgreementKind.FUNDING_CONVENTION
    assert agreement.status is AgreementStatus.IN_FORCE
    assert agreement.expires_on == date(2014, 12, 9)


def test_sign_with_an_organisation_only() -> None:
    agreement = letter_of_intent(partner_countries=[], partner_organisations=["EUROPOL"])

    assert (agreement.partner_countries, agreement.partner_organisations) == ([], ["EUROPOL"])
    assert (agreement.funding_amount, agreement.funder) == (None, None)


def test_a_blank_funder_outside_funding_conventions_is_stored_as_none() -> None:
    assert letter_of_intent(funder="  ").funder is None


@pytest.mark.parametrize(
    ("overrides", "field", "rule"),
    [
        ({"partner_countries": []}, "partner_countries", "required"),
        ({"partner_countries": ["VN", "XX"]}, "partner_countries[1]", "unknown-country"),
        ({"partner_organisations": ["ASEAN"]}, "partner_organisations[0]", "vocabulary"),
        ({"kind": "treaty"}, "kind", "vocabulary"),
        ({"reference": " "}, "reference", "required"),
        ({"title": ""}, "title", "required"),
        ({"themes": []}, "themes", "required"),
        ({"signed_at": ""}, "signed_at", "required"),
        ({"duration_months": 0}, "duration_months", "range"),
        ({"duration_months": 1201}, "duration_months", "range"),
        # Commands that do not come over HTTP are held to the same text rules.
        ({"title": "Lutte\x00"}, "title", "control-character"),
        ({"signed_at": "Ha\x1bnoï"}, "signed_at", "control-character"),
        ({"funder": "Union\x07 européenne"}, "funder", "control-character"),
        ({"funder": "U" * 201}, "funder", "max-length"),
    ],
)
def test_sign_refuses_invalid_input(overrides: dict[str, Any], field: str, rule: str) -> None:
    with pytest.raises(ValidationError) as caught:
        sign(**overrides)

    assert (caught.value.field, caught.value.rule) == (field, rule)


@pytest.mark.parametrize(
    ("overrides", "field", "rule"),
    [
        ({"funding": None}, "funding", "required"),
        ({"funder": None}, "funder", "required"),
        ({"funder": "  "}, "funder", "required"),
        ({"duration_months": None}, "duration_months", "required"),
        ({"funding": (Decimal("0.001"), "EUR")}, "funding.amount", "scale"),
        ({"funding": (Decimal("2E+15"), "EUR")}, "funding.amount", "range"),
        ({"funding": (Decimal("1000"), "XYZ")}, "funding.currency", "unknown-currency"),
    ],
)
def test_a_funding_convention_states_amount_currency_funder_and_duration(
    overrides: dict[str, Any], field: str, rule: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        sign(**overrides)

    assert (caught.value.field, caught.value.rule) == (field, rule)


def test_sign_in_the_future_is_refused() -> None:
    with pytest.raises(DomainRuleViolation) as caught:
        sign(signed_on=date(2024, 2, 1))

    assert (caught.value.rule, caught.value.field) == ("not-in-future", "signed_on")
    assert "is after today (" in caught.value.detail  # which today, as every such refusal
    assert "at UTC+14, the latest date anywhere" in caught.value.detail


# --- derived expiry --------------------------------------------------------


@pytest.mark.parametrize(
    ("signed_on", "months", "expires_on"),
    [
        (date(2011, 1, 31), 1, date(2011, 2, 28)),
        (date(2012, 1, 31), 1, date(2012, 2, 29)),
        (date(2011, 8, 31), 1, date(2011, 9, 30)),
        (date(2011, 12, 9), 36, date(2014, 12, 9)),
        (date(2011, 11, 15), 2, date(2012, 1, 15)),
    ],
)
def test_expiry_is_derived_with_month_end_clamping(
    signed_on: date, months: int, expires_on: date
) -> None:
    assert sign(signed_on=signed_on, duration_months=months).expires_on == expires_on


def test_an_open_ended_instrument_never_expires() -> None:
    assert letter_of_intent().expires_on is None


def test_early_renewal_extends_from_the_current_expiry() -> None:
    agreement = given()

    agreement.renew(CTX, date(2014, 6, 1), 24)

    event = then_one(agreement, Agreement.Renewed)
    assert (event.renewed_on, event.duration_months) == (date(2014, 6, 1), 24)
    assert agreement.expires_on == date(2016, 12, 9)


def test_late_renewal_extends_from_the_renewal_date() -> None:
    agreement = given()

    agreement.renew(CTX, date(2015, 3, 1), 12)

    assert agreement.expires_on == date(2016, 3, 1)


def test_renewal_clamps_to_the_end_of_the_month() -> None:
    agreement = given(signed_on=date(2012, 1, 31), duration_months=12)

    agreement.renew(CTX, date(2013, 1, 10), 1)

    assert agreement.expires_on == date(2013, 2, 28)


def test_an_open_ended_instrument_cannot_be_renewed() -> None:
    agreement = letter_of_intent()
    agreement.collect_events()

    with pytest.raises(DomainRuleViolation) as caught:
        agreement.renew(CTX, date(2014, 1, 1), 12)

    assert caught.value.rule == "open-ended"
    assert agreement.collect_events() == []


def test_renewal_duration_is_bounded() -> None:
    agreement = given()

    with pytest.raises(ValidationError) as caught:
        agreement.renew(CTX, date(2014, 1, 1), 0)

    assert (caught.value.field, caught.value.rule) == ("duration_months", "range")


# --- amend, suspend, resume, terminate -------------------------------------


def test_amend_keeps_a_list_of_amendments() -> None:
    agreement = given(amend)

    agreement.amend(CTX, date(2012, 10, 1), "new partner service")

    event = then_one(agreement, Agreement.Amended)
    assert (event.amended_on, event.summary) == (date(2012, 10, 1), "new partner service")
    assert agreement.amendments == [
        {"on": date(2012, 3, 1), "summary": "annex 2 budget lines"},
        {"on": date(2012, 10, 1), "summary": "new partner service"},
    ]


def test_suspend_records_the_reason() -> None:
    agreement = given()

    suspend(agreement)

    event = then_one(agreement, Agreement.Suspended)
    assert (event.suspended_on, event.reason) == (date(2012, 6, 1), "audit pending")
    assert (agreement.status, agreement.suspended_on) == (
        AgreementStatus.SUSPENDED,
        date(2012, 6, 1),
    )


def test_resume_puts_the_agreement_back_in_force() -> None:
    agreement = given(suspend)

    resume(agreement)

    assert then_one(agreement, Agreement.Resumed).resumed_on == date(2012, 9, 1)
    assert (agreement.status, agreement.suspended_on) == (AgreementStatus.IN_FORCE, None)


@pytest.mark.parametrize("path", [(), (suspend,)], ids=["in-force", "suspended"])
def test_terminate_ends_the_agreement(path: tuple[Step, ...]) -> None:
    agreement = given(*path)

    terminate(agreement)

    event = then_one(agreement, Agreement.Terminated)
    assert (event.terminated_on, event.reason) == (date(2013, 1, 15), "programme closed")
    assert agreement.status is AgreementStatus.TERMINATED


def test_a_termination_dated_before_an_amendment_is_refused() -> None:
    """Amended on 1 March 2012, then terminated as of the 1st of February: the register
    showed an instrument amended a month after it ended."""
    agreement = given(amend)

    with pytest.raises(DomainRuleViolation) as caught:
        agreement.terminate(CTX, date(2012, 2, 1), "programme closed")

    assert (caught.value.field, caught.value.rule) == ("terminated_on", "dates-in-order")
    assert "is before the last amended_on (2012-03-01)" in caught.value.detail
    agreement.terminate(CTX, date(2012, 3, 1), "programme closed")  # the same day will do
    assert agreement.status is AgreementStatus.TERMINATED


@pytest.mark.parametrize(
    ("path", "status", "command"),
    [
        ((), "in-force", "resume"),
        ((suspend,), "suspended", "suspend"),
        ((suspend,), "suspended", "renew"),
        ((terminate,), "terminated", "amend"),
        ((terminate,), "terminated", "renew"),
        ((terminate,), "terminated", "suspend"),
        ((terminate,), "terminated", "resume"),
        ((terminate,), "terminated", "terminate"),
    ],
)
def test_illegal_transition_is_refused(path: tuple[Step, ...], status: str, command: str) -> None:
    agreement = given(*path)

    with pytest.raises(IllegalTransition) as caught:
        COMMANDS[command](agreement)

    assert (caught.value.status, caught.value.command) == (status, command)
    assert agreement.collect_events() == []


@pytest.mark.parametrize(
    ("path", "command", "field"),
    [
        ((), lambda a: a.amend(CTX, date(2011, 12, 8), "x"), "amended_on"),
        ((), lambda a: a.renew(CTX, date(2011, 12, 8), 12), "renewed_on"),
        ((), lambda a: a.suspend(CTX, date(2011, 12, 8), "x"), "suspended_on"),
        ((), lambda a: a.terminate(CTX, date(2011, 12, 8), "x"), "terminated_on"),
        ((suspend,), lambda a: a.resume(CTX, date(2012, 5, 31)), "resumed_on"),
        # Before the last change of status: the views would count it in force.
        ((suspend, resume), lambda a: a.terminate(CTX, date(2012, 8, 31), "x"), "terminated_on"),
        ((suspend, resume), lambda a: a.suspend(CTX, date(2012, 7, 1), "x"), "suspended_on"),
        ((suspend, resume), lambda a: a.renew(CTX, date(2012, 8, 31), 12), "renewed_on"),
        ((suspend,), lambda a: a.terminate(CTX, date(2012, 5, 31), "x"), "terminated_on"),
        ((renew,), lambda a: a.renew(CTX, date(2014, 5, 31), 12), "renewed_on"),
        ((renew,), lambda a: a.suspend(CTX, date(2013, 1, 1), "x"), "suspended_on"),
    ],
)
def test_dates_out_of_order_are_refused(path: tuple[Step, ...], command: Step, field: str) -> None:
    agreement = given(*path)

    with pytest.raises(DomainRuleViolation) as caught:
        command(agreement)

    assert (caught.value.rule, caught.value.field) == ("dates-in-order", field)
    assert agreement.collect_events() == []


@pytest.mark.parametrize(
    ("command", "field"),
    [
        (lambda a: a.amend(CTX, date(2012, 1, 1), " "), "summary"),
        (lambda a: a.suspend(CTX, date(2012, 1, 1), ""), "reason"),
        (lambda a: a.terminate(CTX, date(2012, 1, 1), ""), "reason"),
    ],
)
def test_texts_are_required(command: Step, field: str) -> None:
    agreement = given()

    with pytest.raises(ValidationError) as caught:
        command(agreement)

    assert (caught.value.field, caught.value.rule) == (field, "required")


# --- versions, metadata and replay ------------------------------------------


def test_version_1_signatures_are_upcast_to_partner_lists() -> None:
    state: dict[str, Any] = {"partner_country": "KH", "title": "Accord de 2005"}

    Agreement.Signed.upcast_v1_v2(state)

    assert state == {
        "partner_countries": ["KH"],
        "partner_organisations": [],
        "title": "Accord de 2005",
    }
    assert Agreement.Signed.class_version == 2


def test_every_event_carries_its_metadata() -> None:
    before = datetime.now(UTC)
    agreement = sign(classification=Classification.RESTRICTED)
    for step in (amend, suspend, resume, terminate):
        step(agreement)
    after = datetime.now(UTC)

    events = entente_events(agreement.collect_events())

    assert [e.business_time.date() for e in events] == [
        SIGNED_ON,
        date(2012, 3, 1),
        date(2012, 6, 1),
        date(2012, 9, 1),
        date(2013, 1, 15),
    ]
    for event in events:
        assert (event.tenant, event.actor_id, event.actor_name) == (
            "gendarmerie",
            "u-1789",
            "Jean Moreau",
        )
        assert (event.correlation_id, event.causation_id) == ("corr-agreement-1", "cause-9")
        assert event.classification == "restricted"
        assert event.business_time.tzinfo is UTC
        assert before <= event.timestamp <= after


def test_rebuilding_from_the_events_reproduces_the_state() -> None:
    agreement = sign()
    for step in (amend, suspend, resume, renew):
        step(agreement)
    events = agreement.collect_events()

    rebuilt: Any = None
    for event in events:
        rebuilt = event.mutate(rebuilt)

    assert rebuilt == agreement
    assert (rebuilt.version, rebuilt.expires_on) == (5, date(2016, 12, 9))


def test_a_refusal_names_the_change_it_would_precede() -> None:
    agreement = given(suspend, resume)

    with pytest.raises(DomainRuleViolation) as caught:
        agreement.terminate(CTX, date(2012, 8, 31), "back-dated")

    assert caught.value.detail == "terminated_on (2012-08-31) is before resumed_on (2012-09-01)"


def test_the_same_day_as_the_last_change_is_allowed() -> None:
    agreement = given(suspend)

    agreement.resume(CTX, date(2012, 6, 1))
    agreement.terminate(CTX, date(2012, 6, 1), "closed the day it resumed")

    assert agreement.status is AgreementStatus.TERMINATED


def test_a_history_recorded_out_of_order_before_the_rule_still_replays() -> None:
    """Stored events are facts: the rule guards new commands, never the replay."""
    agreement = sign()
    suspend(agreement)
    resume(agreement)
    late = agreement.last_status_change
    # A suspension dated before the resumption, as a command could record before the rule.
    on = date(2012, 7, 1)
    meta = CTX.meta(on, agreement.classification)
    agreement.trigger_event(Agreement.Suspended, suspended_on=on, reason="x", **meta)
    events = agreement.collect_events()

    replayed: Any = None
    for event in events:
        replayed = event.mutate(replayed)

    assert replayed.status is AgreementStatus.SUSPENDED
    assert replayed.last_status_change == late == ("resumed_on", date(2012, 9, 1))


def entente_events(events: Sequence[object]) -> list[EntenteAggregate.Event]:
    """The events, checked to carry Entente metadata (and typed so)."""
    checked = [e for e in events if isinstance(e, EntenteAggregate.Event)]
    assert len(checked) == len(events)
    return checked


def test_renewals_stacking_past_the_last_date_are_refused_before_anything_is_recorded() -> None:
    # Each renewal starts at the current expiry: 1,200 months at a time, the term
    # would pass 9999-12-31 (no date can hold it), and every read of the record
    # and both projections failed on the event recorded before this check.
    agreement = sign(duration_months=1200)
    expiry = agreement.expires_on
    while expiry is not None and expiry.year <= 9999 - 100:
        agreement.renew(CTX, date(2024, 1, 31), 1200)
        expiry = agreement.expires_on

    with pytest.raises(ValidationError) as caught:
        agreement.renew(CTX, date(2024, 1, 31), 1200)

    assert (caught.value.field, caught.value.rule) == ("duration_months", "range")
    assert agreement.expires_on == expiry  # still readable, unchanged
    assert len(agreement.collect_events()) == agreement.version  # the refused one is not there


def test_every_field_a_signature_gets_wrong_is_named() -> None:
    with pytest.raises(InvalidFieldsError) as caught:
        sign(kind="treaty", title=" ", themes=["narcotics", "gardening"], signed_at="")

    assert [(e.field, e.rule) for e in caught.value.each] == [
        ("kind", "vocabulary"),
        ("title", "required"),
        ("themes[1]", "vocabulary"),
        ("signed_at", "required"),
    ]
    assert caught.value.field == "kind"


# --- a status change withdrawn ---------------------------------------------


def withdraw(agreement: Agreement, on: date = date(2013, 2, 1)) -> None:
    agreement.withdraw_status_change(CTX, "recorded on the wrong agreement", on)


@pytest.mark.parametrize(
    ("path", "status", "suspended_on"),
    [
        ((terminate,), AgreementStatus.IN_FORCE, None),
        ((suspend, terminate), AgreementStatus.SUSPENDED, date(2012, 6, 1)),
        ((suspend,), AgreementStatus.IN_FORCE, None),
        ((suspend, resume), AgreementStatus.SUSPENDED, date(2012, 6, 1)),
    ],
    ids=["termination", "termination-while-suspended", "suspension", "resumption"],
)
def test_withdrawing_the_last_change_puts_the_agreement_back(
    path: tuple[Step, ...], status: AgreementStatus, suspended_on: date | None
) -> None:
    """A termination recorded by mistake left the agreement terminated for good: no
    command could change it again, and every figure counted it ended."""
    agreement = given(*path)
    last = agreement.version

    withdraw(agreement)

    event = then_one(agreement, Agreement.StatusChangeWithdrawn)
    assert event.withdrawn_version == last
    assert (event.status, event.suspended_on) == (status.value, suspended_on)
    assert event.reason == "recorded on the wrong agreement"
    assert (agreement.status, agreement.suspended_on) == (status, suspended_on)
    assert (agreement.terminated_on, agreement.termination_reason) == (None, None)
    if suspended_on is not None:
        assert agreement.suspension_reason == "audit pending"


def test_a_withdrawn_termination_lets_the_agreement_go_on() -> None:
    agreement = given(terminate, withdraw)

    agreement.amend(CTX, date(2013, 3, 1), "annex 3")  # refused while it was terminated
    agreement.suspend(CTX, date(2013, 2, 1), "audit")  # not held to the withdrawn day's order
    agreement.terminate(CTX, date(2013, 6, 1), "programme closed")

    assert agreement.status is AgreementStatus.TERMINATED
    assert agreement.terminated_on == date(2013, 6, 1)


def test_withdrawals_go_back_one_change_at_a_time() -> None:
    agreement = given(suspend, resume, terminate, withdraw, withdraw, withdraw)

    assert (agreement.status, agreement.suspended_on) == (AgreementStatus.IN_FORCE, None)
    with pytest.raises(NothingToWithdraw) as caught:
        withdraw(agreement)
    assert caught.value.rule == "nothing-to-withdraw"
    assert caught.value.detail.endswith("none is left to withdraw")


def test_a_renewal_is_withdrawn_by_its_own_command() -> None:
    agreement = given(suspend, resume, renew)

    with pytest.raises(NothingToWithdraw) as caught:
        withdraw(agreement, date(2014, 7, 1))

    assert caught.value.rule == "nothing-to-withdraw"
    assert "the last one is a renewal (withdraw it with renewal-withdrawal)" in caught.value.detail
    assert agreement.collect_events() == []


# --- an amendment withdrawn -------------------------------------------------


def test_the_last_amendment_is_withdrawn_and_no_longer_bounds_a_termination() -> None:
    """Recorded on the wrong convention, an amendment stayed for good, and a termination
    could not be dated before it."""
    agreement = given(amend)
    agreement.amend(CTX, date(2013, 6, 1), "annex 3 on the wrong convention")
    agreement.collect_events()
    with pytest.raises(DomainRuleViolation):
        agreement.terminate(CTX, date(2013, 5, 1), "programme closed")

    agreement.withdraw_amendment(CTX, "recorded on the wrong convention", date(2013, 6, 2))

    event = then_one(agreement, Agreement.AmendmentWithdrawn)
    assert (event.amended_on, event.summary) == (
        date(2013, 6, 1),
        "annex 3 on the wrong convention",
    )
    assert agreement.amendments == [{"on": date(2012, 3, 1), "summary": "annex 2 budget lines"}]
    agreement.terminate(CTX, date(2013, 5, 1), "programme closed")
    assert agreement.terminated_on == date(2013, 5, 1)


def test_with_no_amendment_left_there_is_nothing_to_withdraw() -> None:
    agreement = given(amend)
    agreement.withdraw_amendment(CTX, "wrong convention", date(2012, 3, 2))
    agreement.collect_events()

    with pytest.raises(NothingToWithdraw) as caught:
        agreement.withdraw_amendment(CTX, "wrong convention", date(2012, 3, 2))
    with pytest.raises(DomainRuleViolation) as early:
        given(amend).withdraw_amendment(CTX, "wrong convention", date(2012, 2, 29))

    assert caught.value.detail.endswith("it has none left to withdraw")
    assert (early.value.field, early.value.rule) == ("corrected_on", "dates-in-order")
    assert agreement.collect_events() == []


# --- a renewal withdrawn ---------------------------------------------------


def withdraw_renewal(agreement: Agreement, on: date = date(2014, 7, 1)) -> None:
    agreement.withdraw_renewal(CTX, "renewed the wrong convention", on)


def test_withdrawing_a_renewal_puts_the_term_before_it_back() -> None:
    """A renewal recorded by mistake kept the agreement in force two more years, in
    every figure, with no command to undo it."""
    agreement = given(suspend, resume, renew)
    last = agreement.version

    withdraw_renewal(agreement)

    event = then_one(agreement, Agreement.RenewalWithdrawn)
    assert (event.withdrawn_on, event.withdrawn_version) == (date(2014, 6, 1), last)
    assert (event.term_start, event.duration_months) == (SIGNED_ON, 36)
    assert event.reason == "renewed the wrong convention"
    assert agreement.expires_on == date(2014, 12, 9)
    assert (agreement.term_start, agreement.duration_months) == (SIGNED_ON, 36)
    assert agreement.status is AgreementStatus.IN_FORCE
    # The first term is the signature's again: it may be corrected, as before a renewal.
    agreement.correct(CTX, {"duration_months": 48}, "typo", date(2014, 7, 2))
    assert agreement.expires_on == date(2015, 12, 9)


def test_a_withdrawn_late_renewal_takes_its_lapse_with_it() -> None:
    """Renewed after it lapsed: the lapse bounded later steps; withdrawn, it no longer does."""
    agreement = given()
    agreement.renew(CTX, date(2015, 3, 1), 12)  # lapsed 2014-12-09 to 2015-03-01
    agreement.renew(CTX, date(2015, 4, 1), 12)
    agreement.collect_events()

    withdraw_renewal(agreement, date(2015, 4, 2))

    assert agreement.expires_on == date(2016, 3, 1)  # the first renewal's term
    withdraw_renewal(agreement, date(2015, 4, 3))
    assert agreement.expires_on == date(2014, 12, 9)
    assert agreement._lapses == []
    agreement.renew(CTX, date(2015, 1, 5), 12)  # fell in the withdrawn lapse: allowed again
    assert agreement.expires_on == date(2016, 1, 5)


def test_a_renewal_followed_by_a_status_change_is_withdrawn_after_it() -> None:
    agreement = given(renew)
    agreement.suspend(CTX, date(2015, 2, 1), "audit")
    agreement.collect_events()

    with pytest.raises(NothingToWithdraw) as first:
        withdraw_renewal(agreement, date(2015, 3, 1))
    withdraw(agreement, date(2015, 3, 1))
    withdraw_renewal(agreement, date(2015, 3, 1))

    assert "its last status change is a later suspension (withdraw that first" in (
        first.value.detail
    )
    assert agreement.expires_on == date(2014, 12, 9)
    assert (agreement.status, agreement.suspended_on) == (AgreementStatus.IN_FORCE, None)


def test_a_renewal_is_not_withdrawn_under_an_amendment_only_its_term_holds() -> None:
    """Amended in 2015 under the renewed term, then the renewal withdrawn: the agreement
    expired in 2014 held an amendment of 2015, which no command could record (probe 10)."""
    agreement = given(renew)
    agreement.amend(CTX, date(2015, 3, 1), "annex 4")
    agreement.collect_events()

    with pytest.raises(DomainRuleViolation) as caught:
        withdraw_renewal(agreement, date(2015, 4, 1))

    assert caught.value.rule == "dates-in-order"
    assert "an amendment of 2015-03-01 was recorded under the renewed term" in caught.value.detail
    assert agreement.collect_events() == []
    agreement.withdraw_amendment(CTX, "annex of another convention", date(2015, 4, 1))
    withdraw_renewal(agreement, date(2015, 4, 1))
    assert agreement.expires_on == date(2014, 12, 9)


def test_withdrawals_are_dated_in_the_order_they_are_made() -> None:
    """A renewal withdrawn as of a day before the suspension withdrawn ahead of it made
    the record's history, as of a day in between, undo the suspension instead (probe 10)."""
    agreement = given(renew)
    agreement.suspend(CTX, date(2015, 2, 1), "audit")
    agreement.collect_events()
    withdraw(agreement, date(2015, 6, 1))

    with pytest.raises(DomainRuleViolation) as caught:
        withdraw_renewal(agreement, date(2015, 3, 1))

    assert (caught.value.rule, caught.value.field) == ("dates-in-order", "corrected_on")
    assert "the last withdrawal's corrected_on (2015-06-01)" in caught.value.detail
    withdraw_renewal(agreement, date(2015, 6, 1))
    assert agreement.expires_on == date(2014, 12, 9)


@pytest.mark.parametrize("steps", [(), (renew, withdraw_renewal)], ids=["never", "withdrawn"])
def test_with_no_renewal_left_there_is_nothing_to_withdraw(steps: tuple[Step, ...]) -> None:
    agreement = given(*steps)

    with pytest.raises(NothingToWithdraw) as caught:
        withdraw_renewal(agreement)

    assert caught.value.detail.endswith("it was never renewed, or every renewal is withdrawn")
    assert agreement.collect_events() == []


def test_a_renewal_withdrawal_is_dated_after_the_renewal_and_has_a_reason() -> None:
    agreement = given(renew)

    with pytest.raises(DomainRuleViolation) as dated:
        withdraw_renewal(agreement, date(2014, 5, 31))
    with pytest.raises(ValidationError) as blank:
        agreement.withdraw_renewal(CTX, "\u0301", date(2014, 7, 1))

    assert (dated.value.field, dated.value.rule) == ("corrected_on", "dates-in-order")
    assert (blank.value.field, blank.value.rule) == ("reason", "required")
    assert agreement.collect_events() == []
    assert agreement.expires_on == date(2016, 12, 9)


def test_a_withdrawal_is_dated_after_the_change_and_has_a_reason() -> None:
    agreement = given(terminate)

    with pytest.raises(DomainRuleViolation) as dated:
        withdraw(agreement, date(2013, 1, 14))
    with pytest.raises(ValidationError) as blank:
        agreement.withdraw_status_change(CTX, " ", date(2013, 2, 1))

    assert (dated.value.field, dated.value.rule) == ("corrected_on", "dates-in-order")
    assert (blank.value.field, blank.value.rule) == ("reason", "required")
    assert agreement.collect_events() == []
    assert agreement.status is AgreementStatus.TERMINATED


def test_a_withdrawn_termination_no_longer_bounds_a_corrected_term() -> None:
    """The term must cover a termination; once it is withdrawn, it no longer has to."""
    agreement = given(terminate)
    with pytest.raises(DomainRuleViolation):
        agreement.correct(CTX, {"duration_months": 12}, "typo", date(2013, 2, 1))

    withdraw(agreement)
    agreement.correct(CTX, {"duration_months": 12}, "typo", date(2013, 2, 1))

    assert agreement.expires_on == date(2012, 12, 9)
