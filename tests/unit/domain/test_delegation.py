"""Delegation visits: Given past events, When a command, Then the new events."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar, cast
from uuid import uuid4

import pytest

from shared.domain.base import EntenteAggregate
from shared.domain.context import Actor, CommandContext
from shared.domain.delegation import DelegationVisit
from shared.domain.vocabulary import Classification, DelegationStatus, Organisation
from shared.errors import (
    DomainRuleViolation,
    IllegalTransition,
    InvalidFieldsError,
    NothingToWithdraw,
    ValidationError,
)

CTX = CommandContext(
    tenant="civil-protection",
    actor=Actor(subject="u-0042", name="Marc Dubois"),
    correlation_id="corr-visit-1",
)
START, END = date(2024, 5, 13), date(2024, 5, 16)
PLANNED_ON = date(2024, 2, 1)

E = TypeVar("E")
Step = Callable[[DelegationVisit], None]


def plan(**overrides: Any) -> DelegationVisit:
    """A Chinese delegation of the EU-China disaster risk programme, at headquarters."""
    fields: dict[str, Any] = {
        "id": uuid4(),
        "country": "CN",
        "organisation": None,
        "head_of_delegation": "M. Li Wei",
        "size": 12,
        "start_date": START,
        "end_date": END,
        "host_site": "Asnières-sur-Seine",
        "topics": ["crisis-management-and-civil-protection"],
        "classification": Classification.PUBLIC,
        "planned_on": PLANNED_ON,
    }
    return DelegationVisit.plan(CTX, **{**fields, **overrides})


def given(*steps: Step, **overrides: Any) -> DelegationVisit:
    """A planned visit after ``steps``, its history already saved (collected)."""
    visit = plan(**overrides)
    for step in steps:
        step(visit)
    visit.collect_events()
    return visit


def then_one(visit: DelegationVisit, kind: type[E]) -> E:
    events = visit.collect_events()
    assert len(events) == 1, events
    event = events[0]
    assert isinstance(event, kind)
    return event


def host(visit: DelegationVisit) -> None:
    visit.host(CTX, date(2024, 5, 14), 11)


def cancel(visit: DelegationVisit) -> None:
    visit.cancel(CTX, date(2024, 4, 2), "flights cancelled")


def reschedule(visit: DelegationVisit) -> None:
    visit.reschedule(CTX, date(2024, 6, 3), date(2024, 6, 5), date(2024, 4, 20))


COMMANDS: dict[str, Step] = {"reschedule": reschedule, "host": host, "cancel": cancel}


def test_plan_records_a_visit_from_a_country() -> None:
    visit = plan()

    event = then_one(visit, DelegationVisit.Planned)
    assert (event.country, event.organisation) == ("CN", None)
    assert (event.head_of_delegation, event.size) == ("M. Li Wei", 12)
    assert (event.start_date, event.end_date) == (START, END)
    assert event.host_site == "Asnières-sur-Seine"
    assert event.topics == ["crisis-management-and-civil-protection"]
    assert event.business_time == datetime(2024, 2, 1, tzinfo=UTC)
    assert visit.status is DelegationStatus.PLANNED
    assert (visit.hosted_on, visit.reschedulings) == (None, 0)


def test_plan_records_a_visit_from_an_organisation() -> None:
    visit = plan(country=None, organisation="EU", host_site="Aix-en-Provence")

    event = then_one(visit, DelegationVisit.Planned)
    assert (event.country, event.organisation) == (None, "EU")
    assert visit.organisation is Organisation.EU
    assert visit.host_site == "Aix-en-Provence"


def test_plan_without_a_planning_date_takes_the_recorded_time() -> None:
    soon = datetime.now(UTC).date() + timedelta(days=30)
    visit = plan(planned_on=None, start_date=soon, end_date=soon + timedelta(days=2))

    event = then_one(visit, DelegationVisit.Planned)
    assert event.business_time == event.timestamp


def test_a_plan_recorded_after_its_visit_began_is_dated_its_first_day_at_the_latest() -> None:
    """Recorded today for May 2024 without planned_on, the plan was dated today: after
    its own hosting, and the auditor's business-time view said it did not exist yet
    on the day it was hosted."""
    visit = plan(planned_on=None)  # 13-16 May 2024

    planned = then_one(visit, DelegationVisit.Planned)
    visit.host(CTX, START + timedelta(days=1), 10)
    hosted = then_one(visit, DelegationVisit.Hosted)

    assert planned.business_time == datetime(2024, 5, 13, tzinfo=UTC) < planned.timestamp
    assert planned.business_time <= hosted.business_time
    cancelled = given(planned_on=None)  # still held to no date: cancelled before it began
    cancelled.cancel(CTX, START - timedelta(days=3), "flights cancelled")
    assert cancelled.status == DelegationStatus.CANCELLED


def test_a_plan_recorded_before_the_rule_without_its_date_still_orders_nothing() -> None:
    """Until 2026-12-07 such a plan was dated when it was recorded, whatever its dates."""
    visit = plan(planned_on=None)
    [event] = visit.collect_events()
    earlier: Any = replace(cast(Any, event), business_time=event.timestamp)

    rebuilt = earlier.mutate(None)

    assert rebuilt is not None
    rebuilt.host(CTX, START, 10)  # before the day it was recorded
    assert rebuilt.hosted_on == START


@pytest.mark.parametrize(
    ("country", "organisation"), [("CN", "EU"), (None, None)], ids=["both", "neither"]
)
def test_plan_needs_exactly_one_country_or_organisation(
    country: str | None, organisation: str | None
) -> None:
    with pytest.raises(ValidationError) as caught:
        plan(country=country, organisation=organisation)

    assert (caught.value.field, caught.value.rule) == ("country", "one-of")


@pytest.mark.parametrize(
    ("overrides", "field", "rule"),
    [
        ({"country": "XX"}, "country", "unknown-country"),
        ({"country": "CHN"}, "country", "iso-3166-alpha-2"),
        ({"country": None, "organisation": "ASEAN"}, "organisation", "vocabulary"),
        ({"head_of_delegation": " "}, "head_of_delegation", "required"),
        ({"size": 0}, "size", "range"),
        ({"size": 501}, "size", "range"),
        ({"host_site": ""}, "host_site", "required"),
        ({"topics": []}, "topics", "required"),
        ({"topics": ["floods"]}, "topics[0]", "vocabulary"),
    ],
)
def test_plan_refuses_invalid_input(overrides: dict[str, Any], field: str, rule: str) -> None:
    with pytest.raises(ValidationError) as caught:
        plan(**overrides)

    assert (caught.value.field, caught.value.rule) == (field, rule)


def test_plan_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(DomainRuleViolation) as caught:
        plan(end_date=date(2024, 5, 12))

    assert (caught.value.rule, caught.value.field) == ("dates-in-order", "end_date")


def test_a_plan_agreed_after_the_visit_ended_is_refused() -> None:
    """Hosting is dated within the visit and on or after planned_on: a visit entered
    after the fact with planned_on = the day of entry could never be hosted."""
    with pytest.raises(DomainRuleViolation) as caught:
        plan(planned_on=END + timedelta(days=2))

    assert (caught.value.rule, caught.value.field) == ("dates-in-order", "planned_on")
    assert "it could never be recorded as hosted" in caught.value.detail
    visit = plan(planned_on=END)  # agreed on its last day: hosted that day
    visit.host(CTX, END, 5)


def test_a_rescheduling_to_dates_already_past_is_refused() -> None:
    visit = given()

    with pytest.raises(DomainRuleViolation) as caught:
        visit.reschedule(CTX, date(2024, 3, 1), date(2024, 3, 4), date(2024, 4, 20))

    assert (caught.value.rule, caught.value.field) == ("dates-in-order", "rescheduled_on")
    assert visit.collect_events() == []


def test_reschedule_moves_the_dates() -> None:
    visit = given()

    reschedule(visit)

    event = then_one(visit, DelegationVisit.Rescheduled)
    assert (event.start_date, event.end_date) == (date(2024, 6, 3), date(2024, 6, 5))
    assert event.business_time == datetime(2024, 4, 20, tzinfo=UTC)
    assert (visit.start_date, visit.end_date) == (date(2024, 6, 3), date(2024, 6, 5))
    assert (visit.status, visit.reschedulings) == (DelegationStatus.PLANNED, 1)


def test_reschedule_ending_before_it_starts_is_refused() -> None:
    visit = given()

    with pytest.raises(DomainRuleViolation) as caught:
        visit.reschedule(CTX, date(2024, 6, 5), date(2024, 6, 3), date(2024, 4, 20))

    assert (caught.value.rule, caught.value.field) == ("dates-in-order", "end_date")
    assert visit.collect_events() == []


@pytest.mark.parametrize("day", [START, END], ids=["first-day", "last-day"])
def test_host_records_the_visit_within_its_dates(day: date) -> None:
    visit = given()

    visit.host(CTX, day, 11)

    event = then_one(visit, DelegationVisit.Hosted)
    assert (event.hosted_on, event.actual_size) == (day, 11)
    assert (visit.status, visit.actual_size) == (DelegationStatus.HOSTED, 11)


@pytest.mark.parametrize("day", [date(2024, 5, 12), date(2024, 5, 17)], ids=["before", "after"])
def test_host_outside_the_visit_dates_is_refused(day: date) -> None:
    visit = given()

    with pytest.raises(DomainRuleViolation) as caught:
        visit.host(CTX, day, 11)

    assert (caught.value.rule, caught.value.field) == ("dates-in-order", "hosted_on")
    assert visit.collect_events() == []


def test_host_follows_a_rescheduling() -> None:
    visit = given(reschedule)

    visit.host(CTX, date(2024, 6, 4), 9)

    assert then_one(visit, DelegationVisit.Hosted).hosted_on == date(2024, 6, 4)


def test_host_refuses_an_empty_delegation() -> None:
    visit = given()

    with pytest.raises(ValidationError) as caught:
        visit.host(CTX, START, 0)

    assert (caught.value.field, caught.value.rule) == ("actual_size", "range")


@pytest.mark.parametrize(
    "step",
    [
        lambda v: v.reschedule(CTX, date(2024, 7, 1), date(2024, 7, 3), date(2024, 4, 19)),
        lambda v: v.cancel(CTX, date(2024, 4, 19), "flights cancelled"),
    ],
    ids=["reschedule", "cancel"],
)
def test_a_step_dated_before_the_last_rescheduling_is_refused(
    step: Callable[[DelegationVisit], None],
) -> None:
    visit = given(reschedule)  # rescheduled on 2024-04-20

    with pytest.raises(DomainRuleViolation) as caught:
        step(visit)

    assert caught.value.rule == "dates-in-order"
    assert "the previous rescheduled_on (2024-04-20)" in str(caught.value)
    assert visit.collect_events() == []
    assert (visit.status, visit.reschedulings) == (DelegationStatus.PLANNED, 1)


def test_hosting_before_the_last_rescheduling_is_refused() -> None:
    """Moved on 4 June to 3-5 June: the visit cannot have been hosted on the 3rd."""
    visit = given(lambda v: v.reschedule(CTX, date(2024, 6, 3), date(2024, 6, 5), date(2024, 6, 4)))

    with pytest.raises(DomainRuleViolation) as caught:
        visit.host(CTX, date(2024, 6, 3), 8)

    assert (caught.value.rule, caught.value.field) == ("dates-in-order", "hosted_on")
    assert visit.collect_events() == []


def test_a_step_on_the_day_of_the_last_rescheduling_is_recorded() -> None:
    visit = given(reschedule)

    visit.reschedule(CTX, date(2024, 7, 1), date(2024, 7, 3), date(2024, 4, 20))
    visit.cancel(CTX, date(2024, 4, 20), "flights cancelled")

    assert (visit.status, visit.reschedulings, visit.rescheduled_on) == (
        DelegationStatus.CANCELLED,
        2,
        date(2024, 4, 20),
    )


def test_cancel_records_the_reason() -> None:
    visit = given()

    cancel(visit)

    event = then_one(visit, DelegationVisit.Cancelled)
    assert (event.cancelled_on, event.reason) == (date(2024, 4, 2), "flights cancelled")
    assert (visit.status, visit.cancellation_reason) == (
        DelegationStatus.CANCELLED,
        "flights cancelled",
    )


def test_cancel_needs_a_reason() -> None:
    visit = given()

    with pytest.raises(ValidationError) as caught:
        visit.cancel(CTX, date(2024, 4, 2), "  ")

    assert (caught.value.field, caught.value.rule) == ("reason", "required")


@pytest.mark.parametrize(
    ("path", "status"),
    [((host,), DelegationStatus.HOSTED), ((cancel,), DelegationStatus.CANCELLED)],
    ids=["hosted", "cancelled"],
)
@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_hosted_or_cancelled_visit_is_final(
    path: tuple[Step, ...], status: DelegationStatus, command: str
) -> None:
    visit = given(*path)

    with pytest.raises(IllegalTransition) as caught:
        COMMANDS[command](visit)

    assert (caught.value.status, caught.value.command) == (status.value, command)
    assert visit.collect_events() == []


def test_every_event_carries_its_metadata() -> None:
    before = datetime.now(UTC)
    visit = plan()
    reschedule(visit)
    visit.host(CTX, date(2024, 6, 3), 10)
    after = datetime.now(UTC)

    events = entente_events(visit.collect_events())

    assert [e.business_time.date() for e in events] == [
        PLANNED_ON,
        date(2024, 4, 20),
        date(2024, 6, 3),
    ]
    for event in events:
        assert (event.tenant, event.actor_id, event.actor_name) == (
            "civil-protection",
            "u-0042",
            "Marc Dubois",
        )
        assert (event.correlation_id, event.causation_id) == ("corr-visit-1", None)
        assert event.classification == "public"
        assert before <= event.timestamp <= after


def test_rebuilding_from_the_events_reproduces_the_state() -> None:
    visit = plan()
    reschedule(visit)
    visit.host(CTX, date(2024, 6, 4), 9)
    events = visit.collect_events()

    rebuilt: Any = None
    for event in events:
        rebuilt = event.mutate(rebuilt)

    assert rebuilt == visit
    assert (rebuilt.version, rebuilt.status, rebuilt.reschedulings) == (
        3,
        DelegationStatus.HOSTED,
        1,
    )


def entente_events(events: Sequence[object]) -> list[EntenteAggregate.Event]:
    """The events, checked to carry Entente metadata (and typed so)."""
    checked = [e for e in events if isinstance(e, EntenteAggregate.Event)]
    assert len(checked) == len(events)
    return checked


def test_a_visit_cannot_be_hosted_on_a_day_still_to_come() -> None:
    visit = given()
    today = replace(CTX, today=date(2024, 5, 13))  # the visit's first day

    with pytest.raises(DomainRuleViolation) as caught:
        visit.host(today, date(2024, 5, 14), 11)

    assert (caught.value.rule, caught.value.field) == ("not-in-future", "hosted_on")
    assert visit.collect_events() == []
    visit.host(today, date(2024, 5, 13), 11)
    assert visit.status is DelegationStatus.HOSTED


@pytest.mark.parametrize(
    "step",
    [
        lambda v, on: v.reschedule(CTX, date(2024, 7, 1), date(2024, 7, 3), on),
        lambda v, on: v.cancel(CTX, on, "flights cancelled"),
    ],
    ids=["reschedule", "cancel"],
)
def test_a_step_dated_before_the_plan_was_agreed_is_refused(
    step: Callable[[DelegationVisit, date], None],
) -> None:
    visit = given()  # planned on PLANNED_ON

    with pytest.raises(DomainRuleViolation) as caught:
        step(visit, PLANNED_ON - timedelta(days=1))

    assert caught.value.rule == "dates-in-order"
    assert f"is before planned_on ({PLANNED_ON.isoformat()})" in str(caught.value)
    assert visit.collect_events() == []


def test_a_plan_recorded_without_its_date_does_not_order_the_steps() -> None:
    """Its business time is only when it was recorded: a cancellation may predate it."""
    visit = given(planned_on=None)

    visit.cancel(CTX, PLANNED_ON - timedelta(days=1), "flights cancelled")

    assert visit.status == DelegationStatus.CANCELLED


def test_every_field_a_plan_gets_wrong_is_named() -> None:
    with pytest.raises(InvalidFieldsError) as caught:
        plan(country="XX", size=0, host_site=" ")

    assert [(e.field, e.rule) for e in caught.value.each] == [
        ("country", "unknown-country"),
        ("size", "range"),
        ("host_site", "required"),
    ]


def test_a_cancellation_withdrawn_plans_the_visit_again() -> None:
    visit = given(cancel)

    visit.withdraw_cancellation(CTX, "recorded on the wrong visit", date(2024, 4, 25))

    event = then_one(visit, DelegationVisit.CancellationWithdrawn)
    assert (event.cancelled_on, event.reason) == (date(2024, 4, 2), "recorded on the wrong visit")
    assert (visit.status, visit.cancelled_on, visit.cancellation_reason) == (
        DelegationStatus.PLANNED,
        None,
        None,
    )
    host(visit)
    assert visit.status is DelegationStatus.HOSTED


def test_only_a_cancelled_visit_has_a_cancellation_to_withdraw() -> None:
    visit = given()
    with pytest.raises(NothingToWithdraw):
        visit.withdraw_cancellation(CTX, "reason", date(2024, 4, 25))
    cancel(visit)
    visit.collect_events()

    with pytest.raises(DomainRuleViolation) as early:
        visit.withdraw_cancellation(CTX, "reason", date(2024, 4, 1))

    assert (early.value.field, early.value.rule) == ("corrected_on", "dates-in-order")
    assert visit.collect_events() == []
