"""Dates and instants come in as ISO 8601 text, never as numbers.

pydantic's lax mode reads a number, or a string of digits, as Unix seconds or
milliseconds: ``"requested_on": "86400"`` would be recorded as 2 January 1970,
and an auditor's ``?since=1700000000`` would stand for another instant than
the one meant. On official records a slip must be refused, not reinterpreted:
every date and instant the APIs read goes through ``iso_text_only`` first.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from shared.domain.values import ISO_DAY


def iso_text_only(value: object) -> object:
    """``value`` unchanged if it is a date (or datetime) or text starting as an ISO 8601 date.

    Raises ``ValueError`` (a 422 naming the field) for anything else: numbers,
    digit strings, booleans. The type's own parsing then checks the rest.
    """
    if isinstance(value, date):
        return value
    if isinstance(value, str) and ISO_DAY.match(value):  # how a date or an instant begins
        return value
    raise ValueError("give an ISO 8601 date, such as 2024-03-01 (an instant: 2024-03-01T09:00:00Z)")


#: An instant whose offset's ``+`` arrived as a space: sent unencoded in a query string.
_PLUS_AS_SPACE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)? \d\d(:?\d\d)?", re.ASCII)


def iso_instant_text(value: object) -> object:
    """``iso_text_only`` for fields that hold an instant: its message shows an instant.

    The date's example (``2024-03-01``) was then refused for want of an offset.
    A ``+02:00`` offset written as is in a URL reads as `` 02:00`` (a ``+`` in a
    query string is a space), which pydantic refused as "unexpected extra
    characters": the message now says to write ``%2B``.
    """
    if isinstance(value, str) and _PLUS_AS_SPACE.fullmatch(value):
        raise ValueError(
            f"{value!r} has a space where its offset's + should be: in a query string, "
            "write + as %2B (2024-03-01T09:00:00%2B02:00), or give the instant in UTC "
            "(2024-03-01T07:00:00Z)"
        )
    try:
        return iso_text_only(value)
    except ValueError:
        raise ValueError(
            "give an ISO 8601 instant with its offset, such as 2024-03-01T09:00:00Z"
        ) from None


def iso_date_only(value: object) -> object:
    """``value`` unchanged if it is a date or ``YYYY-MM-DD`` text, else ``ValueError``.

    For fields that hold a day: pydantic read ``"2026-11-02T00:00:00-10:00"`` as
    2 November and dropped the time and the offset (a day that, written in UTC, is
    the 3rd): a slip in the client, refused rather than read one way.
    """
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and ISO_DAY.fullmatch(value):
        return value
    raise ValueError("give a calendar date, such as 2024-03-01 (no time, no offset)")
