"""Small value normalisers shared by aggregates: lists of codes, money, months."""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TypeVar

from shared.domain.reference import country, currency
from shared.errors import ValidationError
from shared.json_types import json_type

E = TypeVar("E", bound=StrEnum)

#: Money amounts are bounded, whatever the currency: a thousand million million
#: units. The bound was a thousand million until 2026-12-06, which refused real
#: budgets in currencies of small units (2,000,000 EUR is about 1,300,000,000 XOF,
#: 2,400,000,000 KRW or 57,000,000,000 VND); without exchange rates no bound can be
#: a typo guard in every currency, so this one only keeps amounts reasonable.
MAX_AMOUNT = Decimal("1000000000000000")


#: The ministry's own country: never a partner, a visitor or a country a mission serves.
FRANCE = "FR"


def countries(
    field: str, codes: Iterable[str], *, required: bool = True, foreign: str | None = None
) -> list[str]:
    """Validated, de-duplicated ISO alpha-2 codes, in the order given.

    ``foreign``: the codes name foreign countries, and this says why France is
    refused (rule ``abroad``, as a post's). France typed as an agreement's partner or
    a mission's country was counted among the partners in every figure by country.
    """
    result: list[str] = []
    for index, code in enumerate(codes):
        _text_item(field, index, code)
        country(code, f"{field}[{index}]")
        if foreign is not None and code == FRANCE:
            raise ValidationError(f"{field}[{index}]", "abroad", foreign)
        if code not in result:
            result.append(code)
    if required and not result:
        raise ValidationError(field, "required", f"{field} needs at least one country")
    return result


def _text_item(field: str, index: int, value: object) -> None:
    """A list's item is a code, so text: ``[1]`` was refused with Python's own words."""
    if type(value) is not str:
        where = f"{field}[{index}]"
        raise ValidationError(where, "type", f"{where} must be text, not {json_type(value)}")


def terms(
    field: str, vocabulary: type[E], values: Iterable[str], *, required: bool = True
) -> list[str]:
    """Validated, de-duplicated codes of a closed vocabulary."""
    result: list[str] = []
    for index, value in enumerate(values):
        _text_item(field, index, value)
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


#: An amount written as text: ASCII digits, an optional sign and decimal point, as the
#: OpenAPI document's pattern states (commands and corrections alike). Python's
#: ``Decimal`` also reads "1_000", "1e3", " 5" and other scripts' digits ("١٢"), none
#: of which a desk officer means.
AMOUNT_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def money(field: str, amount: Decimal, code: str) -> tuple[Decimal, str]:
    """A non-negative Decimal amount in its ISO 4217 currency, with that currency's decimals.

    ISO 4217 gives each currency's minor unit: an amount has at most that many
    decimals and is recorded with exactly that many, so in EUR ``1E+3``, ``1000``
    and ``1000.0`` are all recorded (and shown, and exported) as ``1000.00``; in
    XOF or JPY (no minor unit) as ``1000``; in TND (millimes) as ``1000.000``.
    Until 2026-12-06 every currency had two decimals: ``10.50 JPY`` was accepted,
    a dinar's third decimal refused.
    """
    decimals = currency(code, f"{field}.currency").minor_unit
    try:
        given = Decimal(amount)
    except (InvalidOperation, TypeError):
        raise ValidationError(
            f"{field}.amount", "decimal", "amount must be a decimal number"
        ) from None
    if not given.is_finite() or given < 0 or given > MAX_AMOUNT:
        raise ValidationError(
            f"{field}.amount", "range", f"amount must be between 0 and {MAX_AMOUNT:,}"
        )
    unit = Decimal(1).scaleb(-decimals)
    if given != given.quantize(unit):
        raise ValidationError(f"{field}.amount", "scale", _too_precise(code, decimals))
    return given.quantize(unit) + 0, code  # + 0: "-0" is recorded as 0.00, not -0.00


def _too_precise(code: str, decimals: int) -> str:
    if decimals == 0:
        return f"an amount in {code} is a whole number: {code} has no minor unit (ISO 4217)"
    return f"an amount in {code} has at most {decimals} decimals (ISO 4217)"


def add_months(start: date, months: int) -> date:
    """``start`` plus whole months, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


#: The business dates Entente records: the annual report's years (1900 to 2199).
#: Beyond them a date is a slip ("9024" for "2024"), and a term computed from one
#: (an agreement's expiry) could pass year 9999, which no date can hold: such an
#: event was recorded, then every read of its record and both projections failed.
#: A calendar date as ISO 8601 writes it (``YYYY-MM-DD``, ASCII digits), and nothing more:
#: how commands (``shared.http.iso``) and corrections take a day.
ISO_DAY = re.compile(r"\d{4}-\d\d-\d\d", re.ASCII)
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
