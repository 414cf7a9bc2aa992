"""The base of every Entente aggregate and event.

Each event carries the tenant, business time (when it happened), actor,
correlation and causation ids and classification; the library's ``timestamp``
is the recorded time (when the system learned it). Events are never edited: a
mistake is fixed by a ``Corrected`` event that names the fields, the new values
and a reason, and both stay in the history.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar

from eventsourcing.domain import Aggregate

from shared.domain import values
from shared.domain.context import CommandContext
from shared.domain.creation import DirectlyCreated
from shared.domain.vocabulary import Classification
from shared.errors import (
    DomainRuleViolation,
    IllegalTransition,
    InvalidFieldsError,
    ValidationError,
)
from shared.json_types import json_type
from shared.text import (
    NONCHARACTER_MESSAGE,
    SURROGATE_RULE,
    composed,
    invisible,
    lone_surrogate,
    refused_character,
)
from shared.text import RULE as CONTROL_RULE

#: Normalises one corrected value (raising ValidationError) into its stored form.
Normaliser = Callable[[Any], Any]


class EntenteAggregate(DirectlyCreated):
    """Common state and guards: classification, status, corrections."""

    #: Fields a ``correct`` command may change, each with its normaliser.
    correctable: ClassVar[Mapping[str, Normaliser]] = {}
    #: Correctable fields recorded under several names, as the events record them
    #: (an amount of money: ``budget`` is ``budget_amount`` and ``budget_currency``);
    #: their normaliser returns one value per name, in this order.
    recorded_as: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    #: Correctable fields that record another's decision (a mission's validation): only
    #: ``correct(decision=True)`` names them, which the API offers to validators alone.
    decision_fields: ClassVar[frozenset[str]] = frozenset()
    record_name: ClassVar[str] = "record"
    #: Fields no two records of this kind in one directorate may share (compared as
    #: ``shared.application.claims.comparable``); the ledger keeps the rule.
    unique: ClassVar[tuple[str, ...]] = ()

    if TYPE_CHECKING:  # state set by events' apply(); annotations here would make
        # the library turn the aggregate into a dataclass with a required __init__.
        tenant: str
        classification: Classification
        status: Any
        _began_on: date | None  # the business date of the record's first event, if known

    class Event(Aggregate.Event):
        tenant: str
        business_time: datetime
        actor_id: str
        actor_name: str
        correlation_id: str
        causation_id: str | None
        classification: str

    class Created(Event, Aggregate.Created):
        def apply(self, aggregate: Any) -> None:
            aggregate.tenant = self.tenant
            aggregate.classification = Classification(self.classification)
            # Not public state (``_``): what a correction may not be dated before.
            aggregate._began_on = self.business_time.date()

    class Corrected(Event):
        """A mistake fixed: ``changes`` maps field names to their corrected values."""

        changes: dict[str, Any]
        reason: str

        def apply(self, aggregate: Any) -> None:
            for name, value in self.changes.items():
                aggregate.apply_correction(name, value)
            # Not public state: a corrected first date may not move after a correction.
            day = self.business_time.date()
            first = getattr(aggregate, "_first_corrected_on", None)
            aggregate._first_corrected_on = day if first is None else min(first, day)

    def apply_correction(self, name: str, value: Any) -> None:
        """Sets a corrected field (a vocabulary's as its member); aggregates override it
        for derived state."""
        current = getattr(self, name, None)
        setattr(self, name, type(current)(value) if isinstance(current, Enum) else value)

    def guard_status(self, command: str, allowed: set[Any]) -> None:
        """Refuses ``command`` unless the status is one of ``allowed``."""
        if self.status not in allowed:
            raise IllegalTransition(
                self.record_name, str(self.status), command, sorted(str(s) for s in allowed)
            )

    def correct(
        self,
        ctx: CommandContext,
        changes: Mapping[str, Any],
        reason: str,
        on: date | datetime,
        *,
        decision: bool = False,
    ) -> None:
        """Records a correction of descriptive fields, with its reason.

        ``decision``: a correction of the decision fields alone (``decision_fields``),
        which any other correction refuses to name.
        """
        if not reason.strip() or invisible(reason.strip()):
            raise ValidationError("reason", "required", "a correction needs a reason")
        if not changes:
            raise ValidationError(
                "changes", "required", "a correction must change at least one field"
            )
        corrected_on = on.date() if isinstance(on, datetime) else on
        if self._began_on is not None:
            require_order(self._began_on, corrected_on, "the record's first date", "corrected_on")
        ctx.happened("corrected_on", corrected_on)
        normalised: dict[str, Any] = {}
        groups: list[tuple[str, ...]] = []  # each named field as recorded (money: two)
        for name, value in changes.items():
            self._decision_field(name, decision)
            normaliser = {**self.correctable, "classification": _classification}.get(name)
            if normaliser is None:
                # The fields this route corrects: the decision's are a validator's, at
                # …/decision-correction (they were listed here as correctable: probe 12).
                named = [*self.correctable, "classification"]
                allowed = ", ".join(sorted(n for n in named if n not in self.decision_fields))
                raise ValidationError(
                    f"changes.{name}",
                    "not-correctable",
                    f"{name!r} cannot be corrected; correctable fields: {allowed}",
                )
            value = _normalise(name, normaliser, value)
            recorded = self.recorded_as.get(name)
            if recorded is None:
                normalised[name] = value
                groups.append((name,))
            else:
                normalised.update(zip(recorded, value, strict=True))
                groups.append(recorded)
        self.check_correction(normalised, corrected_on)
        # Only what changes is recorded: a field named with its current value (or a list
        # of codes in another order) was recorded beside the others as if corrected.
        unchanged = [
            group
            for group in groups
            if all(_same(getattr(self, name, None), normalised[name]) for name in group)
        ]
        if len(unchanged) == len(groups):
            raise ValidationError(
                "changes",
                "no-change",
                "the correction changes nothing: every field named already has that value",
            )
        for group in unchanged:
            for name in group:
                del normalised[name]
        classification = Classification(normalised.get("classification", self.classification))
        self.trigger_event(
            self.Corrected, changes=normalised, reason=reason, **ctx.meta(on, classification)
        )

    def _decision_field(self, name: str, decision: bool) -> None:
        """Refuses a decision field in a plain correction, and any other in a decision's."""
        if name in self.decision_fields and not decision:
            raise ValidationError(
                f"changes.{name}",
                "decision-field",
                f"{name!r} records the decision: a validator corrects it "
                "(POST …/decision-correction)",
            )
        if decision and name not in self.decision_fields:
            allowed = ", ".join(sorted(self.decision_fields))
            raise ValidationError(
                f"changes.{name}",
                "not-correctable",
                f"a decision's correction names only {allowed}; {name!r} is corrected "
                "with POST …/corrections",
            )

    def check_correction(self, changes: Mapping[str, Any], corrected_on: date) -> None:
        """Cross-field rules a correction must keep (dates in order...)."""

    def first_date_before(
        self, field: str, day: date, later: list[tuple[str, date | None]], corrected_on: date
    ) -> None:
        """Refuses a corrected first date (a signing day, a request's) after any ``later``
        step (name, day; None: not taken), the correction being made or the earliest one
        recorded, naming the earliest of them (``changes.<field>``)."""
        first = getattr(self, "_first_corrected_on", None)
        dated = [(name, on) for name, on in later if on is not None]
        dated.append(("corrected_on", corrected_on))
        if first is not None:
            dated.append(("the first corrected_on", first))
        first_name, first_on = min(dated, key=lambda step: step[1])
        if day > first_on:
            raise DomainRuleViolation(
                "dates-in-order",
                f"{field} ({day.isoformat()}) would be after {first_name} ({first_on.isoformat()})",
                f"changes.{field}",
            )


def _classification(value: Any) -> Classification:
    """A corrected classification: one of the three, named like any other vocabulary's."""
    return values.one("classification", Classification, text_value("classification", value))


def _same(current: Any, corrected: Any) -> bool:
    """Whether a corrected value is the field's current one: lists of codes (themes,
    partners, organisations) are sets, so the same codes in another order change nothing."""
    current = _plain(current)
    if isinstance(current, list) and isinstance(corrected, list):
        return sorted(map(repr, current)) == sorted(map(repr, corrected))
    return bool(current == corrected)


def _plain(value: Any) -> Any:
    """A field's current value as a correction gives it: enumerations by their value."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _normalise(name: str, normaliser: Normaliser, value: Any) -> Any:
    try:
        result = normaliser(value)
    except ValidationError as error:
        # ``actual_cost.amount`` stays as named: the part of the value to fix.
        inner = error.field if error.field.startswith((f"{name}.", f"{name}[")) else name
        raise ValidationError(f"changes.{inner}", error.rule, error.detail) from None
    except (ValueError, TypeError) as error:
        raise ValidationError(f"changes.{name}", "invalid", str(error)) from None
    return result.value if isinstance(result, Classification) else result


class FieldChecks:
    """Runs a command's checks of its fields one ``with`` block each, and keeps going
    past a field that breaks its own rule (a ValidationError), so ``done`` names them
    all: a request with a wrong type, country and theme was refused for its type, then
    again for its country, then for its theme. Other errors stop at once.
    """

    def __init__(self) -> None:
        self._broken: list[ValidationError] = []

    def __enter__(self) -> FieldChecks:
        return self

    def __exit__(self, kind: object, error: BaseException | None, trace: object) -> bool:
        if isinstance(error, ValidationError):
            self._broken.append(error)
            return True
        return False

    def done(self) -> None:
        """Raises the one broken field's error, or InvalidFieldsError naming them all."""
        if len(self._broken) == 1:
            raise self._broken[0]
        if self._broken:
            raise InvalidFieldsError(self._broken)


def require_text(field: str, value: str, max_length: int = 500) -> str:
    """A required, trimmed, bounded text field, in composed form (``shared.text.composed``)."""
    text = composed(value.strip())
    if not text or invisible(text):
        raise ValidationError(field, "required", f"{field} must not be empty")
    _refuse_control_characters(field, text)
    if len(text) > max_length:
        raise ValidationError(
            field, "max-length", f"{field} is longer than {max_length} characters"
        )
    return text


def optional_text(field: str, value: str, max_length: int) -> str:
    """A trimmed, bounded text that may be empty (a description, recommendations), composed."""
    text = composed(value.strip())
    _refuse_control_characters(field, text)
    if len(text) > max_length:
        raise ValidationError(
            field, "max-length", f"{field} is longer than {max_length} characters"
        )
    return text


def _refuse_control_characters(field: str, text: str) -> None:
    """Text no store or export can hold, or a pasted slip: refused (``shared.text``)."""
    found = refused_character(text)
    if found is not None:
        rule, where = found
        if rule == CONTROL_RULE:
            detail = (
                f"{field} contains a control character ({where}); only tab, line feed and "
                "carriage return are allowed"
            )
        else:
            detail = f"{field} {NONCHARACTER_MESSAGE.format(where=where)}"
        raise ValidationError(field, rule, detail)
    found_surrogate = lone_surrogate(text)
    if found_surrogate is not None:
        raise ValidationError(
            field,
            SURROGATE_RULE,
            f"{field} holds a lone surrogate ({found_surrogate}), not Unicode text",
        )


def text_value(field: str, value: Any) -> str:
    """``value`` if it is text, else a ValidationError naming the JSON type it is.

    A correction's ``changes`` come as any JSON: ``str()`` of a null, a number or
    an object would have recorded ``"None"``, ``"42"`` or ``"{'a': 1}"`` for ever.
    """
    if not isinstance(value, str):
        raise ValidationError(field, "type", f"{field} must be text, not {json_type(value)}")
    return value


#: The most countries a record names, and the most codes of a closed vocabulary (themes,
#: topics, organisations): what a new record's request may hold, and so a correction too.
MAX_COUNTRIES = 60
MAX_CODES = 20


def list_value(field: str, value: Any, max_items: int) -> list[Any]:
    """``value`` if it is a list of at most ``max_items`` items, else a ValidationError (an
    object would give its keys).

    Counted as given, duplicates included, as a new record's request is counted: a
    correction to 61 countries was taken (or, all one code, called no change) where
    the request was refused for its size.
    """
    if not isinstance(value, list):
        raise ValidationError(field, "type", f"{field} must be a list, not {json_type(value)}")
    if len(value) > max_items:
        raise ValidationError(
            field, "too_long", f"{field} holds at most {max_items} items, not {len(value)}"
        )
    return value


def count_value(field: str, value: Any) -> int:
    """``value`` if it is a JSON whole number, else a ValidationError naming its type
    (``True`` is an ``int`` in Python, and ``"16"`` text)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(
            field, "type", f"{field} must be a whole number, not {json_type(value)}"
        )
    return value


def money_value(field: str, value: Any) -> tuple[Decimal, str]:
    """A corrected amount of money, ``{"amount": "2395.00", "currency": "EUR"}``, as the
    completion and the scheduling take it: the currency's decimals, never a float."""
    example = '{"amount": "1000.00", "currency": "EUR"}'
    if not isinstance(value, dict):
        raise ValidationError(
            field,
            "type",
            f"{field} must be an amount and its currency, {example}, not {json_type(value)}",
        )
    if set(value) != {"amount", "currency"}:
        raise ValidationError(
            field,
            "money",
            f"{field} is an amount and its currency, {example}: "
            f"give exactly these two, not {', '.join(sorted(map(repr, value))) or 'none'}",
        )
    amount = value["amount"]
    if isinstance(amount, str) and not values.AMOUNT_TEXT.fullmatch(amount):
        raise ValidationError(
            f"{field}.amount", "decimal", "write the amount in digits with a decimal point"
        )
    if isinstance(amount, bool) or not isinstance(amount, str | int | Decimal):
        raise ValidationError(f"{field}.amount", "decimal", "amount must be a decimal number")
    return values.money(field, Decimal(amount), text_value(f"{field}.currency", value["currency"]))


def date_value(field: str, value: Any) -> date:
    """A corrected date: text ``YYYY-MM-DD`` (as every command takes dates), a business
    date (1900 to 2199); never a number or another spelling."""
    text = text_value(field, value)
    try:
        if not values.ISO_DAY.fullmatch(text):
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError:
        raise ValidationError(field, "date", f"{field} must be a date, YYYY-MM-DD") from None
    problem = values.business_date_problem(day)
    if problem is not None:
        raise ValidationError(field, "date-range", f"{field} {problem}")
    return day


def require_count(field: str, value: int, low: int, high: int) -> int:
    """A whole number of people or experts within bounds; booleans are refused.

    ``bool`` is an ``int`` in Python, so ``True`` would otherwise pass as 1.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(field, "integer", f"{field} must be a whole number")
    if not low <= value <= high:
        raise ValidationError(field, "range", f"{field} must be between {low} and {high}")
    return value


def require_reachable(
    decided: date, end: date, decided_name: str, end_name: str, then: str
) -> None:
    """Refuses a decision dated after the period it sets has ended.

    The next step (a launch, a hosting) must fall within the period and on or
    after the decision: a mission scheduled on the 16th to end on the 9th was
    accepted, then every launch date was refused, and it stayed counted as a
    scheduled action for ever.
    """
    if end < decided:
        raise DomainRuleViolation(
            "dates-in-order",
            f"{decided_name} ({decided.isoformat()}) is after {end_name} ({end.isoformat()}): "
            f"{then}",
            field=decided_name,
        )


def withdrawal_reason(
    ctx: CommandContext,
    record: Any,
    reason: str,
    withdrawn: str,
    withdrawn_on: date,
    corrected_on: date,
) -> str:
    """The checked reason of a withdrawal (of a step recorded by mistake), dated
    ``corrected_on``: not before the step it withdraws (``withdrawn``, on
    ``withdrawn_on``), nor before the record's last withdrawal, and not after today.

    Withdrawals are dated in the order they are made: a renewal withdrawn as of 2022
    after a suspension of 2023 was withdrawn as of 2024 made the record's history as
    of a business day in between undo the suspension instead (probe 10).
    """
    reason = require_text("reason", reason, 2000)
    require_order(withdrawn_on, corrected_on, withdrawn, "corrected_on")
    last = getattr(record, "_last_withdrawal_on", None)
    if last is not None:
        require_order(last, corrected_on, "the last withdrawal's corrected_on", "corrected_on")
    ctx.happened("corrected_on", corrected_on)
    return reason


def noted_withdrawal(record: Any, event: EntenteAggregate.Event) -> None:
    """Keeps the business day of ``record``'s latest withdrawal (``withdrawal_reason``)."""
    day = event.business_time.date()
    last = getattr(record, "_last_withdrawal_on", None)
    record._last_withdrawal_on = day if last is None or day > last else last


def require_order(first: date, second: date, first_name: str, second_name: str) -> None:
    """Refuses ``second`` before ``first`` (a mission ending before it starts...)."""
    if second < first:
        raise DomainRuleViolation(
            "dates-in-order",
            f"{second_name} ({second.isoformat()}) is before {first_name} ({first.isoformat()})",
            field=second_name,
        )
