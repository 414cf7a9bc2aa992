"""Posts abroad: Given past events, When a command, Then the new events."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any, TypeVar
from uuid import uuid4

import pytest

from shared.domain.base import EntenteAggregate
from shared.domain.context import Actor, CommandContext
from shared.domain.post import PostAbroad
from shared.domain.vocabulary import Classification, PostStatus
from shared.errors import (
    DomainRuleViolation,
    IllegalTransition,
    InvalidFieldsError,
    NothingToWithdraw,
    ValidationError,
)

CTX = CommandContext(
    tenant="police",
    actor=Actor(subject="u-0007", name="Sophie Laurent"),
    correlation_id="corr-post-1",
)
OPENED_ON = date(2010, 9, 1)
CHANGED_ON = date(2015, 1, 1)
CLOSED_ON = date(2020, 7, 1)

E = TypeVar("E")


def open_hanoi(**overrides: Any) -> PostAbroad:
    """SSI Hanoï, covering Viêt Nam, Cambodia and Laos."""
    fields: dict[str, Any] = {
        "id": uuid4(),
        "name": "SSI Hanoï",
        "city": "Hanoï",
        "host_country": "VN",
        "covered_countries": ["VN", "KH", "LA"],
        "opened_on": OPENED_ON,
        "classification": Classification.INTERNAL,
    }
    return PostAbroad.open(CTX, **{**fields, **overrides})


def given_open() -> PostAbroad:
    post = open_hanoi()
    post.collect_events()
    return post


def then_one(post: PostAbroad, kind: type[E]) -> E:
    events = post.collect_events()
    assert len(events) == 1, events
    event = events[0]
    assert isinstance(event, kind)
    return event


def test_open_records_the_post_and_its_coverage() -> None:
    post = open_hanoi()

    event = then_one(post, PostAbroad.Opened)
    assert (event.name, event.city, event.host_country) == ("SSI Hanoï", "Hanoï", "VN")
    assert event.covered_countries == ["VN", "KH", "LA"]
    assert event.opened_on == OPENED_ON
    assert post.status is PostStatus.OPEN
    assert post.coverage_history == [{"from": OPENED_ON, "countries": ["VN", "KH", "LA"]}]
    assert post.coverage_since == OPENED_ON


def test_open_refuses_a_coverage_without_the_host_country() -> None:
    with pytest.raises(ValidationError) as caught:
        open_hanoi(covered_countries=["KH", "LA"])

    assert (caught.value.field, caught.value.rule) == ("covered_countries", "host-covered")


@pytest.mark.parametrize(
    ("overrides", "field", "rule"),
    [
        ({"name": " "}, "name", "required"),
        ({"city": ""}, "city", "required"),
        ({"host_country": "VNM"}, "host_country", "iso-3166-alpha-2"),
        ({"host_country": "XX"}, "host_country", "unknown-country"),
        ({"covered_countries": []}, "covered_countries", "required"),
        ({"covered_countries": ["VN", "QQ"]}, "covered_countries[1]", "unknown-country"),
    ],
)
def test_open_refuses_invalid_input(overrides: dict[str, Any], field: str, rule: str) -> None:
    with pytest.raises(ValidationError) as caught:
        open_hanoi(**overrides)

    assert (caught.value.field, caught.value.rule) == (field, rule)


def test_change_coverage_keeps_the_history() -> None:
    post = given_open()

    post.change_coverage(CTX, ["VN", "LA"], CHANGED_ON)

    event = then_one(post, PostAbroad.CoverageChanged)
    assert (event.covered_countries, event.effective_on) == (["VN", "LA"], CHANGED_ON)
    assert post.covered_countries == ["VN", "LA"]
    assert post.coverage_history == [
        {"from": OPENED_ON, "countries": ["VN", "KH", "LA"]},
        {"from": CHANGED_ON, "countries": ["VN", "LA"]},
    ]


def test_covered_on_answers_for_any_day() -> None:
    post = given_open()
    post.change_coverage(CTX, ["VN", "LA"], CHANGED_ON)
    post.close(CTX, CLOSED_ON)

    assert post.covered_on(date(2010, 8, 31)) == []
    assert post.covered_on(OPENED_ON) == ["VN", "KH", "LA"]
    assert post.covered_on(date(2014, 12, 31)) == ["VN", "KH", "LA"]
    assert post.covered_on(CHANGED_ON) == ["VN", "LA"]
    assert post.covered_on(date(2020, 6, 30)) == ["VN", "LA"]
    assert post.covered_on(CLOSED_ON) == []


def test_covered_on_returns_a_copy() -> None:
    post = given_open()

    post.covered_on(OPENED_ON).append("TH")

    assert post.covered_on(OPENED_ON) == ["VN", "KH", "LA"]


def test_a_coverage_change_to_the_same_countries_is_refused() -> None:
    post = given_open()  # covers VN, KH, LA

    with pytest.raises(ValidationError) as caught:
        post.change_coverage(CTX, ["LA", "VN", "KH"], CHANGED_ON)

    assert (caught.value.field, caught.value.rule) == ("covered_countries", "no-change")
    assert post.collect_events() == []


def test_change_coverage_must_keep_the_host_country() -> None:
    post = given_open()

    with pytest.raises(ValidationError) as caught:
        post.change_coverage(CTX, ["KH"], CHANGED_ON)

    assert (caught.value.field, caught.value.rule) == ("covered_countries", "host-covered")
    assert post.collect_events() == []


@pytest.mark.parametrize(
    ("effective_on", "with_earlier_change"),
    [(date(2010, 8, 31), False), (date(2014, 12, 31), True)],
    ids=["before-opening", "before-last-change"],
)
def test_change_coverage_out_of_date_order_is_refused(
    effective_on: date, with_earlier_change: bool
) -> None:
    post = given_open()
    if with_earlier_change:
        post.change_coverage(CTX, ["VN", "LA"], CHANGED_ON)
        post.collect_events()

    with pytest.raises(DomainRuleViolation) as caught:
        post.change_coverage(CTX, ["VN"], effective_on)

    assert (caught.value.rule, caught.value.field) == ("dates-in-order", "effective_on")
    assert post.collect_events() == []


def test_close_records_the_closure() -> None:
    post = given_open()

    post.close(CTX, CLOSED_ON)

    assert then_one(post, PostAbroad.Closed).closed_on == CLOSED_ON
    assert (post.status, post.closed_on) == (PostStatus.CLOSED, CLOSED_ON)


def test_close_before_the_current_coverage_is_refused() -> None:
    post = given_open()
    post.change_coverage(CTX, ["VN", "LA"], CHANGED_ON)
    post.collect_events()

    with pytest.raises(DomainRuleViolation) as caught:
        post.close(CTX, date(2014, 12, 31))

    assert (caught.value.rule, caught.value.field) == ("dates-in-order", "closed_on")
    # named as the API shows it (coverage_since is nowhere in it)
    assert "the current coverage's start (its opening or last coverage change)" in str(caught.value)


AFTER_CLOSURE: dict[str, Callable[[PostAbroad], None]] = {
    # the refusal reads "cannot change the coverage of this post abroad", not the method name
    "change the coverage of": lambda post: post.change_coverage(CTX, ["VN"], date(2021, 1, 1)),
    "close": lambda post: post.close(CTX, date(2021, 1, 1)),
    "correct the coverage of": lambda post: post.redate_coverage(
        CTX, date(2014, 1, 1), "Arrêté", date(2021, 1, 1)
    ),
}


@pytest.mark.parametrize("command", list(AFTER_CLOSURE))
def test_a_closed_post_is_final(command: str) -> None:
    post = given_open()
    post.close(CTX, CLOSED_ON)
    post.collect_events()

    with pytest.raises(IllegalTransition) as caught:
        AFTER_CLOSURE[command](post)

    assert (caught.value.status, caught.value.command) == ("closed", command)
    assert caught.value.detail.startswith(f"cannot {command} this post abroad: it is closed")
    assert post.collect_events() == []


def test_every_event_carries_its_metadata() -> None:
    before = datetime.now(UTC)
    post = open_hanoi()
    post.change_coverage(CTX, ["VN", "LA"], CHANGED_ON)
    post.close(CTX, CLOSED_ON)
    after = datetime.now(UTC)

    events = entente_events(post.collect_events())

    assert [e.business_time for e in events] == [
        datetime(2010, 9, 1, tzinfo=UTC),
        datetime(2015, 1, 1, tzinfo=UTC),
        datetime(2020, 7, 1, tzinfo=UTC),
    ]
    for event in events:
        assert (event.tenant, event.actor_id, event.actor_name) == (
            "police",
            "u-0007",
            "Sophie Laurent",
        )
        assert (event.correlation_id, event.classification) == ("corr-post-1", "internal")
        assert before <= event.timestamp <= after


def test_rebuilding_from_the_events_reproduces_the_state() -> None:
    post = open_hanoi()
    post.change_coverage(CTX, ["VN", "LA"], CHANGED_ON)
    post.close(CTX, CLOSED_ON)
    events = post.collect_events()

    rebuilt: Any = None
    for event in events:
        rebuilt = event.mutate(rebuilt)

    assert rebuilt == post
    assert rebuilt.covered_on(date(2016, 1, 1)) == ["VN", "LA"]
    assert (rebuilt.version, rebuilt.status) == (3, PostStatus.CLOSED)


def entente_events(events: Sequence[object]) -> list[EntenteAggregate.Event]:
    """The events, checked to carry Entente metadata (and typed so)."""
    checked = [e for e in events if isinstance(e, EntenteAggregate.Event)]
    assert len(checked) == len(events)
    return checked


def test_the_last_coverage_change_is_redated_and_the_recorded_date_kept() -> None:
    post = given_open()
    post.change_coverage(CTX, ["VN", "LA"], CHANGED_ON)
    post.collect_events()

    post.redate_coverage(CTX, date(2014, 6, 1), "Date de l'arrêté", date(2015, 2, 1))

    event = then_one(post, PostAbroad.CoverageRedated)
    assert (event.effective_on, event.recorded_effective_on) == (date(2014, 6, 1), CHANGED_ON)
    assert event.business_time == datetime(2015, 2, 1, tzinfo=UTC)
    assert post.covered_on(date(2014, 5, 31)) == ["VN", "KH", "LA"]
    assert post.covered_on(date(2014, 6, 1)) == ["VN", "LA"]
    assert post.coverage_since == date(2014, 6, 1)


@pytest.mark.parametrize(
    ("effective_on", "corrected_on", "error", "rule"),
    [
        (date(2010, 8, 31), date(2016, 1, 1), DomainRuleViolation, "dates-in-order"),
        (CHANGED_ON, date(2016, 1, 1), ValidationError, "no-change"),
        (date(2014, 6, 1), date(2014, 12, 31), DomainRuleViolation, "dates-in-order"),
    ],
    ids=["before-the-coverage-it-followed", "same-day", "corrected-before"],
)
def test_a_redating_out_of_order_or_changing_nothing_is_refused(
    effective_on: date, corrected_on: date, error: type[Exception], rule: str
) -> None:
    post = given_open()
    post.change_coverage(CTX, ["VN", "LA"], CHANGED_ON)
    post.collect_events()

    with pytest.raises(error) as caught:
        post.redate_coverage(CTX, effective_on, "Arrêté", corrected_on)

    assert getattr(caught.value, "rule", None) == rule
    assert post.collect_events() == []


def test_there_is_nothing_to_redate_without_a_change_or_after_a_same_day_one() -> None:
    post = given_open()
    with pytest.raises(DomainRuleViolation) as never:
        post.redate_coverage(CTX, date(2011, 1, 1), "Arrêté", date(2016, 1, 1))
    post.change_coverage(CTX, ["VN", "LA"], OPENED_ON)  # the same day as the opening
    post.collect_events()
    with pytest.raises(DomainRuleViolation) as same_day:
        post.redate_coverage(CTX, date(2011, 1, 1), "Arrêté", date(2016, 1, 1))

    assert (never.value.rule, same_day.value.rule) == ("no-coverage-change", "same-day-change")
    assert post.collect_events() == []


@pytest.mark.parametrize("closed", [False, True], ids=["open", "closed"])
def test_the_opening_is_redated_and_the_recorded_date_kept(closed: bool) -> None:
    """Typed 2010 for 2009: until now no command could move a post's opening day."""
    post = given_open()
    post.change_coverage(CTX, ["VN", "LA"], CHANGED_ON)
    if closed:
        post.close(CTX, CLOSED_ON)
    post.collect_events()

    post.redate_opening(CTX, date(2009, 9, 1), "Date du décret", date(2021, 2, 1))

    event = then_one(post, PostAbroad.OpeningRedated)
    assert (event.opened_on, event.recorded_opened_on) == (date(2009, 9, 1), OPENED_ON)
    assert event.business_time == datetime(2021, 2, 1, tzinfo=UTC)
    assert post.opened_on == date(2009, 9, 1)
    assert post.covered_on(date(2009, 8, 31)) == []
    assert post.covered_on(date(2009, 9, 1)) == ["VN", "KH", "LA"]
    assert post.covered_on(CHANGED_ON) == ["VN", "LA"]  # the later periods are as they were


@pytest.mark.parametrize(
    ("opened_on", "corrected_on", "error", "rule"),
    [
        (date(2015, 1, 2), date(2016, 1, 1), DomainRuleViolation, "dates-in-order"),
        (CHANGED_ON, date(2016, 1, 1), DomainRuleViolation, "dates-in-order"),
        (OPENED_ON, date(2016, 1, 1), ValidationError, "no-change"),
        (date(2011, 1, 1), date(2010, 12, 31), DomainRuleViolation, "dates-in-order"),
    ],
    ids=["after-the-next-change", "on-the-next-change", "same-day", "corrected-before"],
)
def test_an_opening_redating_out_of_order_or_changing_nothing_is_refused(
    opened_on: date, corrected_on: date, error: type[Exception], rule: str
) -> None:
    post = given_open()
    post.change_coverage(CTX, ["VN", "LA"], CHANGED_ON)
    post.collect_events()

    with pytest.raises(error) as caught:
        post.redate_opening(CTX, opened_on, "Décret", corrected_on)

    assert getattr(caught.value, "rule", None) == rule
    assert getattr(caught.value, "field", None) == (
        "corrected_on" if corrected_on < opened_on else "opened_on"
    )
    assert post.collect_events() == []


def test_an_opening_may_move_up_to_the_closure_but_not_past_it() -> None:
    post = given_open()
    post.close(CTX, CLOSED_ON)
    post.collect_events()

    with pytest.raises(DomainRuleViolation) as late:
        post.redate_opening(CTX, date(2020, 7, 2), "Décret", date(2021, 1, 1))
    # On the closing day, the post would have covered nothing, and nothing could move it
    # back (probe 10): a post covers at least one day, as at its opening.
    with pytest.raises(DomainRuleViolation) as closing_day:
        post.redate_opening(CTX, CLOSED_ON, "Décret", date(2021, 1, 1))
    assert "is not before its closure (2020-07-01)" in late.value.detail
    assert (closing_day.value.rule, closing_day.value.field) == ("dates-in-order", "opened_on")
    post.redate_opening(CTX, date(2020, 6, 30), "Décret", date(2021, 1, 1))
    assert post.covered_on(date(2020, 6, 30)) == ["VN", "KH", "LA"]


def test_an_opening_whose_first_coverage_lasted_no_day_is_not_redated() -> None:
    post = given_open()
    post.change_coverage(CTX, ["VN", "LA"], OPENED_ON)  # the same day as the opening
    post.collect_events()

    with pytest.raises(DomainRuleViolation) as caught:
        post.redate_opening(CTX, date(2009, 1, 1), "Décret", date(2016, 1, 1))

    assert (caught.value.rule, caught.value.field) == ("same-day-change", "opened_on")
    assert post.collect_events() == []


def test_a_host_country_typed_wrong_is_corrected_to_one_covered_all_along() -> None:
    """Recorded in Cambodia, SSI Hanoï sits in Viêt Nam: until now no correction could
    move it, and the posts' directory listed it under Cambodia for good."""
    post = open_hanoi(host_country="KH")
    post.change_coverage(CTX, ["VN", "KH"], CHANGED_ON)
    post.collect_events()

    with pytest.raises(ValidationError) as uncovered:
        post.correct(CTX, {"host_country": "LA"}, "Typo", date(2016, 1, 1))
    with pytest.raises(ValidationError) as france:
        post.correct(CTX, {"host_country": "FR"}, "Typo", date(2016, 1, 1))
    post.correct(CTX, {"host_country": "VN"}, "Typo", date(2016, 1, 1))

    assert (uncovered.value.rule, uncovered.value.field) == ("host-covered", "changes.host_country")
    assert "did not cover LA from 2015-01-01" in uncovered.value.detail
    assert (france.value.rule, france.value.field) == ("abroad", "changes.host_country")
    assert post.host_country == "VN"
    assert len(post.collect_events()) == 1


def test_every_field_an_opening_gets_wrong_is_named() -> None:
    with pytest.raises(InvalidFieldsError) as caught:
        open_hanoi(name="", city=" ", host_country="XX")

    assert [(e.field, e.rule) for e in caught.value.each] == [
        ("name", "required"),
        ("city", "required"),
        ("host_country", "unknown-country"),
    ]


def test_a_closure_withdrawn_opens_the_post_again_with_its_coverage() -> None:
    post = given_open()
    post.change_coverage(CTX, ["VN", "LA"], CHANGED_ON)
    post.close(CTX, CLOSED_ON)
    post.collect_events()

    post.withdraw_closure(CTX, "Recorded on the wrong post", date(2020, 7, 10))

    event = then_one(post, PostAbroad.ClosureWithdrawn)
    assert (event.closed_on, event.coverage_since) == (CLOSED_ON, CHANGED_ON)
    assert (event.covered_countries, event.reason) == (["VN", "LA"], "Recorded on the wrong post")
    assert (post.status, post.closed_on) == (PostStatus.OPEN, None)
    assert post.covered_on(date(2022, 1, 1)) == ["VN", "LA"]
    post.close(CTX, date(2021, 1, 1))  # and it closes again, when it really does


def test_a_closure_withdrawal_needs_a_closure_a_reason_and_a_day_not_before_it() -> None:
    post = given_open()
    with pytest.raises(NothingToWithdraw) as open_:
        post.withdraw_closure(CTX, "reason", date(2020, 7, 10))
    assert open_.value.detail.endswith("it is open, not closed")
    post.close(CTX, CLOSED_ON)
    post.collect_events()

    with pytest.raises(DomainRuleViolation) as early:
        post.withdraw_closure(CTX, "reason", date(2020, 6, 30))
    with pytest.raises(ValidationError) as blank:
        post.withdraw_closure(CTX, "  ", date(2020, 7, 10))

    assert (early.value.field, early.value.rule) == ("corrected_on", "dates-in-order")
    assert (blank.value.field, blank.value.rule) == ("reason", "required")
    assert post.collect_events() == []
    assert post.status is PostStatus.CLOSED
