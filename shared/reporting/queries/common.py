"""What every reporting query shares: checked filters, and the envelope of an answer.

Filters are checked against the vocabularies, not just passed to SQL: a theme
misspelt would otherwise answer "zero", which a reporting officer would take
for a fact. Every answer carries its counting rule and, per directorate, the
log position and recorded time it reflects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date
from typing import Any

from shared.domain.reference import country as iso_country
from shared.domain.vocabulary import MissionType, Theme
from shared.errors import ValidationError
from shared.reporting.rules import RULES
from shared.reporting.store import ReportingSession
from shared.reporting.tracking import as_of

RESTRICTED = "restricted"


@dataclass(frozen=True)
class Filters:
    """The filters of the figures, the matrix, agreements and overlaps (None: all)."""

    country: str | None = None
    directorate: str | None = None
    year: int | None = None
    mission_type: str | None = None
    theme: str | None = None
    #: The directorates served, set by ``checked``: the rows a query may count.
    served: tuple[str, ...] = field(default=(), compare=False)

    def checked(self, tenants: Sequence[str]) -> Filters:
        """These filters, scoped to the served ``tenants``, or a ValidationError
        naming the first bad one."""
        if self.country is not None:
            # A code of no country ("UK" for GB, "EU") would answer a published zero.
            iso_country(self.country, "country")
        if self.directorate is not None and self.directorate not in tenants:
            known = ", ".join(tenants)
            raise ValidationError("directorate", "vocabulary", f"directorate is one of {known}")
        if self.year is not None and not 1900 <= self.year <= 2200:
            raise ValidationError("year", "range", "year must be 1900 to 2200")
        _vocabulary("type", self.mission_type, MissionType)
        _vocabulary("theme", self.theme, Theme)
        return replace(self, served=tuple(tenants))

    @property
    def directorates(self) -> tuple[str, ...]:
        """The directorates whose rows are counted: the one filtered on, else every one
        served. A directorate dropped from ``ENTENTE_TENANTS`` keeps its rows in the
        reporting area until a rebuild; counting them made totals that a rebuild would
        change and that no ``directorate`` filter (refused for it) could add up to.
        Empty until ``checked``: unchecked filters count nothing."""
        return (self.directorate,) if self.directorate is not None else self.served

    def as_dict(self) -> dict[str, Any]:
        """The filters chosen (the served directorates are not a filter)."""
        chosen = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "served"}
        return {name: value for name, value in chosen.items() if value is not None}


def _vocabulary(field: str, value: str | None, terms: type[MissionType] | type[Theme]) -> None:
    if value is not None and value not in {term.value for term in terms}:
        raise ValidationError(field, "vocabulary", f"{value!r} is not a known {field} code")


def year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def answer(
    session: ReportingSession, tenants: Sequence[str], rule: str, **body: Any
) -> dict[str, Any]:
    """An answer: its body, its counting rule, and per directorate the position it reflects."""
    reflected = as_of(session, tenants)
    return {
        **body,
        "counting_rule": RULES[rule],
        "positions": {tenant: found["position"] for tenant, found in reflected.items()},
        "as_of": reflected,
    }


def money(totals: dict[str, Any]) -> dict[str, str]:
    """Per-currency sums as strings (exact), sorted by currency."""
    return {currency: str(amount) for currency, amount in sorted(totals.items())}
