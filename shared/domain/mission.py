"""Missions: cooperation actions delivered abroad, from a foreign request to its evaluation.

A foreign authority's request is collected by a post abroad, decided by another
ministry (who decided, when and on what reference is kept), then scheduled,
launched, completed or cancelled, and evaluated. Each step is an event whose
business time is the step's own date, so the board can tell how long a request
waited for its decision, whatever day it was typed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from shared.domain import values
from shared.domain.base import (
    MAX_CODES,
    MAX_COUNTRIES,
    EntenteAggregate,
    FieldChecks,
    count_value,
    date_value,
    list_value,
    money_value,
    noted_withdrawal,
    optional_text,
    require_count,
    require_order,
    require_reachable,
    require_text,
    text_value,
    withdrawal_reason,
)
from shared.domain.context import CommandContext, require_happened
from shared.domain.vocabulary import Classification, MissionStatus, MissionType, Organisation, Theme
from shared.errors import DomainRuleViolation, NothingToWithdraw, ValidationError

#: Requested event fields copied onto the aggregate (lists are copied, not shared).
_REQUEST_FIELDS = (
    "title",
    "countries",
    "organisations",
    "themes",
    "requested_by",
    "post_id",
    "requested_on",
    "description",
)

#: State set by later steps; None until the step happens.
_LATER_FIELDS = (
    "decided_on",
    "decided_by",
    "decision_reference",
    "decline_reason",
    "scheduled_on",
    "start_date",
    "end_date",
    "place",
    "expert_count",
    "budget_amount",
    "budget_currency",
    "launched_on",
    "completed_on",
    "participants",
    "actual_cost_amount",
    "actual_cost_currency",
    "outcome",
    "cancelled_on",
    "cancellation_reason",
    "evaluated_on",
    "rating",
    "findings",
    "recommendations",
)

#: Each later field's initial value, for one dictionary update.
_NOT_YET: dict[str, None] = dict.fromkeys(_LATER_FIELDS)

#: Bounds that catch typing mistakes (an extra zero) before they become facts.
MAX_EXPERTS = 500
MAX_PARTICIPANTS = 100_000
MAX_LONG_TEXT = 4000


#: Corrected fields a mission has only from a step on: the attribute holding that step's
#: date, the refusal's rule, the step, and the date's name in a refusal.
_HELD_FROM = {
    "place": ("_placed_on", "not-scheduled", "scheduled", "the first scheduled_on"),
    "budget_amount": ("_placed_on", "not-scheduled", "scheduled", "the first scheduled_on"),
    "participants": ("completed_on", "not-completed", "completed", "completed_on"),
    "actual_cost_amount": ("completed_on", "not-completed", "completed", "completed_on"),
    "expert_count": ("_placed_on", "not-scheduled", "scheduled", "the first scheduled_on"),
    "outcome": ("completed_on", "not-completed", "completed", "completed_on"),
    "rating": ("evaluated_on", "not-evaluated", "evaluated", "evaluated_on"),
    "findings": ("evaluated_on", "not-evaluated", "evaluated", "evaluated_on"),
    "recommendations": ("evaluated_on", "not-evaluated", "evaluated", "evaluated_on"),
}


#: Why France is refused as a mission's country.
FOREIGN_COUNTRIES = (
    "a mission serves foreign authorities: name their countries "
    "(one held in France names its partners' countries), not France"
)


class Mission(EntenteAggregate):
    """A training course, expert or audit mission, study visit, seminar, exercise or donation."""

    record_name = "mission"
    correctable: ClassVar[dict[str, Any]] = {
        "title": lambda v: require_text("title", text_value("title", v)),
        "description": lambda v: optional_text(
            "description", text_value("description", v), MAX_LONG_TEXT
        ),
        "place": lambda v: require_text("place", text_value("place", v), 200),
        "themes": lambda v: values.terms("themes", Theme, list_value("themes", v, MAX_CODES)),
        "requested_by": lambda v: require_text("requested_by", text_value("requested_by", v), 200),
        "organisations": lambda v: values.terms(
            "organisations", Organisation, list_value("organisations", v, MAX_CODES), required=False
        ),
        # Delivery figures: a slip in them stayed in every report for good.
        "budget": lambda v: money_value("budget", v),
        "participants": lambda v: require_count(
            "participants", count_value("participants", v), 0, MAX_PARTICIPANTS
        ),
        "actual_cost": lambda v: money_value("actual_cost", v),
        # The post that collected the request (null: none): the route checks it covered
        # one of the mission's countries that day, as for the request.
        "post_id": lambda v: None if v is None else post_id_text(v),
        # Once launched (before, a mission is rescheduled): dates typed wrong stayed on
        # the board, in the annual report's year and in the overlaps for good.
        # The day the request came: the board's order, how long it waited, the post's day.
        "requested_on": lambda v: date_value("requested_on", v),
        "start_date": lambda v: date_value("start_date", v),
        "end_date": lambda v: date_value("end_date", v),
        # Where it takes place: a country typed wrong stayed in the figures by country.
        "countries": lambda v: values.countries(
            "countries", list_value("countries", v, MAX_COUNTRIES), foreign=FOREIGN_COUNTRIES
        ),
        "mission_type": lambda v: (
            values.one("mission_type", MissionType, text_value("mission_type", v)).value
        ),
        "expert_count": lambda v: require_count(
            "expert_count", count_value("expert_count", v), 0, MAX_EXPERTS
        ),
        "outcome": lambda v: require_text("outcome", text_value("outcome", v), MAX_LONG_TEXT),
        # The evaluation: a rating typed 1 for 4 stayed in the average for good.
        "rating": lambda v: require_count("rating", count_value("rating", v), 1, 5),
        "findings": lambda v: require_text("findings", text_value("findings", v), MAX_LONG_TEXT),
        "recommendations": lambda v: optional_text(
            "recommendations", text_value("recommendations", v), MAX_LONG_TEXT
        ),
        # The decision, as the deciding ministry gave it: a reference typed wrong stayed
        # the record's for good (probe 8). Validators only (``decision_fields``).
        "decided_on": lambda v: date_value("decided_on", v),
        "decided_by": lambda v: require_text("decided_by", text_value("decided_by", v), 200),
        "decision_reference": lambda v: require_text(
            "decision_reference", text_value("decision_reference", v), 100
        ),
    }
    decision_fields: ClassVar[frozenset[str]] = frozenset(
        {"decided_on", "decided_by", "decision_reference"}
    )
    recorded_as: ClassVar[dict[str, tuple[str, ...]]] = {
        "budget": ("budget_amount", "budget_currency"),
        "actual_cost": ("actual_cost_amount", "actual_cost_currency"),
    }

    if TYPE_CHECKING:  # state set by the events (see EntenteAggregate)
        title: str
        mission_type: MissionType
        countries: list[str]
        organisations: list[str]
        themes: list[str]
        requested_by: str
        post_id: str | None
        requested_on: date
        description: str
        status: MissionStatus
        decided_on: date | None
        decided_by: str | None
        decision_reference: str | None
        decline_reason: str | None
        scheduled_on: date | None
        start_date: date | None
        end_date: date | None
        place: str | None
        expert_count: int | None
        budget_amount: Decimal | None
        budget_currency: str | None
        launched_on: date | None
        completed_on: date | None
        participants: int | None
        actual_cost_amount: Decimal | None
        actual_cost_currency: str | None
        outcome: str | None
        cancelled_on: date | None
        cancellation_reason: str | None
        _status_before_cancelled: MissionStatus  # what a withdrawn cancellation puts back
        evaluated_on: date | None
        rating: int | None
        findings: str | None
        recommendations: str | None

    class Requested(EntenteAggregate.Created):
        title: str
        mission_type: str
        countries: list[str]
        organisations: list[str]
        themes: list[str]
        requested_by: str
        post_id: str | None
        requested_on: date
        description: str

        def apply(self, aggregate: Any) -> None:
            super().apply(aggregate)
            # Written into the instance dictionaries: 31 getattr/setattr calls were a
            # third of building a mission (none of these names is a descriptor).
            event, state = self.__dict__, aggregate.__dict__
            for name in _REQUEST_FIELDS:
                value = event[name]
                state[name] = list(value) if isinstance(value, list) else value
            state.update(_NOT_YET)
            aggregate.mission_type = MissionType(self.mission_type)
            aggregate.status = MissionStatus.REQUESTED

    class Corrected(EntenteAggregate.Corrected):
        """A mission's descriptive fields fixed, with the reason.

        Declared so the catalogue lists it right after the creation; the library
        would otherwise define the same subclass itself, last.
        """

    class Validated(EntenteAggregate.Event):
        decided_on: date
        decided_by: str
        decision_reference: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = MissionStatus.VALIDATED
            aggregate.decided_on = self.decided_on
            aggregate.decided_by = self.decided_by
            aggregate.decision_reference = self.decision_reference

    class Declined(EntenteAggregate.Event):
        decided_on: date
        decided_by: str
        decision_reference: str
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = MissionStatus.DECLINED
            aggregate.decided_on = self.decided_on
            aggregate.decided_by = self.decided_by
            aggregate.decision_reference = self.decision_reference
            aggregate.decline_reason = self.reason

    class Scheduled(EntenteAggregate.Event):
        """Also records a rescheduling: the latest Scheduled event holds."""

        start_date: date
        end_date: date
        place: str
        expert_count: int
        budget_amount: Decimal | None
        budget_currency: str | None
        scheduled_on: date

        def apply(self, aggregate: Any) -> None:
            aggregate.status = MissionStatus.SCHEDULED
            for name in (
                "start_date",
                "end_date",
                "place",
                "expert_count",
                "budget_amount",
                "budget_currency",
                "scheduled_on",
            ):
                setattr(aggregate, name, getattr(self, name))
            if getattr(aggregate, "_placed_on", None) is None:  # a rescheduling keeps it
                aggregate._placed_on = self.scheduled_on

    class Launched(EntenteAggregate.Event):
        launched_on: date

        def apply(self, aggregate: Any) -> None:
            aggregate.status = MissionStatus.LAUNCHED
            aggregate.launched_on = self.launched_on

    class Completed(EntenteAggregate.Event):
        completed_on: date
        participants: int
        actual_cost_amount: Decimal | None
        actual_cost_currency: str | None
        outcome: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = MissionStatus.COMPLETED
            aggregate.completed_on = self.completed_on
            aggregate.participants = self.participants
            aggregate.actual_cost_amount = self.actual_cost_amount
            aggregate.actual_cost_currency = self.actual_cost_currency
            aggregate.outcome = self.outcome

    class Cancelled(EntenteAggregate.Event):
        cancelled_on: date
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate._status_before_cancelled = aggregate.status
            aggregate.status = MissionStatus.CANCELLED
            aggregate.cancelled_on = self.cancelled_on
            aggregate.cancellation_reason = self.reason

    class CancellationWithdrawn(EntenteAggregate.Event):
        """The cancellation was recorded by mistake: the mission goes on from the status it
        had (``status``: validated, scheduled or launched); the cancellation stays in the
        history, with the reason."""

        cancelled_on: date  # the cancellation withdrawn
        status: str
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = MissionStatus(self.status)
            aggregate.cancelled_on = None
            aggregate.cancellation_reason = None
            noted_withdrawal(aggregate, self)

    class DecisionWithdrawn(EntenteAggregate.Event):
        """The decision (a validation or a decline) was recorded by mistake: the request
        waits for a decision again; the decision stays in the history, with the reason.

        ``decision`` (``validated`` or ``declined``) and ``decided_on`` say which one it
        undid."""

        decision: str
        decided_on: date  # the decision withdrawn
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = MissionStatus.REQUESTED
            aggregate.decided_on = None
            aggregate.decided_by = None
            aggregate.decision_reference = None
            aggregate.decline_reason = None
            noted_withdrawal(aggregate, self)

    class Evaluated(EntenteAggregate.Event):
        evaluated_on: date
        rating: int
        findings: str
        recommendations: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = MissionStatus.EVALUATED
            aggregate.evaluated_on = self.evaluated_on
            aggregate.rating = self.rating
            aggregate.findings = self.findings
            aggregate.recommendations = self.recommendations

    @classmethod
    def request(
        cls,
        ctx: CommandContext,
        *,
        id: UUID,
        title: str,
        mission_type: str,
        countries: list[str],
        organisations: list[str],
        themes: list[str],
        requested_by: str,
        post_id: str | None,
        requested_on: date,
        description: str,
        classification: Classification,
        today: date,
    ) -> Mission:
        """Records a foreign authority's request, as collected by a post abroad."""
        require_happened("requested_on", requested_on, today)
        checks = FieldChecks()  # every field's own rule, all named at once
        with checks:
            title = require_text("title", title)
        with checks:
            mission_type = values.one("mission_type", MissionType, mission_type).value
        with checks:
            countries = values.countries("countries", countries, foreign=FOREIGN_COUNTRIES)
        with checks:
            organisations = values.terms(
                "organisations", Organisation, organisations, required=False
            )
        with checks:
            themes = values.terms("themes", Theme, themes)
        with checks:
            requested_by = require_text("requested_by", requested_by, 200)
        with checks:
            post_id = None if post_id is None else require_text("post_id", post_id, 100)
        with checks:
            description = optional_text("description", description, MAX_LONG_TEXT)
        checks.done()
        return cls._create(
            cls.Requested,
            id=id,
            title=title,
            mission_type=mission_type,
            countries=countries,
            organisations=organisations,
            themes=themes,
            requested_by=requested_by,
            post_id=post_id,
            requested_on=requested_on,
            description=description,
            **ctx.meta(requested_on, classification),
        )

    def validate(
        self, ctx: CommandContext, decided_on: date, decided_by: str, decision_reference: str
    ) -> None:
        """Records the deciding ministry's approval of the request."""
        self.guard_status("validate", {MissionStatus.REQUESTED})
        decision = self._decision(ctx, decided_on, decided_by, decision_reference)
        self.trigger_event(self.Validated, **decision, **ctx.meta(decided_on, self.classification))

    def decline(
        self,
        ctx: CommandContext,
        decided_on: date,
        decided_by: str,
        decision_reference: str,
        reason: str,
    ) -> None:
        """Records the deciding ministry's refusal of the request, with its reason."""
        self.guard_status("decline", {MissionStatus.REQUESTED})
        decision = self._decision(ctx, decided_on, decided_by, decision_reference)
        reason = require_text("reason", reason, 2000)
        meta = ctx.meta(decided_on, self.classification)
        self.trigger_event(self.Declined, **decision, reason=reason, **meta)

    def withdraw_decision(self, ctx: CommandContext, reason: str, corrected_on: date) -> None:
        """Undoes a decision recorded by mistake (the wrong mission declined, a validation
        meant as a decline) while it is the mission's last step: a decline, or a
        validation before any scheduling. The request waits for a decision again."""
        placed = getattr(self, "_placed_on", None) is not None
        if self.status is MissionStatus.DECLINED or (
            self.status is MissionStatus.VALIDATED and not placed
        ):
            decided_on = self._reached(self.decided_on)
        else:
            why = (
                "no decision is recorded (or it was withdrawn)"
                if self.status is MissionStatus.REQUESTED
                else f"it is {self.status}: only a decline, or a validation before any "
                "scheduling, can be withdrawn"
            )
            raise NothingToWithdraw(f"cannot withdraw the decision on this mission: {why}")
        reason = withdrawal_reason(ctx, self, reason, "decided_on", decided_on, corrected_on)
        self.trigger_event(
            self.DecisionWithdrawn,
            decision=self.status.value,
            decided_on=decided_on,
            reason=reason,
            **ctx.meta(corrected_on, self.classification),
        )

    def _decision(
        self, ctx: CommandContext, decided_on: date, decided_by: str, decision_reference: str
    ) -> dict[str, Any]:
        """Who decided, when and on what reference: auditors ask for all three."""
        require_order(self.requested_on, decided_on, "requested_on", "decided_on")
        ctx.happened("decided_on", decided_on)
        return {
            "decided_on": decided_on,
            "decided_by": require_text("decided_by", decided_by, 200),
            "decision_reference": require_text("decision_reference", decision_reference, 100),
        }

    def schedule(
        self,
        ctx: CommandContext,
        start_date: date,
        end_date: date,
        place: str,
        expert_count: int,
        budget: tuple[Decimal, str] | None,
        scheduled_on: date,
    ) -> None:
        """Sets dates, place, experts and budget; scheduling again is a rescheduling."""
        self.guard_status("schedule", {MissionStatus.VALIDATED, MissionStatus.SCHEDULED})
        require_order(self.requested_on, start_date, "requested_on", "start_date")
        require_order(start_date, end_date, "start_date", "end_date")
        self._after_last_step("scheduled_on", scheduled_on)
        ctx.happened("scheduled_on", scheduled_on)
        require_reachable(
            scheduled_on, end_date, "scheduled_on", "end_date", "it could never be launched"
        )
        amount, currency = _optional_money("budget", budget)
        self.trigger_event(
            self.Scheduled,
            start_date=start_date,
            end_date=end_date,
            place=require_text("place", place, 200),
            expert_count=require_count("expert_count", expert_count, 0, MAX_EXPERTS),
            budget_amount=amount,
            budget_currency=currency,
            scheduled_on=scheduled_on,
            **ctx.meta(scheduled_on, self.classification),
        )

    def launch(self, ctx: CommandContext, launched_on: date) -> None:
        """Records that delivery has begun."""
        self.guard_status("launch", {MissionStatus.SCHEDULED})
        self._after_last_step("launched_on", launched_on)
        ctx.happened("launched_on", launched_on)
        start, end = self._reached(self.start_date), self._reached(self.end_date)
        if not start <= launched_on <= end:  # as a delegation is hosted within its dates
            raise DomainRuleViolation(
                "dates-in-order",
                f"launched_on ({launched_on.isoformat()}) is outside the mission's dates "
                f"({start.isoformat()} to {end.isoformat()}); reschedule it first",
                field="launched_on",
            )
        meta = ctx.meta(launched_on, self.classification)
        self.trigger_event(self.Launched, launched_on=launched_on, **meta)

    def complete(
        self,
        ctx: CommandContext,
        completed_on: date,
        participants: int,
        actual_cost: tuple[Decimal, str] | None,
        outcome: str,
    ) -> None:
        """Records delivery: who attended, what it cost, what came of it."""
        self.guard_status("complete", {MissionStatus.LAUNCHED})
        require_order(self._reached(self.start_date), completed_on, "start_date", "completed_on")
        require_order(self._reached(self.launched_on), completed_on, "launched_on", "completed_on")
        ctx.happened("completed_on", completed_on)
        amount, currency = _optional_money("actual_cost", actual_cost)
        self.trigger_event(
            self.Completed,
            completed_on=completed_on,
            participants=require_count("participants", participants, 0, MAX_PARTICIPANTS),
            actual_cost_amount=amount,
            actual_cost_currency=currency,
            outcome=require_text("outcome", outcome, MAX_LONG_TEXT),
            **ctx.meta(completed_on, self.classification),
        )

    def cancel(self, ctx: CommandContext, cancelled_on: date, reason: str) -> None:
        """Records that a validated mission will not (or no longer) be delivered."""
        self.guard_status(
            "cancel", {MissionStatus.VALIDATED, MissionStatus.SCHEDULED, MissionStatus.LAUNCHED}
        )
        self._after_last_step("cancelled_on", cancelled_on)
        ctx.happened("cancelled_on", cancelled_on)
        reason = require_text("reason", reason, 2000)
        meta = ctx.meta(cancelled_on, self.classification)
        self.trigger_event(self.Cancelled, cancelled_on=cancelled_on, reason=reason, **meta)

    def withdraw_cancellation(self, ctx: CommandContext, reason: str, corrected_on: date) -> None:
        """Undoes a cancellation recorded by mistake: the mission is again where it was,
        counted again in every figure (and its overlaps with other directorates')."""
        if self.status is not MissionStatus.CANCELLED:
            raise NothingToWithdraw(
                f"cannot withdraw the cancellation of this mission: it is {self.status}, "
                "not cancelled"
            )
        cancelled_on = self._reached(self.cancelled_on)
        reason = withdrawal_reason(ctx, self, reason, "cancelled_on", cancelled_on, corrected_on)
        self.trigger_event(
            self.CancellationWithdrawn,
            cancelled_on=cancelled_on,
            status=self._status_before_cancelled.value,
            reason=reason,
            **ctx.meta(corrected_on, self.classification),
        )

    def evaluate(
        self,
        ctx: CommandContext,
        evaluated_on: date,
        rating: int,
        findings: str,
        recommendations: str,
    ) -> None:
        """Records the evaluation of a delivered mission (rating 1 to 5)."""
        self.guard_status("evaluate", {MissionStatus.COMPLETED})
        require_order(
            self._reached(self.completed_on), evaluated_on, "completed_on", "evaluated_on"
        )
        ctx.happened("evaluated_on", evaluated_on)
        self.trigger_event(
            self.Evaluated,
            evaluated_on=evaluated_on,
            rating=require_count("rating", rating, 1, 5),
            findings=require_text("findings", findings, MAX_LONG_TEXT),
            recommendations=optional_text("recommendations", recommendations, MAX_LONG_TEXT),
            **ctx.meta(evaluated_on, self.classification),
        )

    def check_correction(self, changes: Mapping[str, Any], corrected_on: date) -> None:
        """A place or a budget can only be corrected once the mission is scheduled, and
        the participants and actual cost once it is completed; each as of a day the
        mission had them: a correction dated before the first scheduling put a place on
        the requested mission of the audit's business-time replay, a state the record
        never had. Scheduling again (while validated or scheduled) stays the way to
        change the dates, place and budget of a mission not yet launched."""
        for field, (since_attr, rule, step, since_name) in _HELD_FROM.items():
            if field not in changes:
                continue
            shown = field.removesuffix("_amount")
            since = getattr(self, since_attr, None)
            if since is None:
                raise DomainRuleViolation(
                    rule,
                    f"a mission has no {shown} to correct before it is {step}",
                    f"changes.{shown}",
                )
            require_order(since, corrected_on, since_name, "corrected_on")
        if self.decision_fields & changes.keys():
            self._check_corrected_decision(changes, corrected_on)
        if "requested_on" in changes:
            self._check_corrected_request(changes, corrected_on)
        if "start_date" in changes or "end_date" in changes:
            self._check_corrected_dates(changes, corrected_on)

    def _check_corrected_decision(self, changes: Mapping[str, Any], corrected_on: date) -> None:
        """A decision is corrected once there is one, as of a day not before it; a corrected
        day stays after the request and before every later step."""
        named = sorted(self.decision_fields & changes.keys())[0]
        if self.decided_on is None:
            raise DomainRuleViolation(
                "not-decided",
                "a mission has no decision to correct before it is validated or declined",
                f"changes.{named}",
            )
        require_order(self.decided_on, corrected_on, "decided_on", "corrected_on")
        day = changes.get("decided_on")
        if day is None:
            return
        require_order(self.requested_on, day, "requested_on", "changes.decided_on")
        later = [
            ("the first scheduled_on", getattr(self, "_placed_on", None)),
            ("launched_on", self.launched_on),
            ("completed_on", self.completed_on),
            ("cancelled_on", self.cancelled_on),
            ("evaluated_on", self.evaluated_on),
            ("corrected_on", corrected_on),
        ]
        step, on = min(((n, d) for n, d in later if d is not None), key=lambda s: s[1])
        if day > on:
            raise DomainRuleViolation(
                "dates-in-order",
                f"decided_on ({day.isoformat()}) would be after {step} ({on.isoformat()})",
                "changes.decided_on",
            )

    def _check_corrected_request(self, changes: Mapping[str, Any], corrected_on: date) -> None:
        """The request came before every later step: its decision, scheduling, dates,
        launch, completion, cancellation, evaluation, and the corrections (the day is
        also the post's: the route checks the collecting post was open and covered a
        country of the mission on it)."""
        steps: list[tuple[str, date | None]] = [
            ("decided_on", self.decided_on),
            ("the first scheduled_on", getattr(self, "_placed_on", None)),
            ("start_date", changes.get("start_date", self.start_date)),
            ("launched_on", self.launched_on),
            ("completed_on", self.completed_on),
            ("cancelled_on", self.cancelled_on),
            ("evaluated_on", self.evaluated_on),
        ]
        self.first_date_before("requested_on", changes["requested_on"], steps, corrected_on)

    def apply_correction(self, name: str, value: Any) -> None:
        """A corrected request day is where the record's history begins."""
        super().apply_correction(name, value)
        if name == "requested_on":
            self._began_on = value

    def _check_corrected_dates(self, changes: Mapping[str, Any], corrected_on: date) -> None:
        """Dates are corrected once the mission is launched (until then it is rescheduled,
        a step of its own), and keep the order its steps had: requested, then the dates,
        the launch within them, the completion not before the start."""
        named = "start_date" if "start_date" in changes else "end_date"
        if self.launched_on is None:
            raise DomainRuleViolation(
                "not-launched",
                "a mission not yet launched is rescheduled (POST …/schedule), not corrected",
                f"changes.{named}",
            )
        require_order(self.launched_on, corrected_on, "launched_on", "corrected_on")
        start = changes.get("start_date", self.start_date)
        end = changes.get("end_date", self.end_date)
        steps = [
            ("requested_on", changes.get("requested_on", self.requested_on), "start_date", start),
            ("start_date", start, "end_date", end),
            ("start_date", start, "launched_on", self.launched_on),
            ("launched_on", self.launched_on, "end_date", end),
        ]
        if self.completed_on is not None:
            steps.append(("start_date", start, "completed_on", self.completed_on))
        for first_name, first, second_name, second in steps:
            if second < first:
                # The corrected date of the two: the end when both are corrected.
                moved = second_name if second_name in changes else first_name
                raise DomainRuleViolation(
                    "dates-in-order",
                    f"{second_name} ({second.isoformat()}) would be before {first_name} "
                    f"({first.isoformat()})",
                    f"changes.{moved}",
                )

    def _after_last_step(self, field: str, on: date) -> None:
        """A step is not dated before the last one recorded (decision, scheduling, launch).

        A cancellation dated before the decision it cancels, or a rescheduling
        before the scheduling it replaces, would put the history out of order.
        """
        steps = [("requested_on", self.requested_on)]
        steps += [
            (name, when)
            for name in ("decided_on", "scheduled_on", "launched_on")
            if (when := getattr(self, name, None)) is not None
        ]
        last_field, last_on = max(steps, key=lambda step: step[1])
        if last_field == field:
            last_field = f"the previous {field}"
        require_order(last_on, on, last_field, field)

    def _reached(self, step_date: date | None) -> date:
        """A step date the status guard has just ensured is set.

        The fallback only satisfies the type checker; it is never used.
        """
        return step_date or self.requested_on


def post_id_text(value: Any) -> str:
    """A post's id as stored (a UUID's canonical text), or a ValidationError."""
    text = text_value("post_id", value)
    try:
        return str(UUID(text))
    except ValueError:
        raise ValidationError(
            "post_id", "invalid", f"post_id {text!r} is not a post's id"
        ) from None


def _optional_money(
    field: str, money: tuple[Decimal, str] | None
) -> tuple[Decimal | None, str | None]:
    """An optional amount and its currency, validated, as the two stored fields."""
    if money is None:
        return None, None
    return values.money(field, *money)
