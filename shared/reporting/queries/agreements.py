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
    if on is not None and not 1900 <= on.year <= 2200:  # as ``year``, and business dates
        raise ValidationError("on", "range", "on must be a date of 1900 to 2200")
    if year is not None:
        return date(year, 12, 31)
    return on or today


def in_force(session: ReportingSession, on: date) -> list[RowMapping]:
    """The agreements in force on ``on``, of every directorate.

    A restricted agreement counts when it was in force on any day of ``on``'s
    year: counted on each day, it appeared between the eve of its signature and
    the day itself (and went between its last day and the next), so asking day
    after day found its dates, which are never detailed. By year, it says no
    more than the figures' ``year`` does.
    """
    a, t = session.tables.agreements, session.tables.agreement_terms
    year_end = date(on.year, 12, 31)
    terms = session.connection.execute(select(t).where(t.c.effective_on <= year_end)).mappings()
    histories: defaultdict[tuple[str, str], list[RowMapping]] = defaultdict(list)
    for term in sorted(terms, key=lambda r: (r["effective_on"], r["version"])):
        histories[term["tenant"], term["agreement_id"]].append(term)
    rows = session.connection.execute(select(a).where(a.c.signed_on <= year_end)).mappings()
    found = []
    for row in rows:
        history = histories.get((row["tenant"], row["id"]), [])
        if row["classification"] == RESTRICTED:
            days = _turning_days(row, history, date(on.year, 1, 1), year_end)
            kept = any(_in_force_on(row, history, day) for day in days)
        else:
            kept = _in_force_on(row, history, on)
        if kept:
            found.append(row)
    return found


def _in_force_on(row: RowMapping, history: Sequence[RowMapping], day: date) -> bool:
    """Signed by ``day``, and the latest status change by then is in force, not expired."""
    if row["signed_on"] > day:
        return False
    latest = None
    for term in history:  # in (effective_on, version) order
        if term["effective_on"] > day:
            break
        latest = term
    return (
        latest is not None
        and latest["status"] == "in-force"
        and (latest["expires_on"] is None or latest["expires_on"] >= day)
    )


def _turning_days(
    row: RowMapping, history: Sequence[RowMapping], first: date, last: date
) -> set[date]:
    """The days of ``first``..``last`` on which the agreement can come into force.

    Only its signature and its status changes bring it into force (an expiry
    only ends it), so if it was in force on some day of the period it was on
    the first day or on one of these.
    """
    days = {first}
    days.update(term["effective_on"] for term in history if first <= term["effective_on"] <= last)
    if first <= row["signed_on"] <= last:
        days.add(row["signed_on"])
    return days


@dataclass(frozen=True)
class AgreementFilters:
    """Agreements are filtered by country, directorates and theme (not type or year)."""

    country: str | None
    directorates: tuple[str, ...]
    theme: str | None

    def keeps(self, row: RowMapping) -> bool:
        return (
            row["tenant"] in self.directorates
            and (self.country is None or self.country in row["partner_countries"])
            and (self.theme is None or self.theme in row["themes"])
        )


def agreements_in_force(
    store: ReportingStore, tenants: Sequence[str], filters: Filters, on: date
) -> dict[str, Any]:
    """Per partner country: how many agreements are in force, by directorate and kind."""
    filters = filters.checked(tenants)
    kept = AgreementFilters(filters.country, filters.directorates, filters.theme)
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
