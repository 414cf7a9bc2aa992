"""Reference data from well-kept sources: ISO 3166 countries, ISO 4217 currencies.

pycountry ships the ISO tables and their French translations (from Debian's
iso-codes), so labels are never typed by hand here.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from functools import cache

import pycountry

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
    """An ISO 4217 currency."""

    code: str
    name: str


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
    """The ISO 4217 currency ``code``; raises ``ValidationError`` otherwise."""
    found = pycountry.currencies.get(alpha_3=code) if len(code) == 3 and code.isupper() else None
    if found is None:
        raise ValidationError(
            field, "unknown-currency", f"{code!r} is not an ISO 4217 currency code"
        )
    if code in NOT_MONEY:
        raise ValidationError(
            field, "not-money", f"{code!r} ({found.name}) is an ISO 4217 code but no currency"
        )
    return Currency(code, str(found.name))


#: ISO 4217 codes that name no money a budget is counted in: "no currency", the
#: testing code, precious metals and bond-market units (XAF, XOF, XPF, XCD are currencies).
NOT_MONEY = frozenset({"XXX", "XTS", "XAU", "XAG", "XPD", "XPT", "XBA", "XBB", "XBC", "XBD"})


def all_countries() -> list[Country]:
    """Every ISO 3166-1 country, for the reference endpoints."""
    return [country(str(c.alpha_2)) for c in pycountry.countries]
