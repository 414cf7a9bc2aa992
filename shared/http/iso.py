"""Dates and instants come in as ISO 8601 text, never as numbers.

pydantic's lax mode reads a number, or a string of digits, as Unix seconds or
milliseconds: ``"requested_on": "86400"`` would be recorded as 2 January 1970,
and an auditor's ``?since=1700000000`` would stand for another instant than
the one meant. On official records a slip must be refused, not reinterpreted:
every date and instant the APIs read goes through ``iso_text_only`` first.
"""

from __future__ import annotations

import re
from datetime import date

#: How an ISO 8601 date, or an instant's date part, begins (ASCII digits only).
_ISO_DATE_START = re.compile(r"\d{4}-\d\d-\d\d", re.ASCII)


def iso_text_only(value: object) -> object:
    """``value`` unchanged if it is a date (or datetime) or text starting as an ISO 8601 date.

    Raises ``ValueError`` (a 422 naming the field) for anything else: numbers,
    digit strings, booleans. The type's own parsing then checks the rest.
    """
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATE_START.match(value):
        return value
    raise ValueError("give an ISO 8601 date, such as 2024-03-01 (an instant: 2024-03-01T09:00:00Z)")
