"""Posts abroad: the internal-security services (SSI) in French embassies.

One attaché may cover several countries (SSI Hanoï covers Viêt Nam, Cambodia
and Laos) and coverage changes over time, so the post keeps the history of its
coverage: an action is counted for the post that covered its country on the
action's date, not the post that covers it today.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from shared.domain import values
from shared.domain.base import (
    EntenteAggregate,
    FieldChecks,
    noted_withdrawal,
    require_order,
    require_text,
    text_value,
    withdrawal_reason,
)
from shared.domain.context import CommandContext
from shared.domain.reference import country as iso_country
from shared.domain.vocabulary import Classification, PostStatus
from shared.errors import DomainRuleViolation, NothingToWithdraw, ValidationError

#: How a refusal names the day the current coverage began (``coverage_since``, which
#: the API does not show): the opening, or the last coverage change.
CURRENT_COVERAGE = "the current coverage's start (its opening or last coverage change)"

#: Where the posts are not: the internal-security services abroad cover foreign countries.
FRANCE = values.FRANCE


class PostAbroad(EntenteAggregate):
    """An internal-security service in an embassy, and the countries it covers."""

    record_name = "post abroad"
    correctable: ClassVar[dict[str, Any]] = {
        "name": lambda v: require_text("name", text_value("name", v), 200),
        "city": lambda v: require_text("city", text_value("city", v), 200),
        # Where the post sits, typed wrong: one it covered all along (``check_correction``).
        "host_country": lambda v: _host(text_value("host_country", v)),
    }

    if TYPE_CHECKING:  # state set by the events (see EntenteAggregate)
        name: str
        city: str
        host_country: str
        covered_countries: list[str]
        coverage_history: list[dict[str, Any]]
        opened_on: date
        closed_on: date | None
        status: PostStatus

    class Opened(EntenteAggregate.Created):
        name: str
        city: str
        host_country: str
        covered_countries: list[str]
        opened_on: date

        def apply(self, aggregate: Any) -> None:
            super().apply(aggregate)
            aggregate.name = self.name
            aggregate.city = self.city
            aggregate.host_country = self.host_country
            aggregate.covered_countries = list(self.covered_countries)
            aggregate.coverage_history = [
                {"from": self.opened_on, "countries": list(self.covered_countries)}
            ]
            aggregate.opened_on = self.opened_on
            aggregate.closed_on = None
            aggregate.status = PostStatus.OPEN

    class Corrected(EntenteAggregate.Corrected):
        """A post's descriptive fields fixed, with the reason.

        Declared so the catalogue lists it right after the creation; the library
        would otherwise define the same subclass itself, last.
        """

    class CoverageChanged(EntenteAggregate.Event):
        covered_countries: list[str]
        effective_on: date

        def apply(self, aggregate: Any) -> None:
            aggregate.covered_countries = list(self.covered_countries)
            aggregate.coverage_history.append(
                {"from": self.effective_on, "countries": list(self.covered_countries)}
            )

    class CoverageRedated(EntenteAggregate.Event):
        """The last coverage change took effect on another day than recorded (a slip)."""

        effective_on: date
        recorded_effective_on: date  # the date it corrects, kept beside the new one
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.coverage_history[-1] = {
                **aggregate.coverage_history[-1],
                "from": self.effective_on,
            }

    class OpeningRedated(EntenteAggregate.Event):
        """The post opened on another day than recorded (a slip): its first coverage
        begins on the new day. The recorded day stays in the event, with the reason."""

        opened_on: date
        recorded_opened_on: date  # the date it corrects, kept beside the new one
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.opened_on = self.opened_on
            aggregate.coverage_history[0] = {
                **aggregate.coverage_history[0],
                "from": self.opened_on,
            }

    class Closed(EntenteAggregate.Event):
        closed_on: date

        def apply(self, aggregate: Any) -> None:
            aggregate.closed_on = self.closed_on
            aggregate.status = PostStatus.CLOSED

    class ClosureWithdrawn(EntenteAggregate.Event):
        """The closure was recorded by mistake: the post is open again, with the coverage
        it had, and the closure stays in the history, with the reason.

        ``covered_countries`` and ``coverage_since`` say which coverage runs again
        and since when, so the views put back exactly the periods the closure ended.
        """

        closed_on: date  # the closure withdrawn
        covered_countries: list[str]
        coverage_since: date
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.closed_on = None
            aggregate.status = PostStatus.OPEN
            noted_withdrawal(aggregate, self)

    @classmethod
    def open(
        cls,
        ctx: CommandContext,
        *,
        id: UUID,
        name: str,
        city: str,
        host_country: str,
        covered_countries: list[str],
        opened_on: date,
        classification: Classification,
        closed_on: date | None = None,
    ) -> PostAbroad:
        """Records a new post and the countries it covers from the start.

        ``closed_on``: a post of the past, opened and closed in one command (its
        closure is the second event): recorded later, after another post took its
        countries over, it could not be opened at all, since an open post covers
        its countries until it closes.
        """
        checks = FieldChecks()  # every field's own rule, all named at once
        with checks:
            name = require_text("name", name, 200)
        with checks:
            city = require_text("city", city, 200)
        with checks:
            host = _host(host_country)
        checks.done()
        ctx.happened("opened_on", opened_on)
        if closed_on is not None and closed_on <= opened_on:
            raise DomainRuleViolation(
                "dates-in-order",
                f"closed_on ({closed_on.isoformat()}) is not after opened_on "
                f"({opened_on.isoformat()}): a post of the past covers at least one day",
                field="closed_on",
            )
        post = cls._create(
            cls.Opened,
            id=id,
            name=name,
            city=city,
            host_country=host,
            covered_countries=_coverage(host, covered_countries),
            opened_on=opened_on,
            **ctx.meta(opened_on, classification),
        )
        if closed_on is not None:
            post.close(ctx, closed_on)
        return post

    def change_coverage(
        self, ctx: CommandContext, covered_countries: list[str], effective_on: date
    ) -> None:
        """Records the countries the post covers from ``effective_on`` on.

        Changes come in date order (after the opening and the last change), so
        the history reads as consecutive periods.
        """
        self.guard_status("change the coverage of", {PostStatus.OPEN})
        require_order(self.opened_on, effective_on, "opened_on", "effective_on")
        require_order(self.coverage_since, effective_on, CURRENT_COVERAGE, "effective_on")
        ctx.happened("effective_on", effective_on)
        countries = _coverage(self.host_country, covered_countries)
        if sorted(countries) == sorted(self.covered_countries):
            raise ValidationError(
                "covered_countries",
                "no-change",
                "the post already covers exactly these countries: nothing to record",
            )
        meta = ctx.meta(effective_on, self.classification)
        self.trigger_event(
            self.CoverageChanged, covered_countries=countries, effective_on=effective_on, **meta
        )

    def redate_coverage(
        self, ctx: CommandContext, effective_on: date, reason: str, corrected_on: date
    ) -> None:
        """Corrects the day the last coverage change took effect (typed 2026 for 2025).

        Only the last change, of an open post, and within the periods around it: on
        or after the coverage it followed began, so the history still reads as
        consecutive periods. The recorded date stays in the history, with the reason.
        """
        self.guard_status("correct the coverage of", {PostStatus.OPEN})
        if len(self.coverage_history) < 2:
            raise DomainRuleViolation(
                "no-coverage-change",
                "the post's coverage never changed since its opening: there is no change to redate",
                "effective_on",
            )
        recorded: date = self.coverage_history[-1]["from"]
        previous: date = self.coverage_history[-2]["from"]
        if recorded == previous:  # the coverage it replaced lasted no day: nothing to move
            raise DomainRuleViolation(
                "same-day-change",
                f"the last change took effect on {recorded}, the day the coverage before it "
                "began: record the coverage as it should be with a new change instead",
                "effective_on",
            )
        require_order(previous, effective_on, "the previous coverage's start", "effective_on")
        ctx.happened("effective_on", effective_on)
        if effective_on == recorded:
            raise ValidationError(
                "effective_on", "no-change", f"the last change already took effect on {recorded}"
            )
        reason = require_text("reason", reason, 2000)
        require_order(max(effective_on, recorded), corrected_on, "effective_on", "corrected_on")
        ctx.happened("corrected_on", corrected_on)
        self.trigger_event(
            self.CoverageRedated,
            effective_on=effective_on,
            recorded_effective_on=recorded,
            reason=reason,
            **ctx.meta(corrected_on, self.classification),
        )

    def redate_opening(
        self, ctx: CommandContext, opened_on: date, reason: str, corrected_on: date
    ) -> None:
        """Corrects the day the post opened (typed 2026 for 2016), open or closed.

        Its first coverage begins on the new day, which must still come before what
        followed it (the next coverage change, or the closure), by a day at least: the
        history still reads as consecutive periods, and a post covers at least one day
        (probe 10: an opening moved onto its closure left a post that covered nothing,
        and no redating could move it back). The recorded day stays in the event.
        """
        recorded = self.opened_on
        first_end = self._first_period_end
        if first_end is not None and first_end == recorded:
            raise DomainRuleViolation(
                "same-day-change",
                f"the post's first coverage lasted no day (it ended on {recorded}, the day "
                "it opened): record the post as it should be instead",
                "opened_on",
            )
        ctx.happened("opened_on", opened_on)
        if first_end is not None and opened_on >= first_end:
            follows = (
                "its closure" if len(self.coverage_history) == 1 else "its next coverage change"
            )
            raise DomainRuleViolation(
                "dates-in-order",
                f"opened_on ({opened_on.isoformat()}) is not before {follows} "
                f"({first_end.isoformat()}): the post's first coverage covers at least one day",
                "opened_on",
            )
        if opened_on == recorded:
            raise ValidationError(
                "opened_on", "no-change", f"the post is already recorded as opened on {recorded}"
            )
        reason = require_text("reason", reason, 2000)
        require_order(max(opened_on, recorded), corrected_on, "opened_on", "corrected_on")
        ctx.happened("corrected_on", corrected_on)
        self.trigger_event(
            self.OpeningRedated,
            opened_on=opened_on,
            recorded_opened_on=recorded,
            reason=reason,
            **ctx.meta(corrected_on, self.classification),
        )

    @property
    def _first_period_end(self) -> date | None:
        """The first day the first coverage no longer ran: the next change, the closure."""
        if len(self.coverage_history) > 1:
            following: date = self.coverage_history[1]["from"]
            return following
        return self.closed_on

    def close(self, ctx: CommandContext, closed_on: date) -> None:
        """Records the closure; the post covers nothing from ``closed_on`` on."""
        self.guard_status("close", {PostStatus.OPEN})
        require_order(self.coverage_since, closed_on, CURRENT_COVERAGE, "closed_on")
        ctx.happened("closed_on", closed_on)
        self.trigger_event(
            self.Closed, closed_on=closed_on, **ctx.meta(closed_on, self.classification)
        )

    def withdraw_closure(self, ctx: CommandContext, reason: str, corrected_on: date) -> None:
        """Undoes a closure recorded by mistake: the post covers its countries again from
        the closing day on, as if it had never closed.

        Another post may have taken one of its countries since that day: the
        ledger refuses the withdrawal then (``country-covered``), as it refuses
        any command that would make two posts cover a country on the same days.
        """
        if self.status is not PostStatus.CLOSED:
            raise NothingToWithdraw(
                f"cannot withdraw the closure of this post abroad: it is {self.status}, not closed"
            )
        closed_on = self.closed_on
        assert closed_on is not None  # a closed post has its closing day
        reason = withdrawal_reason(ctx, self, reason, "closed_on", closed_on, corrected_on)
        self.trigger_event(
            self.ClosureWithdrawn,
            closed_on=closed_on,
            covered_countries=list(self.covered_countries),
            coverage_since=self.coverage_since,
            reason=reason,
            **ctx.meta(corrected_on, self.classification),
        )

    def check_correction(self, changes: Mapping[str, Any], corrected_on: date) -> None:
        """A corrected host country is one the post covered in every period: a post covers
        its host country (``host-covered``), so another one would make its past coverage
        break the rule; change the coverage first if the host country must be added."""
        host = changes.get("host_country")
        if host is None:
            return
        missing = [p["from"] for p in self.coverage_history if host not in p["countries"]]
        if missing:
            raise ValidationError(  # as the opening refuses it: one rule, one answer
                "changes.host_country",
                "host-covered",
                f"the post did not cover {host} from {missing[0].isoformat()}: a post covers "
                "its host country, so the corrected one must be covered in every period",
            )

    @property
    def coverage_since(self) -> date:
        """The date the current coverage took effect (the opening or the last change)."""
        since: date = self.coverage_history[-1]["from"]
        return since

    def covered_on(self, day: date) -> list[str]:
        """The countries the post covered on ``day``: none before opening or from closure."""
        if day < self.opened_on or (self.closed_on is not None and day >= self.closed_on):
            return []
        countries: list[str] = []
        for period in self.coverage_history:
            if period["from"] <= day:
                countries = period["countries"]
        return list(countries)


def _host(host_country: str) -> str:
    """The host country's code (ISO alpha-2), which is not France."""
    host = iso_country(host_country, "host_country").code
    if host == FRANCE:
        raise ValidationError(
            "host_country",
            "abroad",
            "a post abroad is hosted outside France: give the host country's code",
        )
    return host


def _coverage(host_country: str, covered_countries: list[str]) -> list[str]:
    """Validated covered countries, which must include the host country, and not France."""
    countries = values.countries("covered_countries", covered_countries)
    if FRANCE in countries:  # a slip: the services abroad cover foreign countries
        raise ValidationError(
            f"covered_countries[{countries.index(FRANCE)}]",
            "abroad",
            "a post abroad covers countries outside France",
        )
    if host_country not in countries:
        raise ValidationError(
            "covered_countries",
            "host-covered",
            f"a post covers its host country: add {host_country} to covered_countries",
        )
    return countries
