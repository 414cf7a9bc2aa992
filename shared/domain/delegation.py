"""Delegation visits: foreign delegations hosted in France.

A delegation comes from one country or one international organisation, never
both, so the country file and the organisation counts never double-count it.
Visits are planned, possibly rescheduled, then hosted or cancelled.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from shared.domain import values
from shared.domain.base import (
    MAX_CODES,
    EntenteAggregate,
    FieldChecks,
    count_value,
    date_value,
    list_value,
    noted_withdrawal,
    require_count,
    require_order,
    require_reachable,
    require_text,
    text_value,
    withdrawal_reason,
)
from shared.domain.context import CommandContext, as_business_time
from shared.domain.reference import country as iso_country
from shared.domain.vocabulary import Classification, DelegationStatus, Organisation, Theme
from shared.errors import DomainRuleViolation, NothingToWithdraw, ValidationError

#: Planned event fields copied onto the aggregate (lists are copied, not shared).
_PLAN_FIELDS = (
    "country",
    "head_of_delegation",
    "size",
    "start_date",
    "end_date",
    "host_site",
    "topics",
)

#: Largest delegation the host sites can take; more is a typing mistake.
MAX_SIZE = 500


class DelegationVisit(EntenteAggregate):
    """A foreign delegation's visit to a host site in France."""

    record_name = "delegation visit"
    correctable: ClassVar[dict[str, Any]] = {
        "head_of_delegation": lambda v: require_text(
            "head_of_delegation", text_value("head_of_delegation", v), 200
        ),
        "host_site": lambda v: require_text("host_site", text_value("host_site", v), 200),
        "topics": lambda v: values.terms("topics", Theme, list_value("topics", v, MAX_CODES)),
        # Who comes: one country or one organisation (the other null), as planned.
        "country": lambda v: None if v is None else _foreign(text_value("country", v)),
        "organisation": lambda v: (
            None
            if v is None
            else values.one("organisation", Organisation, text_value("organisation", v)).value
        ),
        # The day it was hosted (within the visit's dates): the year's count follows.
        "hosted_on": lambda v: date_value("hosted_on", v),
        # Head counts: a slip in the size planned or hosted stayed in the calendar for good.
        "size": lambda v: require_count("size", count_value("size", v), 1, MAX_SIZE),
        "actual_size": lambda v: require_count(
            "actual_size", count_value("actual_size", v), 1, MAX_SIZE
        ),
    }

    if TYPE_CHECKING:  # state set by the events (see EntenteAggregate)
        country: str | None
        organisation: Organisation | None
        head_of_delegation: str
        size: int
        start_date: date
        end_date: date
        host_site: str
        topics: list[str]
        status: DelegationStatus
        reschedulings: int
        rescheduled_on: date | None
        hosted_on: date | None
        actual_size: int | None
        cancelled_on: date | None
        cancellation_reason: str | None

    class Planned(EntenteAggregate.Created):
        country: str | None
        organisation: str | None
        head_of_delegation: str
        size: int
        start_date: date
        end_date: date
        host_site: str
        topics: list[str]

        def apply(self, aggregate: Any) -> None:
            super().apply(aggregate)
            for name in _PLAN_FIELDS:
                value = getattr(self, name)
                setattr(aggregate, name, list(value) if isinstance(value, list) else value)
            aggregate.organisation = Organisation(self.organisation) if self.organisation else None
            aggregate.status = DelegationStatus.PLANNED
            aggregate.reschedulings = 0
            aggregate.rescheduled_on = None
            if _without_planned_on(self):
                # Its business time is only a bound (when it was recorded, or its first
                # day), not a date to hold a correction or a later step to (``correct``).
                aggregate._began_on = None
            aggregate.hosted_on = aggregate.actual_size = None
            aggregate.cancelled_on = aggregate.cancellation_reason = None

    class Corrected(EntenteAggregate.Corrected):
        """A delegation visit's descriptive fields fixed, with the reason.

        Declared so the catalogue lists it right after the creation; the library
        would otherwise define the same subclass itself, last.
        """

    class Rescheduled(EntenteAggregate.Event):
        start_date: date
        end_date: date
        rescheduled_on: date

        def apply(self, aggregate: Any) -> None:
            aggregate.start_date = self.start_date
            aggregate.end_date = self.end_date
            aggregate.reschedulings += 1
            aggregate.rescheduled_on = self.rescheduled_on

    class Hosted(EntenteAggregate.Event):
        hosted_on: date
        actual_size: int

        def apply(self, aggregate: Any) -> None:
            aggregate.status = DelegationStatus.HOSTED
            aggregate.hosted_on = self.hosted_on
            aggregate.actual_size = self.actual_size

    class Cancelled(EntenteAggregate.Event):
        cancelled_on: date
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = DelegationStatus.CANCELLED
            aggregate.cancelled_on = self.cancelled_on
            aggregate.cancellation_reason = self.reason

    class CancellationWithdrawn(EntenteAggregate.Event):
        """The cancellation was recorded by mistake: the visit is planned again; the
        cancellation stays in the history, with the reason."""

        cancelled_on: date  # the cancellation withdrawn
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = DelegationStatus.PLANNED
            aggregate.cancelled_on = None
            aggregate.cancellation_reason = None
            noted_withdrawal(aggregate, self)

    @classmethod
    def plan(
        cls,
        ctx: CommandContext,
        *,
        id: UUID,
        country: str | None,
        organisation: str | None,
        head_of_delegation: str,
        size: int,
        start_date: date,
        end_date: date,
        host_site: str,
        topics: list[str],
        classification: Classification,
        planned_on: date | None = None,
    ) -> DelegationVisit:
        """Records a planned visit.

        ``planned_on`` is when the visit was agreed; without it the business
        time is the recorded time, the best the system knows, or the visit's
        first day if that came first: it was agreed by then at the latest, and a
        plan recorded after its visit began was dated after its own hosting (the
        auditor's business-time view said it did not exist yet when it was hosted).
        """
        require_order(start_date, end_date, "start_date", "end_date")
        if planned_on is not None:
            ctx.happened("planned_on", planned_on)
            require_reachable(planned_on, end_date, "planned_on", "end_date", _NEVER_HOSTED)
        checks = FieldChecks()  # every field's own rule, all named at once
        with checks:
            visitor = _visitor(country, organisation)
        with checks:
            head_of_delegation = require_text("head_of_delegation", head_of_delegation, 200)
        with checks:
            size = require_count("size", size, 1, MAX_SIZE)
        with checks:
            host_site = require_text("host_site", host_site, 200)
        with checks:
            topics = values.terms("topics", Theme, topics)
        checks.done()
        recorded = cls.Planned.create_timestamp()
        return cls._create(
            cls.Planned,
            id=id,
            **visitor,
            head_of_delegation=head_of_delegation,
            size=size,
            start_date=start_date,
            end_date=end_date,
            host_site=host_site,
            topics=topics,
            timestamp=recorded,
            **ctx.meta(planned_on or min(recorded, as_business_time(start_date)), classification),
        )

    def reschedule(
        self, ctx: CommandContext, start_date: date, end_date: date, rescheduled_on: date
    ) -> None:
        """Moves a planned visit to new dates."""
        self.guard_status("reschedule", {DelegationStatus.PLANNED})
        require_order(start_date, end_date, "start_date", "end_date")
        self._after_last_rescheduling("rescheduled_on", rescheduled_on)
        ctx.happened("rescheduled_on", rescheduled_on)
        require_reachable(rescheduled_on, end_date, "rescheduled_on", "end_date", _NEVER_HOSTED)
        meta = ctx.meta(rescheduled_on, self.classification)
        self.trigger_event(
            self.Rescheduled,
            start_date=start_date,
            end_date=end_date,
            rescheduled_on=rescheduled_on,
            **meta,
        )

    def host(self, ctx: CommandContext, hosted_on: date, actual_size: int) -> None:
        """Records the visit as it happened, with how many actually came."""
        self.guard_status("host", {DelegationStatus.PLANNED})
        self._hosted_when_it_could_be("hosted_on", hosted_on)
        ctx.happened("hosted_on", hosted_on)
        actual_size = require_count("actual_size", actual_size, 1, MAX_SIZE)
        meta = ctx.meta(hosted_on, self.classification)
        self.trigger_event(self.Hosted, hosted_on=hosted_on, actual_size=actual_size, **meta)

    def cancel(self, ctx: CommandContext, cancelled_on: date, reason: str) -> None:
        """Records that a planned visit will not take place."""
        self.guard_status("cancel", {DelegationStatus.PLANNED})
        self._after_last_rescheduling("cancelled_on", cancelled_on)
        ctx.happened("cancelled_on", cancelled_on)
        reason = require_text("reason", reason, 2000)
        meta = ctx.meta(cancelled_on, self.classification)
        self.trigger_event(self.Cancelled, cancelled_on=cancelled_on, reason=reason, **meta)

    def withdraw_cancellation(self, ctx: CommandContext, reason: str, corrected_on: date) -> None:
        """Undoes a cancellation recorded by mistake: the visit is planned again."""
        if self.status is not DelegationStatus.CANCELLED:
            raise NothingToWithdraw(
                f"cannot withdraw the cancellation of this delegation visit: it is {self.status}, "
                "not cancelled"
            )
        cancelled_on = self.cancelled_on
        assert cancelled_on is not None  # a cancelled visit has its day
        reason = withdrawal_reason(ctx, self, reason, "cancelled_on", cancelled_on, corrected_on)
        self.trigger_event(
            self.CancellationWithdrawn,
            cancelled_on=cancelled_on,
            reason=reason,
            **ctx.meta(corrected_on, self.classification),
        )

    def apply_correction(self, name: str, value: Any) -> None:
        if name == "organisation":  # a vocabulary's member, or none
            self.organisation = None if value is None else Organisation(value)
        else:
            super().apply_correction(name, value)

    def check_correction(self, changes: Mapping[str, Any], corrected_on: date) -> None:
        """A delegation still comes from one country or one organisation, never both.

        How many actually came is corrected only once the visit is hosted, and as of a
        day it was: dated before ``hosted_on``, the audit's business-time replay would
        show a head count on a visit still planned, a state the record never had."""
        if "country" in changes or "organisation" in changes:
            country = changes.get("country", self.country)
            organisation = changes.get("organisation", self.organisation)
            if (country is None) == (organisation is None):
                named = "country" if "country" in changes else "organisation"
                raise ValidationError(
                    f"changes.{named}",
                    "one-of",
                    "a delegation comes from either one country or one organisation: "
                    "correct both, the other to null",
                )
        held = [name for name in ("actual_size", "hosted_on") if name in changes]
        if not held:
            return
        if self.hosted_on is None:
            raise DomainRuleViolation(
                "not-hosted",
                f"a delegation visit has no {held[0]} to correct before it is hosted",
                f"changes.{held[0]}",
            )
        require_order(self.hosted_on, corrected_on, "hosted_on", "corrected_on")
        if "hosted_on" in changes:
            self._check_hosted_on(changes["hosted_on"], corrected_on)

    def _check_hosted_on(self, hosted_on: date, corrected_on: date) -> None:
        """A corrected hosting day keeps the hosting's rules, and is not after the
        correction."""
        self._hosted_when_it_could_be("changes.hosted_on", hosted_on)
        require_order(hosted_on, corrected_on, "changes.hosted_on", "corrected_on")

    def _hosted_when_it_could_be(self, field: str, hosted_on: date) -> None:
        """Hosted within the visit's dates, not before its last rescheduling (or the plan)."""
        if not self.start_date <= hosted_on <= self.end_date:
            raise DomainRuleViolation(
                "dates-in-order",
                f"hosted_on ({hosted_on.isoformat()}) is outside the visit's dates "
                f"({self.start_date.isoformat()} to {self.end_date.isoformat()})",
                field=field,
            )
        self._after_last_rescheduling(field, hosted_on)

    def _after_last_rescheduling(self, field: str, on: date) -> None:
        """A rescheduling, hosting or cancellation is dated after the last step recorded.

        A cancellation dated before the rescheduling it undoes, a rescheduling before
        the one it replaces, or either before the plan was agreed (``planned_on``)
        would put the visit's history out of order. A plan recorded without
        ``planned_on`` has no such date (its business time is only when it was
        recorded), so only its reschedulings count. Histories recorded before the
        rule replay.
        """
        if self.rescheduled_on is not None:
            require_order(self.rescheduled_on, on, "the previous rescheduled_on", field)
        elif self._began_on is not None:
            require_order(self._began_on, on, "planned_on", field)


def _without_planned_on(planned: Any) -> bool:
    """Whether a plan was recorded without ``planned_on`` (see ``plan``): its business
    time is then when it was recorded, or its first day's start if that came first
    (until 2026-12-07, when it was recorded in every case).

    A plan given its first day as ``planned_on`` and recorded once the visit had begun
    reads the same, and is then held to no earlier date either, as one without it.
    """
    first = as_business_time(planned.start_date)
    recorded: datetime = planned.timestamp
    business: datetime = planned.business_time
    return business == recorded or (business == first and first < recorded)


#: Why a visit cannot be agreed after it ended: hosting is dated within the visit and
#: on or after the last decision, so no date would do (it could only be cancelled).
_NEVER_HOSTED = "it could never be recorded as hosted"


def _visitor(country: str | None, organisation: str | None) -> dict[str, str | None]:
    """Exactly one of a country (ISO alpha-2) or an organisation, validated."""
    if country is not None and organisation is None:
        return {"country": _foreign(country), "organisation": None}
    if country is None and organisation is not None:
        code = values.one("organisation", Organisation, organisation).value
        return {"country": None, "organisation": code}
    raise ValidationError(
        "country", "one-of", "a delegation comes from either one country or one organisation"
    )


def _foreign(country: str) -> str:
    """The visiting delegation's country (ISO alpha-2), which is not France."""
    code = iso_country(country, "country").code
    if code == values.FRANCE:
        raise ValidationError(
            "country",
            "abroad",
            "a delegation visit hosts a foreign delegation: France is the host, not the visitor",
        )
    return code
