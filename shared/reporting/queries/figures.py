"""Figures: counted actions and their budgets, by country × directorate × year × type × theme.

The filters narrow the actions in SQL; the cells are then formed in Python
from each action's countries and themes, because an action with two countries
counts in both country cells while the totals count it once — a ``GROUP BY``
over a join would count it twice in the totals. ``group_by`` picks the
dimensions of the cells (all five by default; none gives the totals alone).
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import RowMapping, Select, and_, exists, select

from shared.errors import ValidationError
from shared.reporting.queries.common import RESTRICTED, Filters, answer, money, year_bounds
from shared.reporting.store import ReportingSession, ReportingStore
from shared.views.queries.report import COUNTED_STATUSES

DIMENSIONS = ("country", "directorate", "year", "mission_type", "theme")


@dataclass
class Tally:
    """Actions, restricted actions and money of one cell (or of the totals).

    A restricted action is counted, and its money left out: filters narrow a cell
    to one action (a country, theme, type and year), and its budget summed there
    was that restricted mission's budget.
    """

    actions: int = 0
    restricted: int = 0
    budget: defaultdict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    actual_cost: defaultdict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))

    def add(self, row: RowMapping) -> None:
        self.actions += 1
        if row["classification"] == RESTRICTED:
            self.restricted += 1
            return
        if row["budget_amount"] is not None:
            self.budget[row["budget_currency"]] += row["budget_amount"]
        if row["actual_cost_amount"] is not None:
            self.actual_cost[row["actual_cost_currency"]] += row["actual_cost_amount"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "actions": self.actions,
            "restricted": self.restricted,
            "budget": money(self.budget),
            "actual_cost": money(self.actual_cost),
        }


def check_group_by(group_by: Iterable[str]) -> tuple[str, ...]:
    """The dimensions in their canonical order; a ValidationError for an unknown one."""
    wanted = set(group_by)
    unknown = wanted - set(DIMENSIONS)
    if unknown:
        raise ValidationError(
            "group_by",
            "vocabulary",
            f"group_by takes {', '.join(DIMENSIONS)}; not {sorted(unknown)}",
        )
    return tuple(name for name in DIMENSIONS if name in wanted)


def figures(
    store: ReportingStore,
    tenants: Sequence[str],
    filters: Filters,
    group_by: Iterable[str] = DIMENSIONS,
) -> dict[str, Any]:
    """The cells, the totals, the rule and the positions, in one snapshot."""
    filters = filters.checked(tenants)
    dimensions = check_group_by(group_by)
    with store.read() as session:
        rows = counted_actions(session, filters)
        body = _tally(rows, filters, dimensions)
        return answer(
            session,
            tenants,
            "figures",
            filters=filters.as_dict(),
            group_by=list(dimensions),
            **body,
        )


def counted_actions(session: ReportingSession, filters: Filters) -> list[RowMapping]:
    """The actions the filters select: counted statuses, dated, narrowed in SQL."""
    m = session.tables.missions
    statement: Select[Any] = select(m).where(
        m.c.status.in_(COUNTED_STATUSES), m.c.start_date.is_not(None)
    )
    if filters.year is not None:
        statement = statement.where(m.c.start_date.between(*year_bounds(filters.year)))
    statement = statement.where(m.c.tenant.in_(filters.directorates))
    if filters.mission_type is not None:
        statement = statement.where(m.c.mission_type == filters.mission_type)
    for codes, column, value in (
        (session.tables.mission_countries, "country", filters.country),
        (session.tables.mission_themes, "theme", filters.theme),
    ):
        if value is not None:
            owned = and_(codes.c.tenant == m.c.tenant, codes.c.mission_id == m.c.id)
            statement = statement.where(exists().where(owned, codes.c[column] == value))
    ordered = statement.order_by(m.c.tenant, m.c.start_date, m.c.id)
    return list(session.connection.execute(ordered).mappings())


def coordinates(row: RowMapping, filters: Filters) -> dict[str, list[Any]]:
    """The values an action takes on each dimension (several countries: several cells).

    A country or theme filter keeps only that value, so a two-country action
    filtered on one country does not show up in the other's cell.
    """
    countries = [filters.country] if filters.country else list(dict.fromkeys(row["countries"]))
    themes = [filters.theme] if filters.theme else list(dict.fromkeys(row["themes"]))
    return {
        "country": countries,
        "directorate": [row["tenant"]],
        "year": [row["start_date"].year],
        "mission_type": [row["mission_type"]],
        "theme": themes,
    }


def _tally(
    rows: Sequence[RowMapping], filters: Filters, dimensions: tuple[str, ...]
) -> dict[str, Any]:
    cells: defaultdict[tuple[Any, ...], Tally] = defaultdict(Tally)
    totals = Tally()
    by_directorate: Counter[str] = Counter()
    for row in rows:
        totals.add(row)
        by_directorate[row["tenant"]] += 1
        values = coordinates(row, filters)
        for cell in itertools.product(*(values[name] for name in dimensions)):
            cells[cell].add(row)
    return {
        "cells": [
            {**dict(zip(dimensions, cell, strict=True)), **tally.as_dict()}
            for cell, tally in sorted(cells.items(), key=lambda item: _sort_key(item[0]))
        ],
        "totals": {**totals.as_dict(), "by_directorate": dict(sorted(by_directorate.items()))},
    }


def _sort_key(cell: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple(str(value) for value in cell)
