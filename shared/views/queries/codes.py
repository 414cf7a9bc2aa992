"""Filters on the lists of codes a view keeps in a JSON column (themes, organisations).

The codes come from closed vocabularies (no quote in any), and the column holds
the list as JSON text on SQLite and PostgreSQL alike: a code is in the list when
its quoted form is in that text. No code table is needed, so views projected
before these filters existed answer them without a rebuild.
"""

from __future__ import annotations

from sqlalchemy import Column, ColumnElement, Text, cast


def holds(column: Column[object], code: str) -> ColumnElement[bool]:
    """``column`` (a JSON list of codes) holds ``code``, already validated."""
    return cast(column, Text).contains(f'"{code}"', autoescape=True)
