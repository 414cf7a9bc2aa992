"""Answers as sheets: the flat table a CSV or XLSX export is made of.

Each answer becomes columns and rows (amounts stay ``Decimal``, one column per
currency, never converted), plus what the JSON answer says around the rows:
the counting rule, the filters and, per directorate, the position reflected.
``exports.py`` renders a sheet; this module only decides its shape.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from shared.reporting.queries.matrix import COUNTS


@dataclass(frozen=True)
class Sheet:
    """A table and its context."""

    name: str
    columns: list[str]
    rows: list[list[Any]]
    counting_rule: dict[str, str]
    as_of: dict[str, dict[str, Any]]
    filters: dict[str, Any]
    #: The answer's ``totals``, flattened (``totals.budget.EUR``): rows of cells add up to
    #: more than them (an action with two countries is in both rows), so they are given.
    totals: dict[str, str] = field(default_factory=dict)

    @property
    def filename_stem(self) -> str:
        """``entente-figures-year-2019-country-VN``: what was asked, in the file's name."""
        parts = [f"{key}-{value}" for key, value in sorted(self.filters.items())]
        return "-".join(["entente", self.name, *parts]).replace("/", "-")

    def about(self) -> list[tuple[str, str]]:
        """The context as (label, value) lines: rule, filters, positions per directorate."""
        lines = [(f"counting_rule.{lang}", text) for lang, text in self.counting_rule.items()]
        lines += [(f"filter.{key}", str(value)) for key, value in sorted(self.filters.items())]
        for tenant, found in self.as_of.items():
            lines.append((f"position.{tenant}", str(found["position"])))
            lines.append((f"recorded_at.{tenant}", str(found["recorded_at"] or "")))
        lines += sorted(self.totals.items())
        return lines


def _sheet(
    name: str, answer: Mapping[str, Any], columns: list[str], rows: list[list[Any]]
) -> Sheet:
    filters = dict(answer.get("filters", {}))
    for extra in ("on", "agreements_on"):  # the reference date of agreements in force
        if extra in answer:
            filters["on"] = answer[extra]
    if "group_by" in answer:  # two groupings of one question are two files
        filters["group_by"] = "+".join(answer["group_by"]) or "none"
    totals = dict(_flat("totals", answer.get("totals", {})))
    return Sheet(name, columns, rows, answer["counting_rule"], answer["as_of"], filters, totals)


def _flat(prefix: str, value: Any) -> Iterable[tuple[str, str]]:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            yield from _flat(f"{prefix}.{key}", inner)
    else:
        yield prefix, str(value)


def _currencies(items: Iterable[Mapping[str, Any]], field: str) -> list[str]:
    return sorted({currency for item in items for currency in item[field]})


def figures_sheet(answer: Mapping[str, Any]) -> Sheet:
    cells = answer["cells"]
    dimensions = list(answer["group_by"])
    budget, actual = _currencies(cells, "budget"), _currencies(cells, "actual_cost")
    columns = [*dimensions, "actions", "restricted"]
    columns += [f"budget_{c}" for c in budget] + [f"actual_cost_{c}" for c in actual]
    rows = [
        [cell[d] for d in dimensions]
        + [cell["actions"], cell["restricted"]]
        + [_amount(cell["budget"].get(c)) for c in budget]
        + [_amount(cell["actual_cost"].get(c)) for c in actual]
        for cell in cells
    ]
    return _sheet("figures", answer, columns, rows)


def matrix_sheet(answer: Mapping[str, Any]) -> Sheet:
    columns = ["directorate", "country", "theme", *COUNTS]
    return _sheet("matrix", answer, columns, [[row[c] for c in columns] for row in answer["rows"]])


def agreements_sheet(answer: Mapping[str, Any]) -> Sheet:
    countries = answer["countries"]
    tenants = sorted({t for item in countries for t in item["by_directorate"]})
    kinds = sorted({k for item in countries for k in item["by_kind"]})
    columns = ["country", "in_force", "restricted"]
    columns += [f"by_directorate.{t}" for t in tenants] + [f"by_kind.{k}" for k in kinds]
    rows = [
        [item["country"], item["in_force"], item["restricted"]]
        + [item["by_directorate"].get(t, 0) for t in tenants]
        + [item["by_kind"].get(k, 0) for k in kinds]
        for item in countries
    ]
    return _sheet("agreements-in-force", answer, columns, rows)


MISSION_FIELDS = (
    "directorate",
    "restricted",
    "mission_id",
    "title",
    "mission_type",
    "status",
    "place",
    "start_date",
    "end_date",
)


def _period_cells(period: Mapping[str, str] | None) -> list[str | None]:
    """The period's start and end, or two empty cells (a restricted mission's pair)."""
    return [None, None] if period is None else [period["start"], period["end"]]


def overlaps_sheet(answer: Mapping[str, Any]) -> Sheet:
    columns = ["pair", "country", "theme", "period_start", "period_end", "detected_at"]
    columns += [f"{side}_{name}" for side in ("first", "second") for name in MISSION_FIELDS]
    rows = [
        [item["pair"], item["country"], item["theme"], *_period_cells(item["period"])]
        + [item["detected_at"]]
        + [mission.get(name) for mission in item["missions"] for name in MISSION_FIELDS]
        for item in answer["items"]
    ]
    return _sheet("overlaps", answer, columns, rows)


def _amount(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)
