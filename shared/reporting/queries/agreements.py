"""Agreements in force by country, on a date (31 December of a year, or today).

"In force" is decided from the status history, as the annual report decides
it: the latest status change on or before the date is ``in-force`` and the
expiry then in effect is not before the date. An agreement with several
partner countries counts for each country, and once in the totals.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import RowMapping, select

from shared.errors import ValidationError
from shared.reporting.queries.common import RESTRICTED, Filters, answer
from shared.reporting.store import ReportingSession, ReportingStore


def reference_date(on: date | None, year: int | None, today: date) -> date:
    """The date a question about "in force" is asked for."""
    if on is not None and year is not None:
        raise ValidationError("on", "exclusive", "give a date (on) or a year, not both")
    if year is not None:
        return date(year, 12, 31)
    return on or today


def in_force(session: ReportingSession, on: date) -> list[RowMapping]:
    """The agreements in force on ``on``, of every directorate."""
    a, t = session.tables.agreements, session.tables.agreement_terms
    terms = session.connection.execute(select(t).where(t.c.effective_on <= on)).mappings()
    latest: dict[tuple[str, str], RowMapping] = {}
    for term in sorted(terms, key=lambda r: (r["effective_on"], r["version"])):
        latest[term["tenant"], term["agreement_id"]] = term
    rows = session.connection.execute(select(a).where(a.c.signed_on <= on)).mappings()
    return [
        row
        for row in rows
        if (found := latest.get((row["tenant"], row["id"]))) is not None
        and found["status"] == "in-force"
        and (found["expires_on"] is None or found["expires_on"] >= on)
    ]


@dataclass(frozen=True)
class AgreementFilters:
    """Agreements are filtered by country, directorate and theme (not type or year)."""

    country: str | None
    directorate: str | None
    theme: str | None

    def keeps(self, row: RowMapping) -> bool:
        return (
            (self.directorate is None or row["tenant"] == self.directorate)
            and (self.country is None or self.country in row["partner_countries"])
            and (self.theme is None or self.theme in row["themes"])
        )


def agreements_in_force(
    store: ReportingStore, tenants: Sequence[str], filters: Filters, on: date
) -> dict[str, Any]:
    """Per partner country: how many agreements are in force, by directorate and kind."""
    filters = filters.checked(tenants)
    kept = AgreementFilters(filters.country, filters.directorate, filters.theme)
    with store.read() as session:
        rows = [row for row in in_force(session, on) if kept.keeps(row)]
        by_country: defaultdict[str, list[RowMapping]] = defaultdict(list)
        for row in rows:
            for country in dict.fromkeys(row["partner_countries"]):
                if filters.country is None or country == filters.country:
                    by_country[country].append(row)
        shown = {k: v for k, v in filters.as_dict().items() if k != "year"}
        return answer(
            session,
            tenants,
            "agreements",
            on=on.isoformat(),
            filters=shown,
            countries=[
                {"country": country, **_counts(found)}
                for country, found in sorted(by_country.items())
            ],
            totals=_counts(rows),
        )


def _counts(rows: Sequence[RowMapping]) -> dict[str, Any]:
    return {
        "in_force": len(rows),
        "restricted": sum(row["classification"] == RESTRICTED for row in rows),
        "by_directorate": dict(sorted(Counter(row["tenant"] for row in rows).items())),
        "by_kind": dict(sorted(Counter(row["kind"] for row in rows).items())),
    }
