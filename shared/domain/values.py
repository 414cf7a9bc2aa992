"""Small value normalisers shared by aggregates: lists of codes, money, months."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TypeVar

from shared.domain.reference import country, currency
from shared.errors import ValidationError

E = TypeVar("E", bound=StrEnum)

#: Money amounts are bounded so a typo of six zeros is caught before it is a fact.
MAX_AMOUNT = Decimal("1000000000")
CENTS = Decimal("0.01")


def countries(field: str, codes: Iterable[str], *, required: bool = True) -> list[str]:
    """Validated, de-duplicated ISO alpha-2 codes, in the order given."""
    result: list[str] = []
    for index, code in enumerate(codes):
        country(code, f"{field}[{index}]")
        if code not in result:
            result.append(code)
    if required and not result:
        raise ValidationError(field, "required", f"{field} needs at least one country")
    return result


def terms(
    field: str, vocabulary: type[E], values: Iterable[str], *, required: bool = True
) -> list[str]:
    """Validated, de-duplicated codes of a closed vocabulary."""
    result: list[str] = []
    for index, value in enumerate(values):
        one(f"{field}[{index}]", vocabulary, value)
        if value not in result:
            result.append(value)
    if required and not result:
        raise ValidationError(field, "required", f"{field} needs at least one value")
    return result


def one(field: str, vocabulary: type[E], value: str) -> E:
    """One code of a closed vocabulary, or a ValidationError listing the allowed codes."""
    try:
        return vocabulary(value)
    except ValueError:
        allowed = ", ".join(member.value for member in vocabulary)
        raise ValidationError(field, "vocabulary", f"{value!r} is not one of: {allowed}") from None


def money(field: str, amount: Decimal, code: str) -> tuple[Decimal, str]:
    """A non-negative Decimal amount with at most 2 decimals, and its ISO 4217 currency.

    The amount is recorded with exactly two decimals, so ``1E+3``, ``1000`` and
    ``1000.0`` are all recorded (and shown, and exported) as ``1000.00``.
    """
    currency(code, f"{field}.currency")
    try:
        quantised = Decimal(amount)
    except (InvalidOperation, TypeError):
        raise ValidationError(
            f"{field}.amount", "decimal", "amount must be a decimal number"
        ) from None
    if not quantised.is_finite() or quantised < 0 or quantised > MAX_AMOUNT:
        raise ValidationError(
            f"{field}.amount", "range", f"amount must be between 0 and {MAX_AMOUNT}"
        )
    if quantised != quantised.quantize(CENTS):
        raise ValidationError(f"{field}.amount", "scale", "amount has more than 2 decimals")
    return quantised.quantize(CENTS) + 0, code  # + 0: "-0" is recorded as 0.00, not -0.00


def add_months(start: date, months: int) -> date:
    """``start`` plus whole months, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


#: The business dates Entente records: the annual report's years (1900 to 2199).
#: Beyond them a date is a slip ("9024" for "2024"), and a term computed from one
#: (an agreement's expiry) could pass year 9999, which no date can hold: such an
#: event was recorded, then every read of its record and both projections failed.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2199, 12, 31)


def business_date_problem(value: date) -> str | None:
    """Why ``value`` cannot be a business date, or None when it can."""
    if EARLIEST_DATE <= value <= LATEST_DATE:
        return None
    return f"must be between {EARLIEST_DATE.isoformat()} and {LATEST_DATE.isoformat()}"


def term_end(field: str, start: date, months: int) -> date:
    """``add_months``, refused with a 422 on ``field`` when the end cannot be a date."""
    try:
        return add_months(start, months)
    except (ValueError, OverflowError):
        raise ValidationError(
            field, "range", f"the term would end after {date.max.isoformat()}"
        ) from None
