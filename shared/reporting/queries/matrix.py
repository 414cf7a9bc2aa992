"""The matrix: who works with which country on which theme.

One row per directorate × country × theme where the directorate has counted
actions (as in the figures) or agreements in force (on the reference date)
with that country on that theme. Flat rows, so the matrix exports as it is;
a spreadsheet's pivot table turns it into the grid.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from shared.reporting.queries.agreements import AgreementFilters, in_force
from shared.reporting.queries.common import RESTRICTED, Filters, answer
from shared.reporting.queries.figures import coordinates, counted_actions
from shared.reporting.store import ReportingStore

Cell = tuple[str, str, str]  # directorate, country, theme
COUNTS = ("actions", "restricted_actions", "agreements_in_force", "restricted_agreements")


def matrix(
    store: ReportingStore, tenants: Sequence[str], filters: Filters, on: date
) -> dict[str, Any]:
    """The rows, with the actions' year (if any) and the agreements' reference date."""
    filters = filters.checked(tenants)
    cells: defaultdict[Cell, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    with store.read() as session:
        for row in counted_actions(session, filters):
            values = coordinates(row, filters)
            restricted = row["classification"] == RESTRICTED
            for country in values["country"]:
                for theme in values["theme"]:
                    counts = cells[row["tenant"], country, theme]
                    counts["actions"] += 1
                    counts["restricted_actions"] += restricted
        typed = filters.mission_type is not None
        if not typed:
            _add_agreements(cells, in_force(session, on), filters)
        return answer(
            session,
            tenants,
            "matrix",
            filters=filters.as_dict(),
            # A type narrows to actions: agreements have none, so they are not counted
            # (null), rather than answered with a zero a reader would take for a fact.
            agreements_on=None if typed else on.isoformat(),
            rows=[
                {"directorate": d, "country": c, "theme": t, **counts, **_uncounted(typed)}
                for (d, c, t), counts in sorted(cells.items(), key=lambda item: _order(item[0]))
            ],
        )


def _uncounted(typed: bool) -> dict[str, None]:
    """The agreement counts of a typed matrix's row: null, not 0."""
    return dict.fromkeys(("agreements_in_force", "restricted_agreements")) if typed else {}


def _add_agreements(
    cells: defaultdict[Cell, dict[str, int]], rows: Sequence[Any], filters: Filters
) -> None:
    kept = AgreementFilters(filters.country, filters.directorates, filters.theme)
    for row in rows:
        if not kept.keeps(row):
            continue
        countries = (
            [filters.country] if filters.country else dict.fromkeys(row["partner_countries"])
        )
        themes = [filters.theme] if filters.theme else dict.fromkeys(row["themes"])
        for country in countries:
            for theme in themes:
                counts = cells[row["tenant"], country, theme]
                counts["agreements_in_force"] += 1
                counts["restricted_agreements"] += row["classification"] == RESTRICTED


def _order(cell: Cell) -> tuple[str, str, str]:
    """Country first: the matrix is read country by country."""
    directorate, country, theme = cell
    return country, theme, directorate
