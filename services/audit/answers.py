"""What the audit service's views as of a past time answer, as JSON Schemas.

Why: the register, board, calendar, posts directory, country file and annual
report as of a recorded or business time were stated as open objects
(``additionalProperties: true``), so an auditor's tools learnt nothing of them
and the contract tests could hold them to nothing. They are the directorate's
own answers, read from scratch views by the same queries, so each is the
directorate's schema (``shared.views.answer_schemas``) with what ``routes.
_view_as_of`` adds: the instant they stand at (``as_of_recorded`` or
``as_of_business``, in UTC) and, as of a business time, the records left out
because their events dated then cannot be applied alone. Composed, not copied:
a field added to a directorate's answer is in the audit's at once.
"""

from __future__ import annotations

from typing import Any

from shared.domain.catalogue import AGGREGATE_TYPES
from shared.views.answer_schemas import (
    AGREEMENTS_PAGE,
    ANNUAL_REPORT,
    COUNTRY_FILE,
    DELEGATIONS_PAGE,
    MISSIONS_PAGE,
    POSTS_PAGE,
)
from shared.views.response_schemas import closed_object, extended

#: A record the views as of a business time leave out (``views_as_of.replay_business``).
LEFT_OUT_RECORD = closed_object(
    {
        "id": {"type": "string", "format": "uuid"},
        "type": {"type": "string", "enum": sorted(AGGREGATE_TYPES.values())},
        "why": {"type": "string", "description": "Why its events dated then cannot apply"},
    }
)
#: What each axis adds to a directorate's answer.
_SAID: dict[str, dict[str, Any]] = {
    "recorded": {
        "as_of_recorded": {
            "type": "string",
            "format": "date-time",
            "description": "The recorded time `at`, in UTC",
        },
    },
    "business": {
        "as_of_business": {
            "type": "string",
            "format": "date-time",
            "description": "The business time `at`, in UTC",
        },
        "left_out_records": {"type": "array", "items": LEFT_OUT_RECORD},
    },
}
#: A list page of each view, as the directorate's route answers it.
_PAGES: dict[str, dict[str, Any]] = {
    "agreements": AGREEMENTS_PAGE,
    "missions": MISSIONS_PAGE,
    "delegations": DELEGATIONS_PAGE,
    "posts": POSTS_PAGE,
}


def as_of(schema: dict[str, Any], axis: str) -> dict[str, Any]:
    """``schema``, a directorate's answer, as read as of a time on ``axis``."""
    return extended(schema, _SAID[axis])


def page_as_of(view: str, axis: str) -> dict[str, Any]:
    """One page of ``view`` (agreements, missions, delegations, posts) as of ``axis``."""
    return as_of(_PAGES[view], axis)


def country_file_as_of(axis: str) -> dict[str, Any]:
    return as_of(COUNTRY_FILE, axis)


def annual_report_as_of(axis: str) -> dict[str, Any]:
    return as_of(ANNUAL_REPORT, axis)
