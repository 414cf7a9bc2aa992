"""Agreements: bilateral or multilateral instruments with one or more partners.

Expiry is derived from the signature (or last renewal) and the duration, never
recorded, so it cannot disagree with the facts it comes from.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

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
    require_order,
    require_text,
    text_value,
    withdrawal_reason,
)
from shared.domain.context import CommandContext, require_happened
from shared.domain.vocabulary import (
    AgreementKind,
    AgreementStatus,
    Classification,
    Organisation,
    Theme,
)
from shared.errors import DomainRuleViolation, NothingToWithdraw, ValidationError

#: Signed event fields copied as they are onto the aggregate.
_SIGNED_FIELDS = (
    "reference",
    "title",
    "partner_countries",
    "partner_organisations",
    "themes",
    "signed_on",
    "signed_at",
    "duration_months",
    "funding_amount",
    "funding_currency",
    "funder",
)


#: The state a suspension, resumption or termination changes, and its withdrawal puts back.
_STATUS_STATE = (
    "status",
    "suspended_on",
    "suspension_reason",
    "terminated_on",
    "termination_reason",
    "_status_changed",
)

#: What a renewal changes beside the status, and its withdrawal puts back: kept for
#: renewals only, since a correction may change the first term after a suspension
#: (never after a renewal), and withdrawing the suspension must not undo it.
_TERM_STATE = ("term_start", "duration_months", "_renewed_on")

#: The status changes a status withdrawal undoes (a renewal has its own withdrawal,
#: which puts the term back too).
WITHDRAWABLE = ("suspended_on", "resumed_on", "terminated_on")

#: Why France is refused as a partner country.
FOREIGN_PARTNERS = (
    "an agreement's partners are foreign: France is the ministry's own side, not a partner"
)


class Agreement(EntenteAggregate):
    """An agreement, letter of intent, arrangement, memorandum or funding convention."""

    record_name = "agreement"
    unique = ("reference",)  # how letters, reports and audits cite it
    correctable: ClassVar[dict[str, Any]] = {
        "title": lambda v: require_text("title", text_value("title", v)),
        "signed_at": lambda v: require_text("signed_at", text_value("signed_at", v), 200),
        "themes": lambda v: values.terms("themes", Theme, list_value("themes", v, MAX_CODES)),
        "reference": lambda v: require_text("reference", text_value("reference", v), 100),
        # Partners: one typed wrong stayed in the country file and the figures by country.
        "partner_countries": lambda v: values.countries(
            "partner_countries",
            list_value("partner_countries", v, MAX_COUNTRIES),
            required=False,
            foreign=FOREIGN_PARTNERS,
        ),
        "partner_organisations": lambda v: values.terms(
            "partner_organisations",
            Organisation,
            list_value("partner_organisations", v, MAX_CODES),
            required=False,
        ),
        # The instrument's kind: the figures by kind follow (a funding convention's rules hold).
        "kind": lambda v: values.one("kind", AgreementKind, text_value("kind", v)).value,
        # Money: a funding typed wrong stayed in the register for good; null: none.
        "funding": lambda v: (None, None) if v is None else money_value("funding", v),
        "funder": lambda v: (
            None if v is None else optional_text("funder", text_value("funder", v), 200) or None
        ),
        # The term: a signing day or a duration typed wrong gave a wrong expiry, and
        # every "in force" figure with it; until the first renewal (see _check_corrected_term).
        "signed_on": lambda v: date_value("signed_on", v),
        "duration_months": lambda v: (
            None if v is None else _months(count_value("duration_months", v))
        ),
    }
    recorded_as: ClassVar[dict[str, tuple[str, ...]]] = {
        "funding": ("funding_amount", "funding_currency"),
    }

    if TYPE_CHECKING:  # state set by the events (see EntenteAggregate)
        reference: str
        title: str
        kind: AgreementKind
        partner_countries: list[str]
        partner_organisations: list[str]
        themes: list[str]
        signed_on: date
        signed_at: str
        duration_months: int | None
        term_start: date
        funding_amount: Decimal | None
        funding_currency: str | None
        funder: str | None
        status: AgreementStatus
        amendments: list[dict[str, Any]]
        suspended_on: date | None
        suspension_reason: str | None
        terminated_on: date | None
        termination_reason: str | None
        #: The last change of status (signature, renewal, suspension, resumption) and
        #: its field: the next one may not be dated before it (``_after_last_change``).
        _status_changed: tuple[str, date]  # not part of the record's public state
        _lapses: list[tuple[date, date]]
        #: Every later step's date, with its field (``amended_on``, ``suspended_on``…):
        #: what a corrected signing day and term must still come before or cover.
        _dated: list[tuple[str, date]]
        _renewed_on: date | None
        #: Each status change (field, date, version) with the state it replaced.
        _changes: list[dict[str, Any]]

    class Signed(EntenteAggregate.Created):
        """v2: partners became lists of countries and organisations (v1 had one country)."""

        class_version = 2
        reference: str
        title: str
        kind: str
        partner_countries: list[str]
        partner_organisations: list[str]
        themes: list[str]
        signed_on: date
        signed_at: str
        duration_months: int | None
        funding_amount: Decimal | None
        funding_currency: str | None
        funder: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """v1 stored a single ``partner_country``; v2 stores lists."""
            state["partner_countries"] = [state.pop("partner_country")]
            state["partner_organisations"] = []

        def apply(self, aggregate: Any) -> None:
            super().apply(aggregate)
            for name in _SIGNED_FIELDS:
                setattr(aggregate, name, getattr(self, name))
            aggregate.kind = AgreementKind(self.kind)
            aggregate.term_start = self.signed_on
            aggregate.status = AgreementStatus.IN_FORCE
            aggregate.amendments = []
            aggregate.suspended_on = None
            aggregate.suspension_reason = None
            # Shown on the record as the register shows them (probe 8: a terminated
            # agreement's record said neither when nor why).
            aggregate.terminated_on = None
            aggregate.termination_reason = None
            aggregate._status_changed = ("signed_on", self.signed_on)
            aggregate._lapses = []  # (expired on, renewed on): where it was not in force
            aggregate._dated = []
            aggregate._renewed_on = None  # the last renewal: the term no longer the signature's
            aggregate._changes = []  # each status change with the state it replaced

    class Corrected(EntenteAggregate.Corrected):
        """A agreement's descriptive fields fixed, with the reason.

        Declared so the catalogue lists it right after the creation; the library
        would otherwise define the same subclass itself, last.
        """

    class Amended(EntenteAggregate.Event):
        amended_on: date
        summary: str

        def apply(self, aggregate: Any) -> None:
            aggregate.amendments.append({"on": self.amended_on, "summary": self.summary})
            aggregate._dated.append(("amended_on", self.amended_on))

    class AmendmentWithdrawn(EntenteAggregate.Event):
        """The last amendment recorded was a mistake (the wrong agreement, an amendment
        that was never signed): undone, with the reason. Both stay in the history.

        ``amended_on`` and ``summary`` say which amendment it undid."""

        amended_on: date
        summary: str
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.amendments.pop()
            aggregate._dated.remove(("amended_on", self.amended_on))
            noted_withdrawal(aggregate, self)

    class Renewed(EntenteAggregate.Event):
        renewed_on: date
        duration_months: int

        def apply(self, aggregate: Any) -> None:
            aggregate.remember_change(
                "renewed_on", self.renewed_on, self.originator_version, term=True
            )
            expired_on = aggregate.expires_on
            if expired_on is not None and self.renewed_on > expired_on:  # revived after a lapse
                aggregate._lapses.append((expired_on, self.renewed_on))
            aggregate.term_start = aggregate.renewed_term_start(self.renewed_on)
            aggregate.duration_months = self.duration_months
            aggregate.status = AgreementStatus.IN_FORCE
            aggregate.changed_status("renewed_on", self.renewed_on)
            aggregate._renewed_on = self.renewed_on

    class Suspended(EntenteAggregate.Event):
        suspended_on: date
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.remember_change("suspended_on", self.suspended_on, self.originator_version)
            aggregate.status = AgreementStatus.SUSPENDED
            aggregate.suspended_on = self.suspended_on
            aggregate.suspension_reason = self.reason
            aggregate.changed_status("suspended_on", self.suspended_on)
            aggregate._dated.append(("suspended_on", self.suspended_on))

    class Resumed(EntenteAggregate.Event):
        resumed_on: date

        def apply(self, aggregate: Any) -> None:
            aggregate.remember_change("resumed_on", self.resumed_on, self.originator_version)
            aggregate.status = AgreementStatus.IN_FORCE
            aggregate.suspended_on = None
            aggregate.suspension_reason = None
            aggregate.changed_status("resumed_on", self.resumed_on)
            aggregate._dated.append(("resumed_on", self.resumed_on))

    class Terminated(EntenteAggregate.Event):
        terminated_on: date
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.remember_change("terminated_on", self.terminated_on, self.originator_version)
            aggregate.status = AgreementStatus.TERMINATED
            aggregate.terminated_on = self.terminated_on
            aggregate.termination_reason = self.reason
            aggregate.changed_status("terminated_on", self.terminated_on)
            aggregate._dated.append(("terminated_on", self.terminated_on))

    class StatusChangeWithdrawn(EntenteAggregate.Event):
        """The last suspension, resumption or termination was recorded by mistake: undone,
        with the reason. Both the change and its withdrawal stay in the history.

        The event says what it undid (``withdrawn``, ``withdrawn_on``,
        ``withdrawn_version``) and the state it put back (``status``,
        ``suspended_on``), so a projection needs nothing it did not keep.
        """

        withdrawn: str
        withdrawn_on: date
        withdrawn_version: int
        status: str
        suspended_on: date | None
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.undo_last_change(self.business_time.date())
            noted_withdrawal(aggregate, self)

    class RenewalWithdrawn(EntenteAggregate.Event):
        """The last renewal was recorded by mistake (the wrong agreement, a renewal that
        did not happen): undone, with the reason. Both stay in the history.

        The event says which renewal it undid (``withdrawn_on``, ``withdrawn_version``)
        and the term it put back (``term_start``, ``duration_months``), so a projection
        needs nothing it did not keep. The status before a renewal is always in force.
        """

        withdrawn_on: date
        withdrawn_version: int
        term_start: date
        duration_months: int
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.undo_last_change(self.business_time.date())
            noted_withdrawal(aggregate, self)

    @classmethod
    def sign(
        cls,
        ctx: CommandContext,
        *,
        id: Any,
        reference: str,
        title: str,
        kind: str,
        partner_countries: list[str],
        partner_organisations: list[str],
        themes: list[str],
        signed_on: date,
        signed_at: str,
        duration_months: int | None,
        funding: tuple[Decimal, str] | None,
        funder: str | None,
        classification: Classification,
        today: date,
    ) -> Agreement:
        """Records a signature after checking every rule of a new instrument."""
        checks = FieldChecks()  # every field's own rule, all named at once
        with checks:
            kind_ = values.one("kind", AgreementKind, kind)
        with checks:
            countries = values.countries(
                "partner_countries", partner_countries, required=False, foreign=FOREIGN_PARTNERS
            )
        with checks:
            organisations = values.terms(
                "partner_organisations", Organisation, partner_organisations, required=False
            )
        with checks:
            reference = require_text("reference", reference, 100)
        with checks:
            title = require_text("title", title)
        with checks:
            themes = values.terms("themes", Theme, themes)
        with checks:
            signed_at = require_text("signed_at", signed_at, 200)
        with checks:
            if duration_months is not None:
                _months(duration_months)
        with checks:
            kept_funder = optional_text("funder", funder or "", 200) or None
        checks.done()
        _one_partner(countries, organisations, "partner_countries")
        require_happened("signed_on", signed_on, today)
        amount, currency = _funding(kind_, funding, funder, duration_months)
        return cls._create(
            cls.Signed,
            id=id,
            reference=reference,
            title=title,
            kind=kind_.value,
            partner_countries=countries,
            partner_organisations=organisations,
            themes=themes,
            signed_on=signed_on,
            signed_at=signed_at,
            duration_months=duration_months,
            funding_amount=amount,
            funding_currency=currency,
            funder=kept_funder,
            **ctx.meta(signed_on, classification),
        )

    def check_correction(self, changes: Mapping[str, Any], corrected_on: date) -> None:
        """A correction keeps the signature's rules: at least one partner; a funding
        convention states its funding, funder and duration; the term covers what
        happened under it."""
        if {"kind", "funding_amount", "funder", "duration_months"} & set(changes):
            try:
                _convention_complete(
                    AgreementKind(changes.get("kind", self.kind)),
                    changes.get("funding_amount", self.funding_amount) is not None,
                    changes.get("funder", self.funder),
                    changes.get("duration_months", self.duration_months),
                )
            except ValidationError as error:  # named as the change to make: it, or the kind
                recorded = {"funding": "funding_amount"}.get(error.field, error.field)
                field = error.field if recorded in changes else "kind"
                raise ValidationError(f"changes.{field}", error.rule, error.detail) from None
        if "partner_countries" in changes or "partner_organisations" in changes:
            _one_partner(
                changes.get("partner_countries", self.partner_countries),
                changes.get("partner_organisations", self.partner_organisations),
                "changes.partner_countries"
                if "partner_countries" in changes
                else "changes.partner_organisations",
            )
        if "signed_on" in changes or "duration_months" in changes:
            self._check_corrected_term(changes, corrected_on)

    def _check_corrected_term(self, changes: Mapping[str, Any], corrected_on: date) -> None:
        """A corrected signing day or duration sets the first term again, so it must
        hold everything recorded since: signed on or before the correction and every
        later step (an amendment, a suspension, a correction…), and in force on each
        day an amendment, suspension or termination was dated (``_in_term``).

        Only until the first renewal: a renewal's term starts at the expiry it
        followed (``renewed_term_start``), and the views keep each term's expiry in
        the status history; moving the first would move every later one.
        """
        named = "duration_months" if "duration_months" in changes else "signed_on"
        if self._renewed_on is not None:
            raise DomainRuleViolation(
                "renewed",
                f"the agreement was renewed (on {self._renewed_on.isoformat()}): its terms "
                f"follow from one another, so {named} can no longer be corrected",
                f"changes.{named}",
            )
        signed_on = changes.get("signed_on", self.signed_on)
        self.first_date_before("signed_on", signed_on, list(self._dated), corrected_on)
        months = changes.get("duration_months", self.duration_months)
        if months is None:
            return
        expires_on = values.term_end(f"changes.{named}", signed_on, months)
        in_term = (
            d for d in self._dated if d[0] in {"amended_on", "suspended_on", "terminated_on"}
        )
        last = max(in_term, key=lambda d: d[1], default=None)
        if last is not None and last[1] > expires_on:
            last_name, last_on = last
            raise DomainRuleViolation(
                "dates-in-order",
                f"the agreement would expire on {expires_on.isoformat()}, before "
                f"{last_name} ({last_on.isoformat()}): its term must cover it",
                f"changes.{named}",
            )

    def apply_correction(self, name: str, value: Any) -> None:
        """A corrected signing day starts the (first) term and the record's history."""
        super().apply_correction(name, value)
        if name == "signed_on":
            self.term_start = value
            self._began_on = value
            if self._status_changed[0] == "signed_on":
                self._status_changed = ("signed_on", value)

    @property
    def expires_on(self) -> date | None:
        """End of the current term, derived; None for open-ended instruments."""
        if self.duration_months is None:
            return None
        return values.add_months(self.term_start, self.duration_months)

    def renewed_term_start(self, renewed_on: date) -> date:
        """Where a renewal's term starts: the current expiry, or the renewal if later."""
        return max(renewed_on, self.expires_on or renewed_on)

    def remember_change(self, field: str, on: date, version: int, term: bool = False) -> None:
        """Keeps what a status change replaces, for its withdrawal (``StatusChangeWithdrawn``,
        ``RenewalWithdrawn``); ``term``: the term too (a renewal's)."""
        before = {name: getattr(self, name) for name in _STATUS_STATE}
        if term:
            before.update({name: getattr(self, name) for name in _TERM_STATE})
            before["_lapses"] = list(self._lapses)  # the renewal may add one
        self._changes.append({"field": field, "on": on, "version": version, "before": before})

    def undo_last_change(self, day: date) -> None:
        """Puts back the state the last status change or renewal replaced (a withdrawal
        dated ``day``)."""
        change = self._changes.pop()
        for name, value in change["before"].items():
            setattr(self, name, value)
        if change["field"] != "renewed_on":  # a renewal bounds no later step's date
            self._dated.remove((change["field"], change["on"]))
        # As a correction: the record existed on this day (``first_date_before``).
        first = getattr(self, "_first_corrected_on", None)
        self._first_corrected_on = day if first is None else min(first, day)

    def changed_status(self, field: str, on: date) -> None:
        """Keeps the latest status change (histories recorded before the rule may go back)."""
        if on >= self._status_changed[1]:
            self._status_changed = (field, on)

    @property
    def last_status_change(self) -> tuple[str, date]:
        """The field and date of the latest change of status (the signature at first)."""
        return self._status_changed

    def _after_last_change(self, field: str, on: date) -> None:
        """Status changes are dated in the order they happen.

        The views (the register, reporting's agreements in force, the annual
        report) place each change at its date: a suspension or termination dated
        before an earlier resumption or renewal would leave the record
        terminated and the figures counting it in force.
        """
        last_field, last_on = self._status_changed
        require_order(last_on, on, last_field, field)

    def _in_term(self, field: str, on: date) -> None:
        """An amendment, suspension or termination is dated while the instrument runs.

        After its term (``expires_on``, the last day in force) there is nothing
        left to amend, suspend or end: the register would show a lapsed
        instrument as suspended or terminated. A renewal may still revive it,
        and a resumption lets a suspended one be renewed.
        """
        expires_on = self.expires_on
        if expires_on is not None and on > expires_on:
            then = "resume and renew" if self.status is AgreementStatus.SUSPENDED else "renew"
            raise DomainRuleViolation(
                "dates-in-order",
                f"{field} ({on.isoformat()}) is after the agreement expired "
                f"(expires_on {expires_on.isoformat()}); {then} it first",
                field,
            )
        for expired_on, renewed_on in self._lapses:
            if expired_on < on < renewed_on:
                raise DomainRuleViolation(
                    "dates-in-order",
                    f"{field} ({on.isoformat()}) falls while the agreement had lapsed "
                    f"(expired {expired_on.isoformat()}, renewed {renewed_on.isoformat()})",
                    field,
                )

    def amend(self, ctx: CommandContext, amended_on: date, summary: str) -> None:
        self.guard_status("amend", {AgreementStatus.IN_FORCE, AgreementStatus.SUSPENDED})
        require_order(self.signed_on, amended_on, "signed_on", "amended_on")
        ctx.happened("amended_on", amended_on)
        self._in_term("amended_on", amended_on)
        summary = require_text("summary", summary, 2000)
        meta = ctx.meta(amended_on, self.classification)
        self.trigger_event(self.Amended, amended_on=amended_on, summary=summary, **meta)

    def withdraw_amendment(self, ctx: CommandContext, reason: str, corrected_on: date) -> None:
        """Undoes the last amendment recorded, a mistake: the ones before it stand, and a
        later step is no longer held to come after it."""
        if not self.amendments:
            raise NothingToWithdraw(
                "cannot withdraw an amendment of this agreement: it has none left to withdraw"
            )
        last = self.amendments[-1]
        reason = withdrawal_reason(ctx, self, reason, "amended_on", last["on"], corrected_on)
        self.trigger_event(
            self.AmendmentWithdrawn,
            amended_on=last["on"],
            summary=last["summary"],
            reason=reason,
            **ctx.meta(corrected_on, self.classification),
        )

    def renew(self, ctx: CommandContext, renewed_on: date, duration_months: int) -> None:
        self.guard_status("renew", {AgreementStatus.IN_FORCE})
        self._after_last_change("renewed_on", renewed_on)
        ctx.happened("renewed_on", renewed_on)
        if self.duration_months is None:
            raise DomainRuleViolation("open-ended", "an open-ended agreement cannot be renewed")
        _months(duration_months)
        # Renewals stack: the new term's end is checked before anything is recorded.
        values.term_end("duration_months", self.renewed_term_start(renewed_on), duration_months)
        meta = ctx.meta(renewed_on, self.classification)
        self.trigger_event(
            self.Renewed, renewed_on=renewed_on, duration_months=duration_months, **meta
        )

    def suspend(self, ctx: CommandContext, suspended_on: date, reason: str) -> None:
        self.guard_status("suspend", {AgreementStatus.IN_FORCE})
        self._after_last_change("suspended_on", suspended_on)
        ctx.happened("suspended_on", suspended_on)
        self._in_term("suspended_on", suspended_on)
        reason = require_text("reason", reason)
        meta = ctx.meta(suspended_on, self.classification)
        self.trigger_event(self.Suspended, suspended_on=suspended_on, reason=reason, **meta)

    def resume(self, ctx: CommandContext, resumed_on: date) -> None:
        self.guard_status("resume", {AgreementStatus.SUSPENDED})
        self._after_last_change("resumed_on", resumed_on)
        ctx.happened("resumed_on", resumed_on)
        meta = ctx.meta(resumed_on, self.classification)
        self.trigger_event(self.Resumed, resumed_on=resumed_on, **meta)

    def terminate(self, ctx: CommandContext, terminated_on: date, reason: str) -> None:
        self.guard_status("terminate", {AgreementStatus.IN_FORCE, AgreementStatus.SUSPENDED})
        self._after_last_change("terminated_on", terminated_on)
        if self.amendments:  # an instrument amended after it ended would be in the register
            last = max(amendment["on"] for amendment in self.amendments)
            require_order(last, terminated_on, "the last amended_on", "terminated_on")
        ctx.happened("terminated_on", terminated_on)
        self._in_term("terminated_on", terminated_on)
        reason = require_text("reason", reason)
        meta = ctx.meta(terminated_on, self.classification)
        self.trigger_event(self.Terminated, terminated_on=terminated_on, reason=reason, **meta)

    def withdraw_status_change(self, ctx: CommandContext, reason: str, corrected_on: date) -> None:
        """Undoes the last suspension, resumption or termination, recorded by mistake.

        Only the last: the ones before it were recorded on the state it changed.
        A renewal is not withdrawn (its term follows from the expiry before it,
        and the views keep each term); a termination recorded by mistake no
        longer leaves the agreement terminated for good.
        """
        last = self._changes[-1] if self._changes else None
        if last is None or last["field"] not in WITHDRAWABLE:
            what = (
                "none is left to withdraw"
                if last is None
                else "the last one is a renewal (withdraw it with renewal-withdrawal)"
            )
            raise NothingToWithdraw(
                "cannot withdraw a status change of this agreement: only the last suspension, "
                f"resumption or termination can be withdrawn, and {what}"
            )
        reason = withdrawal_reason(ctx, self, reason, last["field"], last["on"], corrected_on)
        before = last["before"]
        self.trigger_event(
            self.StatusChangeWithdrawn,
            withdrawn=last["field"],
            withdrawn_on=last["on"],
            withdrawn_version=last["version"],
            status=before["status"].value,
            suspended_on=before["suspended_on"],
            reason=reason,
            **ctx.meta(corrected_on, self.classification),
        )

    def withdraw_renewal(self, ctx: CommandContext, reason: str, corrected_on: date) -> None:
        """Undoes the last renewal, recorded by mistake: the term before it comes back.

        Only when it is the last status change: a suspension or termination after
        it was recorded on the renewed term, and is withdrawn first. The agreement
        is in force again on its former term (expired, if that term has ended).
        """
        last = self._changes[-1] if self._changes else None
        if last is None or last["field"] != "renewed_on":
            later = None if last is None else _CHANGE_NAMES[last["field"]]
            what = (
                f"its last status change is a later {later} (withdraw that first, with "
                "status-withdrawal)"
                if any(change["field"] == "renewed_on" for change in self._changes)
                else "it was never renewed, or every renewal is withdrawn"
            )
            raise NothingToWithdraw(f"cannot withdraw a renewal of this agreement: {what}")
        before = last["before"]
        expired_on = values.add_months(before["term_start"], before["duration_months"])
        beyond = sorted(on for field, on in self._dated if on > expired_on)
        if beyond:  # recorded under the renewed term only: the term before cannot hold them
            raise DomainRuleViolation(
                "dates-in-order",
                f"an amendment of {beyond[0].isoformat()} was recorded under the renewed term, "
                f"after the term before it ended (expires_on {expired_on.isoformat()}): "
                "withdraw it first (amendment-withdrawal)",
            )
        reason = withdrawal_reason(ctx, self, reason, "renewed_on", last["on"], corrected_on)
        self.trigger_event(
            self.RenewalWithdrawn,
            withdrawn_on=last["on"],
            withdrawn_version=last["version"],
            term_start=before["term_start"],
            duration_months=before["duration_months"],
            reason=reason,
            **ctx.meta(corrected_on, self.classification),
        )


#: How a refusal names a status change, by its date field.
_CHANGE_NAMES = {
    "suspended_on": "suspension",
    "resumed_on": "resumption",
    "terminated_on": "termination",
    "renewed_on": "renewal",
}


def _months(duration_months: int) -> int:
    """A term's length: 1 to 1200 months (a hundred years)."""
    if not 1 <= duration_months <= 1200:
        raise ValidationError("duration_months", "range", "duration must be 1 to 1200 months")
    return duration_months


def _one_partner(countries: list[str], organisations: list[str], field: str) -> None:
    """An agreement has at least one partner: a country or an organisation."""
    if not countries and not organisations:
        raise ValidationError(
            field,
            "required",
            "an agreement needs at least one partner: a country or an organisation",
        )


def _funding(
    kind: AgreementKind,
    funding: tuple[Decimal, str] | None,
    funder: str | None,
    duration_months: int | None,
) -> tuple[Decimal | None, str | None]:
    """A funding convention must state amount, currency, funder and duration."""
    _convention_complete(kind, funding is not None, funder, duration_months)
    if funding is None:
        return None, None
    return values.money("funding", *funding)


def _convention_complete(
    kind: AgreementKind, funded: bool, funder: str | None, duration_months: int | None
) -> None:
    """A funding convention states its funding, its funder and its duration."""
    if kind is AgreementKind.FUNDING_CONVENTION:
        if not funded:
            raise ValidationError("funding", "required", "a funding convention needs an amount")
        if not funder or not funder.strip():
            raise ValidationError("funder", "required", "a funding convention needs a funder")
        if duration_months is None:
            raise ValidationError(
                "duration_months", "required", "a funding convention needs a duration"
            )
