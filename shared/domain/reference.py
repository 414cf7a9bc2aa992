"""Reference data from well-kept sources: ISO 3166 countries, ISO 4217 currencies.

pycountry ships the ISO tables and their French translations (from Debian's
iso-codes), so labels are never typed by hand here; the ``iso4217`` package ships
the ISO 4217 table itself, with each currency's minor unit (how many decimals an
amount in it has: 2 for EUR, 0 for XOF or JPY, 3 for TND), which iso-codes lacks.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from functools import cache

import pycountry
from iso4217 import Currency as IsoCurrency

from shared.errors import ValidationError


@dataclass(frozen=True)
class Country:
    """An ISO 3166-1 country, named in both working languages."""

    code: str
    alpha3: str
    name_en: str
    name_fr: str


@dataclass(frozen=True)
class Currency:
    """An ISO 4217 currency that money is counted in."""

    code: str
    name: str
    #: Decimals of an amount: ISO 4217's minor unit (EUR 2, XOF 0, TND 3).
    minor_unit: int


@cache
def _french() -> gettext.NullTranslations:
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"], fallback=True)


@cache
def country(code: str, field: str = "country") -> Country:
    """The country whose ISO 3166-1 alpha-2 code is ``code``.

    Raises ``ValidationError`` naming ``field`` for anything else: alpha-3 codes
    and names are refused so that one country has exactly one spelling in events.
    """
    if len(code) != 2 or not code.isalpha() or not code.isupper():
        raise ValidationError(
            field, "iso-3166-alpha-2", f"{code!r} is not an ISO 3166-1 alpha-2 country code"
        )
    found = pycountry.countries.get(alpha_2=code)
    if found is None:
        raise ValidationError(field, "unknown-country", f"{code!r} is not an ISO 3166-1 country")
    name_en = str(getattr(found, "common_name", None) or found.name)
    return Country(code, str(found.alpha_3), name_en, _french().gettext(str(found.name)))


@cache
def currency(code: str, field: str = "currency") -> Currency:
    """The ISO 4217 currency ``code``; raises ``ValidationError`` otherwise.

    A code ISO 4217 gives no minor unit is refused as no money (rule ``not-money``):
    "no currency" (XXX), the testing code, precious metals, bond-market units and
    units of account (XDR…). A budget is counted in a currency.
    """
    found = pycountry.currencies.get(alpha_3=code) if len(code) == 3 and code.isupper() else None
    table = _iso_table().get(code)
    if found is None or table is None:
        raise ValidationError(
            field, "unknown-currency", f"{code!r} is not an ISO 4217 currency code"
        )
    if table.exponent is None:
        raise ValidationError(
            field, "not-money", f"{code!r} ({found.name}) is an ISO 4217 code but no currency"
        )
    return Currency(code, str(found.name), table.exponent)


@cache
def _iso_table() -> dict[str, IsoCurrency]:
    return {member.code: member for member in IsoCurrency}


def minor_unit(code: str) -> int | None:
    """The decimals of an amount in ``code``, or None when ISO 4217 gives none (or no code).

    For reading recorded events: a code ISO 4217 has since withdrawn must not
    stop a view, so this never raises.
    """
    found = _iso_table().get(code)
    return None if found is None else found.exponent


def all_countries() -> list[Country]:
    """Every ISO 3166-1 country, for the reference endpoints."""
    return [country(str(c.alpha_2)) for c in pycountry.countries]
