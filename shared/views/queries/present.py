"""Rows as JSON-ready dicts: dates ISO 8601, amounts strings with their currency."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import RowMapping

from shared.events.envelope import to_json

#: A row to present: a result row, or a page's item (a plain mapping of its columns).
Row = Mapping[str, Any] | RowMapping

#: Columns shown as one ``{"amount", "currency"}`` object, never a bare number.
_MONEY = ("funding", "budget", "actual_cost")


def plain(row: Row) -> dict[str, Any]:
    """Every column, JSON-ready; ``x_amount`` + ``x_currency`` become ``x``."""
    return with_money({name: to_json(value) for name, value in row.items()})


def with_money(fields: dict[str, Any]) -> dict[str, Any]:
    """``fields`` (JSON-ready) with each ``x_amount`` + ``x_currency`` as one ``x``:
    ``{"amount", "currency"}``, or null when there is none.

    Why one place: commands take a budget as that object, the lists showed it so,
    and a record read (and the audit's state of a record) showed ``budget_amount``
    and ``budget_currency`` apart: three shapes of one amount for one client.
    """
    for prefix in _MONEY:
        if f"{prefix}_amount" in fields:
            amount = fields.pop(f"{prefix}_amount")
            currency = fields.pop(f"{prefix}_currency")
            fields[prefix] = None if amount is None else {"amount": amount, "currency": currency}
    return fields


def agreement_status(row: Row, today: date) -> str:
    """The status to show: ``expired`` is derived from the expiry, never recorded."""
    expires_on = row["expires_on"]
    if row["status"] != "terminated" and expires_on is not None and expires_on < today:
        return "expired"
    return str(row["status"])


def agreement(row: Row, today: date) -> dict[str, Any]:
    return {**plain(row), "status": agreement_status(row, today), "recorded_status": row["status"]}
