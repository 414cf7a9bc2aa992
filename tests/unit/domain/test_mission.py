"""Mission: Given past events, When a command, Then the new events (or the refusal)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID, uuid4

import pytest

from shared.domain.base import EntenteAggregate
from shared.domain.context import Actor, CommandContext
from shared.domain.mission import Mission
from shared.domain.vocabulary import Classification, MissionStatus, MissionType
from shared.errors import DomainRuleViolation, IllegalTransition, NothingToWithdraw, ValidationError

CTX = CommandContext(
    tenant="police",
    actor=Actor(subject="u-4711", name="Claire Martin"),
    correlation_id="corr-mission-1",
    causation_id="cause-1",
)
TODAY = date(2014, 1, 31)
REQUESTED_ON = date(2013, 3, 4)
DECIDED_ON = date(2013, 4, 15)
SCHEDULED_ON = date(2013, 6, 3)
START, END = date(2013, 10, 7), date(2013, 10, 11)
ONE_DAY = timedelta(days=1)
CANCELLED_ON = date(2013, 10, 8)
EVALUATED_ON = date(2013, 11, 20)

E = TypeVar("E")
Step = Callable[[Mission], None]


def request(**overrides: Any) -> Mission:
    """The request of the Phnom Penh crime-scene course (October 2013)."""
    fields: dict[str, Any] = {
        "id": uuid4(),
        "title": "Gestion d'une scène de crime",
        "mission_type": "training-course",
        "countries": ["KH"],
        "organisations": [],
        "themes": ["forensic-science"],
        "requested_by": "Police nationale cambodgienne",
        "post_id": "post-hanoi",
        "requested_on": REQUESTED_ON,
        "description": "Formation des primo-intervenants",
        "classification": Classification.INTERNAL,
        "today": TODAY,
    }
    return Mission.request(CTX, **{**fields, **overrides})


def validate(mission: Mission) -> None:
    mission.validate(CTX, DECIDED_ON, "MEAE - DCSD", "MEAE/DCSD/2013-117")


def decline(mission: Mission) -> None:
    mission.decline(CTX, DECIDED_ON, "MEAE - DCSD", "MEAE/DCSD/2013-118", "no budget line")


def schedule(mission: Mission) -> None:
    budget = (Decimal("18500.00"), "EUR")
    mission.schedule(CTX, START, END, "Phnom Penh", 3, budget, SCHEDULED_ON)


def launch(mission: Mission) -> None:
    mission.launch(CTX, START)


def complete(mission: Mission) -> None:
    cost = (Decimal("17230.50"), "EUR")
    mission.complete(CTX, END, 24, cost, "24 officers trained in crime-scene management")


def cancel(mission: Mission) -> None:
    mission.cancel(CTX, CANCELLED_ON, "typhoon warning")


def evaluate(mission: Mission) -> None:
    mission.evaluate(CTX, EVALUATED_ON, 4, "good uptake", "repeat in Battambang")


PATHS: dict[MissionStatus, tuple[Step, ...]] = {
    MissionStatus.REQUESTED: (),
    MissionStatus.VALIDATED: (validate,),
    MissionStatus.DECLINED: (decline,),
    MissionStatus.SCHEDULED: (validate, schedule),
    MissionStatus.LAUNCHED: (validate, schedule, launch),
    MissionStatus.COMPLETED: (validate, schedule, launch, complete),
    MissionStatus.CANCELLED: (validate, cancel),
    MissionStatus.EVALUATED: (validate, schedule, launch, complete, evaluate),
}
COMMANDS: dict[str, Step] = {
    "validate": validate,
    "decline": decline,
    "schedule": schedule,
    "launch": launch,
    "complete": complete,
    "cancel": cancel,
    "evaluate": evaluate,
}
ALLOWED: dict[str, set[MissionStatus]] = {
    "validate": {MissionStatus.REQUESTED},
    "decline": {MissionStatus.REQUESTED},
    "schedule": {MissionStatus.VALIDATED, MissionStatus.SCHEDULED},
    "launch": {MissionStatus.SCHEDULED},
    "complete": {MissionStatus.LAUNCHED},
    "cancel": {MissionStatus.VALIDATED, MissionStatus.SCHEDULED, MissionStatus.LAUNCHED},
    "evaluate": {MissionStatus.COMPLETED},
}
ILLEGAL = [
    (status, command)
    for command in COMMANDS
    for status in MissionStatus
    if status not in ALLOWED[command]
]


def given(*steps: Step, **overrides: Any) -> Mission:
    """A requested mission after ``steps``, its history already saved (collected)."""
    mission = request(**overrides)
    for step in steps:
        step(mission)
    mission.collect_events()
    return mission


def then_one(mission: Mission, kind: type[E]) -> E:
    """The single new event, which must be of ``kind``."""
    events = mission.collect_events()
    assert len(events) == 1, events
    event = events[0]
    assert isinstance(event, kind)
    return event


def entente_events(events: Sequence[object]) -> list[EntenteAggregate.Event]:
    """The events, checked to carry Entente metadata (and typed so)."""
    checked = [e for e in events if isinstance(e, EntenteAggregate.Event)]
    assert len(checked) == len(events)
    return checked


def rebuild(events: Sequence[Any]) -> Any:
    """The aggregate as the library rebuilds it from stored events."""
    record: Any = None
    for event in events:
        record = event.mutate(record)
    return record


# --- request ---------------------------------------------------------------


def test_request_records_the_foreign_request() -> None:
    mission = request(countries=["KH", "VN", "KH"], organisations=["ASEANAPOL"])

    (event,) = mission.collect_events()

    assert isinstance(event, Mission.Requested)
    assert event.title == "Gestion d'une scène de crime"
    assert event.mission_type == "training-course"
    assert event.countries == ["KH", "VN"]
    assert event.organisations == ["ASEANAPOL"]
    assert event.themes == ["forensic-science"]
    assert event.requested_by == "Police nationale cambodgienne"
    assert event.post_id == "post-hanoi"
    assert event.requested_on == REQUESTED_ON
    assert mission.status is MissionStatus.REQUESTED
    assert mission.mission_type is MissionType.TRAINING_COURSE
    assert mission.decided_on is None
    assert mission.start_date is None


def test_the_state_does_not_share_lists_with_the_recorded_event() -> None:
    mission = request()
    (event,) = mission.collect_events()

    mission.countries.append("LA")
    mission.themes.clear()

    assert isinstance(event, Mission.Requested)
    assert (event.countries, event.themes) == (["KH"], ["forensic-science"])


def test_request_may_come_without_post_or_description() -> None:
    mission = request(post_id=None, description="  ")

    assert mission.post_id is None
    assert mission.description == ""


def test_request_received_today_is_accepted() -> None:
    assert request(requested_on=TODAY).requested_on == TODAY


def test_request_in_the_future_is_refused() -> None:
    with pytest.raises(DomainRuleViolation) as caught:
        request(requested_on=date(2014, 2, 1))

    assert (caught.value.rule, caught.value.field) == ("not-in-future", "requested_on")
    assert f"is after today ({TODAY.isoformat()} at UTC+14" in caught.value.detail


@pytest.mark.parametrize(
    ("overrides", "field", "rule"),
    [
        ({"title": "  "}, "title", "required"),
        ({"title": "x" * 501}, "title", "max-length"),
        ({"mission_type": "workshop"}, "mission_type", "vocabulary"),
        ({"countries": []}, "countries", "required"),
        ({"countries": ["KHM"]}, "countries[0]", "iso-3166-alpha-2"),
        ({"countries": ["KH", "ZZ"]}, "countries[1]", "unknown-country"),
        ({"organisations": ["ASEAN"]}, "organisations[0]", "vocabulary"),
        ({"themes": []}, "themes", "required"),
        ({"themes": ["drugs"]}, "themes[0]", "vocabulary"),
        ({"requested_by": ""}, "requested_by", "required"),
        ({"post_id": " "}, "post_id", "required"),
        ({"description": "x" * 4001}, "description", "max-length"),
    ],
)
def test_request_refuses_invalid_input(overrides: dict[str, Any], field: str, rule: str) -> None:
    with pytest.raises(ValidationError) as caught:
        request(**overrides)

    assert (caught.value.field, caught.value.rule) == (field, rule)


# --- decision --------------------------------------------------------------


def test_validate_records_who_decided_when_and_on_what_reference() -> None:
    mission = given()

    validate(mission)

    event = then_one(mission, Mission.Validated)
    assert (event.decided_on, event.decided_by) == (DECIDED_ON, "MEAE - DCSD")
    assert event.decision_reference == "MEAE/DCSD/2013-117"
    assert mission.status is MissionStatus.VALIDATED
    assert mission.decided_on == DECIDED_ON


def test_decline_records_the_decision_and_its_reason() -> None:
    mission = given()

    decline(mission)

    event = then_one(mission, Mission.Declined)
    assert event.reason == "no budget line"
    assert event.decision_reference == "MEAE/DCSD/2013-118"
    assert mission.status is MissionStatus.DECLINED
    assert (mission.decided_by, mission.decline_reason) == ("MEAE - DCSD", "no budget line")


def test_decision_on_the_day_of_the_request_is_accepted() -> None:
    mission = given()

    mission.validate(CTX, REQUESTED_ON, "DCI", "DCI/2013/1")

    assert then_one(mission, Mission.Validated).decided_on == REQUESTED_ON


@pytest.mark.parametrize(
    ("command", "field"),
    [
        (lambda m: m.validate(CTX, DECIDED_ON, " ", "REF"), "decided_by"),
        (lambda m: m.validate(CTX, DECIDED_ON, "MEAE", ""), "decision_reference"),
        (lambda m: m.decline(CTX, DECIDED_ON, "MEAE", "REF", ""), "reason"),
    ],
)
def test_decision_needs_who_reference_and_reason(command: Step, field: str) -> None:
    mission = given()

    with pytest.raises(ValidationError) as caught:
        command(mission)

    assert (caught.value.field, caught.value.rule) == (field, "required")
    assert mission.collect_events() == []


# --- schedule, launch, complete, cancel, evaluate --------------------------


def test_schedule_sets_dates_place_experts_and_budget() -> None:
    mission = given(validate)

    schedule(mission)

    event = then_one(mission, Mission.Scheduled)
    assert (event.start_date, event.end_date, event.place) == (START, END, "Phnom Penh")
    assert (event.budget_amount, event.budget_currency) == (Decimal("18500.00"), "EUR")
    assert mission.status is MissionStatus.SCHEDULED
    assert (mission.expert_count, mission.scheduled_on) == (3, SCHEDULED_ON)


def test_schedule_again_is_a_rescheduling_and_the_latest_holds() -> None:
    mission = given(validate, schedule)

    mission.schedule(
        CTX, date(2013, 11, 4), date(2013, 11, 8), "Siem Reap", 2, None, date(2013, 9, 2)
    )

    then_one(mission, Mission.Scheduled)
    assert (mission.start_date, mission.place, mission.expert_count) == (
        date(2013, 11, 4),
        "Siem Reap",
        2,
    )
    assert (mission.budget_amount, mission.budget_currency) == (None, None)


@pytest.mark.parametrize("scheduled_on", [date(2013, 10, 12), date(2013, 12, 1)])
def test_a_schedule_decided_after_the_mission_would_end_is_refused(scheduled_on: date) -> None:
    """Launch is dated within the mission and on or after its scheduling: scheduled on
    the 12th to end on the 11th, no launch date would do, and it stayed "scheduled"."""
    mission = given(validate)

    with pytest.raises(DomainRuleViolation) as caught:
        mission.schedule(CTX, START, END, "Phnom Penh", 3, None, scheduled_on)

    assert (caught.value.field, caught.value.rule) == ("scheduled_on", "dates-in-order")
    assert "it could never be launched" in caught.value.detail
    mission.schedule(CTX, START, END, "Phnom Penh", 3, None, END)  # the last day will do
    mission.launch(CTX, END)


@pytest.mark.parametrize(
    ("experts", "budget", "field", "rule"),
    [
        (501, None, "expert_count", "range"),
        (-1, None, "expert_count", "range"),
        (True, None, "expert_count", "integer"),
        (3, (Decimal("10.001"), "EUR"), "budget.amount", "scale"),
        (3, (Decimal("-1"), "EUR"), "budget.amount", "range"),
        (3, (Decimal("10"), "EURO"), "budget.currency", "unknown-currency"),
    ],
)
def test_schedule_refuses_invalid_experts_and_budget(
    experts: int, budget: tuple[Decimal, str] | None, field: str, rule: str
) -> None:
    mission = given(validate)

    with pytest.raises(ValidationError) as caught:
        mission.schedule(CTX, START, END, "Phnom Penh", experts, budget, SCHEDULED_ON)

    assert (caught.value.field, caught.value.rule) == (field, rule)


def test_schedule_without_experts_is_accepted() -> None:
    mission = given(validate)

    mission.schedule(CTX, START, START, "Phnom Penh", 0, None, SCHEDULED_ON)

    assert then_one(mission, Mission.Scheduled).expert_count == 0


def test_launch_records_the_start_of_delivery() -> None:
    mission = given(validate, schedule)

    launch(mission)

    assert then_one(mission, Mission.Launched).launched_on == START
    assert mission.status is MissionStatus.LAUNCHED


def test_complete_records_participants_cost_and_outcome() -> None:
    mission = given(validate, schedule, launch)

    complete(mission)

    event = then_one(mission, Mission.Completed)
    assert (event.completed_on, event.participants) == (END, 24)
    assert (event.actual_cost_amount, event.actual_cost_currency) == (Decimal("17230.50"), "EUR")
    assert event.outcome == "24 officers trained in crime-scene management"
    assert mission.status is MissionStatus.COMPLETED
    assert (mission.participants, mission.actual_cost_amount) == (24, Decimal("17230.50"))
    assert mission.outcome == "24 officers trained in crime-scene management"


@pytest.mark.parametrize(
    ("participants", "outcome", "field", "rule"),
    [(-1, "done", "participants", "range"), (10, " ", "outcome", "required")],
)
def test_complete_refuses_invalid_input(
    participants: int, outcome: str, field: str, rule: str
) -> None:
    mission = given(validate, schedule, launch)

    with pytest.raises(ValidationError) as caught:
        mission.complete(CTX, END, participants, None, outcome)

    assert (caught.value.field, caught.value.rule) == (field, rule)


@pytest.mark.parametrize(
    "path",
    [(validate,), (validate, schedule), (validate, schedule, launch)],
    ids=["validated", "scheduled", "launched"],
)
def test_cancel_is_allowed_until_completion(path: tuple[Step, ...]) -> None:
    mission = given(*path)

    cancel(mission)

    event = then_one(mission, Mission.Cancelled)
    assert (event.cancelled_on, event.reason) == (CANCELLED_ON, "typhoon warning")
    assert mission.status is MissionStatus.CANCELLED
    assert mission.cancellation_reason == "typhoon warning"


def test_evaluate_records_rating_findings_and_recommendations() -> None:
    mission = given(validate, schedule, launch, complete)

    evaluate(mission)

    event = then_one(mission, Mission.Evaluated)
    assert (event.rating, event.findings) == (4, "good uptake")
    assert event.recommendations == "repeat in Battambang"
    assert mission.status is MissionStatus.EVALUATED
    assert mission.evaluated_on == EVALUATED_ON


def test_an_evaluation_may_have_no_recommendations() -> None:
    mission = given(validate, schedule, launch, complete)

    mission.evaluate(CTX, EVALUATED_ON, 5, "all objectives met", " ")

    assert then_one(mission, Mission.Evaluated).recommendations == ""
    assert mission.rating == 5


@pytest.mark.parametrize(
    ("rating", "findings", "field", "rule"),
    [(0, "ok", "rating", "range"), (6, "ok", "rating", "range"), (3, "", "findings", "required")],
)
def test_evaluate_refuses_invalid_input(rating: int, findings: str, field: str, rule: str) -> None:
    mission = given(validate, schedule, launch, complete)

    with pytest.raises(ValidationError) as caught:
        mission.evaluate(CTX, EVALUATED_ON, rating, findings, "")

    assert (caught.value.field, caught.value.rule) == (field, rule)


# --- illegal transitions and date order ------------------------------------


@pytest.mark.parametrize(("status", "command"), ILLEGAL, ids=str)
def test_illegal_transition_is_refused_before_any_event(
    status: MissionStatus, command: str
) -> None:
    mission = given(*PATHS[status])
    assert mission.status is status

    with pytest.raises(IllegalTransition) as caught:
        COMMANDS[command](mission)

    assert (caught.value.status, caught.value.command) == (status.value, command)
    assert caught.value.rule == "illegal-transition"
    assert mission.collect_events() == []
    assert mission.status is status


@pytest.mark.parametrize(
    ("path", "command", "field"),
    [
        ((), lambda m: m.validate(CTX, date(2013, 3, 3), "MEAE", "R"), "decided_on"),
        ((), lambda m: m.decline(CTX, date(2013, 3, 3), "MEAE", "R", "no"), "decided_on"),
        (
            (validate,),
            lambda m: m.schedule(CTX, date(2013, 3, 1), END, "PP", 1, None, SCHEDULED_ON),
            "start_date",
        ),
        (
            (validate,),
            lambda m: m.schedule(CTX, START, date(2013, 10, 6), "PP", 1, None, SCHEDULED_ON),
            "end_date",
        ),
        (
            (validate,),
            lambda m: m.schedule(CTX, START, END, "PP", 1, None, date(2013, 4, 14)),
            "scheduled_on",
        ),
        ((validate, schedule), lambda m: m.launch(CTX, date(2013, 4, 14)), "launched_on"),
        (
            (validate, schedule, launch),
            lambda m: m.complete(CTX, date(2013, 10, 6), 1, None, "done"),
            "completed_on",
        ),
        ((validate,), lambda m: m.cancel(CTX, date(2013, 3, 3), "no"), "cancelled_on"),
        # Before the last step recorded: the decision, the scheduling, the launch.
        ((validate,), lambda m: m.cancel(CTX, DECIDED_ON - ONE_DAY, "no"), "cancelled_on"),
        (
            (validate, schedule),
            lambda m: m.cancel(CTX, SCHEDULED_ON - ONE_DAY, "no"),
            "cancelled_on",
        ),
        (
            (validate, schedule, launch),
            lambda m: m.cancel(CTX, START - ONE_DAY, "no"),
            "cancelled_on",
        ),
        ((validate, schedule), lambda m: m.launch(CTX, SCHEDULED_ON - ONE_DAY), "launched_on"),
        (
            (validate, schedule),
            lambda m: m.schedule(CTX, START, END, "PP", 1, None, SCHEDULED_ON - ONE_DAY),
            "scheduled_on",
        ),
        (
            (validate, schedule, launch, complete),
            lambda m: m.evaluate(CTX, date(2013, 10, 10), 3, "ok", ""),
            "evaluated_on",
        ),
    ],
)
def test_dates_out_of_order_are_refused(path: tuple[Step, ...], command: Step, field: str) -> None:
    mission = given(*path)

    with pytest.raises(DomainRuleViolation) as caught:
        command(mission)

    assert (caught.value.rule, caught.value.field) == ("dates-in-order", field)
    assert mission.collect_events() == []


def test_a_rescheduling_dated_before_the_scheduling_it_replaces_names_it() -> None:
    mission = given(validate, schedule)

    with pytest.raises(DomainRuleViolation) as caught:
        mission.schedule(CTX, START, END, "PP", 1, None, SCHEDULED_ON - ONE_DAY)

    earlier = (SCHEDULED_ON - ONE_DAY).isoformat()
    assert caught.value.detail == (
        f"scheduled_on ({earlier}) is before the previous scheduled_on ({SCHEDULED_ON.isoformat()})"
    )


def test_a_cancellation_on_the_day_of_the_launch_is_allowed() -> None:
    mission = given(validate, schedule, launch)

    mission.cancel(CTX, START, "evacuated on arrival")

    assert mission.status is MissionStatus.CANCELLED


def test_completion_before_a_late_launch_is_refused() -> None:
    mission = given(validate, schedule)
    mission.launch(CTX, date(2013, 10, 9))
    mission.collect_events()

    with pytest.raises(DomainRuleViolation) as caught:
        mission.complete(CTX, date(2013, 10, 8), 10, None, "done")

    assert (caught.value.rule, caught.value.field) == ("dates-in-order", "completed_on")


# --- metadata and replay ---------------------------------------------------


def test_every_event_carries_its_metadata_and_business_time() -> None:
    before = datetime.now(UTC)
    mission = request()
    for step in PATHS[MissionStatus.EVALUATED]:
        step(mission)
    after = datetime.now(UTC)

    events = entente_events(mission.collect_events())

    business_days = [REQUESTED_ON, DECIDED_ON, SCHEDULED_ON, START, END, EVALUATED_ON]
    assert [e.business_time for e in events] == [
        datetime(d.year, d.month, d.day, tzinfo=UTC) for d in business_days
    ]
    for event in events:
        assert (event.tenant, event.actor_id, event.actor_name) == (
            "police",
            "u-4711",
            "Claire Martin",
        )
        assert (event.correlation_id, event.causation_id) == ("corr-mission-1", "cause-1")
        assert event.classification == "internal"
        assert before <= event.timestamp <= after


def test_rebuilding_from_the_events_reproduces_the_state() -> None:
    mission = request()
    for step in PATHS[MissionStatus.EVALUATED]:
        step(mission)
    events = mission.collect_events()

    rebuilt = rebuild(events)

    assert isinstance(rebuilt, Mission)
    assert rebuilt == mission
    assert (rebuilt.version, rebuilt.status, rebuilt.rating) == (6, MissionStatus.EVALUATED, 4)
    assert isinstance(rebuilt.id, UUID)


ON_TODAY = replace(CTX, today=END)  # the ledger's today, as the API passes it


@pytest.mark.parametrize(
    ("path", "command", "field"),
    [
        ((), lambda m, ctx: m.validate(ctx, END + ONE_DAY, "MEAE", "R-1"), "decided_on"),
        ((), lambda m, ctx: m.decline(ctx, END + ONE_DAY, "MEAE", "R-1", "no"), "decided_on"),
        ((validate, schedule), lambda m, ctx: m.launch(ctx, END + ONE_DAY), "launched_on"),
        (
            (validate, schedule, launch),
            lambda m, ctx: m.complete(ctx, END + ONE_DAY, 10, None, "done"),
            "completed_on",
        ),
        (
            (validate, schedule, launch, complete),
            lambda m, ctx: m.evaluate(ctx, END + ONE_DAY, 4, "useful", ""),
            "evaluated_on",
        ),
    ],
    ids=["validate", "decline", "launch", "complete", "evaluate"],
)
def test_a_fact_dated_after_today_is_refused(
    path: tuple[Step, ...], command: Any, field: str
) -> None:
    mission = given(*path)

    with pytest.raises(DomainRuleViolation) as caught:
        command(mission, ON_TODAY)

    assert (caught.value.rule, caught.value.field) == ("not-in-future", field)
    assert caught.value.detail == (
        f"{field} ({(END + ONE_DAY).isoformat()}) is after today ({END.isoformat()} at UTC+14, "
        "the latest date anywhere): record it once it has happened"
    )
    assert mission.collect_events() == []


def test_a_fact_dated_today_is_recorded() -> None:
    mission = given(validate, schedule, launch)

    mission.complete(ON_TODAY, END, 10, None, "done the day it is recorded")

    assert mission.status is MissionStatus.COMPLETED


@pytest.mark.parametrize("day", [START - ONE_DAY, END + ONE_DAY], ids=["before", "after"])
def test_a_launch_outside_the_mission_s_dates_is_refused(day: date) -> None:
    """Delivery begins within the scheduled dates, as a delegation is hosted within its own."""
    mission = given(validate, schedule)

    with pytest.raises(DomainRuleViolation) as caught:
        mission.launch(CTX, day)

    assert (caught.value.rule, caught.value.field) == ("dates-in-order", "launched_on")
    assert "outside the mission's dates (2013-10-07 to 2013-10-11)" in caught.value.detail
    assert mission.collect_events() == []


@pytest.mark.parametrize("day", [START, END], ids=["first-day", "last-day"])
def test_a_launch_on_either_end_of_the_dates_is_recorded(day: date) -> None:
    mission = given(validate, schedule)

    mission.launch(CTX, day)

    assert mission.launched_on == day


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ((validate,), MissionStatus.VALIDATED),
        ((validate, schedule), MissionStatus.SCHEDULED),
        ((validate, schedule, launch), MissionStatus.LAUNCHED),
    ],
    ids=["validated", "scheduled", "launched"],
)
def test_a_cancellation_withdrawn_puts_the_mission_back_where_it_was(
    path: tuple[Step, ...], status: MissionStatus
) -> None:
    """A cancellation recorded by mistake was final: the mission could not go on, and
    every figure left it out."""
    mission = given(*path, cancel)

    mission.withdraw_cancellation(CTX, "recorded on the wrong mission", CANCELLED_ON)

    event = then_one(mission, Mission.CancellationWithdrawn)
    assert (event.cancelled_on, event.status) == (CANCELLED_ON, status.value)
    assert (mission.status, mission.cancelled_on, mission.cancellation_reason) == (
        status,
        None,
        None,
    )
    cancel(mission)  # and it can be cancelled again, when it really is
    assert mission.status is MissionStatus.CANCELLED


def test_only_a_cancelled_mission_has_a_cancellation_to_withdraw() -> None:
    mission = given(validate)
    with pytest.raises(NothingToWithdraw) as caught:
        mission.withdraw_cancellation(CTX, "reason", CANCELLED_ON)
    assert caught.value.rule == "nothing-to-withdraw"
    assert caught.value.detail.endswith("it is validated, not cancelled")

    cancel(mission)
    mission.collect_events()
    with pytest.raises(DomainRuleViolation) as early:
        mission.withdraw_cancellation(CTX, "reason", CANCELLED_ON - timedelta(days=1))
    assert (early.value.field, early.value.rule) == ("corrected_on", "dates-in-order")
    with pytest.raises(ValidationError) as blank:
        mission.withdraw_cancellation(CTX, "", CANCELLED_ON)
    assert (blank.value.field, blank.value.rule) == ("reason", "required")
    assert mission.collect_events() == []


def cancel_and_back(mission: Mission) -> None:
    cancel(mission)
    mission.withdraw_cancellation(CTX, "typed on the wrong mission", CANCELLED_ON)


@pytest.mark.parametrize(
    ("path", "decision"),
    [
        ((decline,), "declined"),
        ((validate,), "validated"),
        ((validate, cancel_and_back), "validated"),
    ],
    ids=["decline", "validation", "validation-after-a-withdrawn-cancellation"],
)
def test_a_decision_withdrawn_puts_the_request_back_waiting_for_one(
    path: tuple[Step, ...], decision: str
) -> None:
    """A decline recorded on the wrong request was final: the request could not be
    validated, and every figure counted it declined."""
    mission = given(*path)
    on = CANCELLED_ON  # not before a withdrawal made ahead of it

    mission.withdraw_decision(CTX, "declined the wrong request", on)

    event = then_one(mission, Mission.DecisionWithdrawn)
    assert (event.decision, event.decided_on, event.reason) == (
        decision,
        DECIDED_ON,
        "declined the wrong request",
    )
    assert mission.status is MissionStatus.REQUESTED
    assert (mission.decided_on, mission.decided_by, mission.decision_reference) == (None,) * 3
    assert mission.decline_reason is None
    validate(mission)  # decided again, as it should have been
    assert mission.status.value == "validated"


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ((), "no decision is recorded (or it was withdrawn)"),
        ((validate, schedule), "it is scheduled: only a decline, or a validation before any"),
        ((validate, cancel), "it is cancelled: only a decline"),
    ],
    ids=["requested", "scheduled", "cancelled"],
)
def test_only_a_decision_that_is_the_last_step_is_withdrawn(
    path: tuple[Step, ...], why: str
) -> None:
    mission = given(*path)

    with pytest.raises(NothingToWithdraw) as caught:
        mission.withdraw_decision(CTX, "reason", date(2014, 1, 1))

    assert caught.value.rule == "nothing-to-withdraw"
    assert why in caught.value.detail
    assert mission.collect_events() == []


def test_a_decision_withdrawal_is_dated_after_the_decision_and_has_a_reason() -> None:
    mission = given(decline)

    with pytest.raises(DomainRuleViolation) as early:
        mission.withdraw_decision(CTX, "reason", DECIDED_ON - timedelta(days=1))
    with pytest.raises(ValidationError) as blank:
        mission.withdraw_decision(CTX, " ", DECIDED_ON)

    assert (early.value.field, early.value.rule) == ("corrected_on", "dates-in-order")
    assert (blank.value.field, blank.value.rule) == ("reason", "required")
    assert mission.status is MissionStatus.DECLINED
    assert mission.collect_events() == []


def test_a_decision_withdrawal_is_not_dated_before_a_withdrawal_made_ahead_of_it() -> None:
    mission = given(validate, cancel_and_back)

    with pytest.raises(DomainRuleViolation) as caught:
        mission.withdraw_decision(CTX, "reason", CANCELLED_ON - timedelta(days=1))

    assert (caught.value.field, caught.value.rule) == ("corrected_on", "dates-in-order")
    assert "the last withdrawal's corrected_on (2013-10-08)" in caught.value.detail
    assert mission.collect_events() == []
