"""What the directorate's read views answer, as JSON Schemas for the OpenAPI document.

The lists, the country file and the annual report are described once, in
``shared.views.answer_schemas``: the audit service states the same answers as of
a past time, and services do not import each other. What only this service
answers is here: the requests awaiting a decision (with their waiting days) and
the position alone. The contract tests hold every answer to these schemas.
"""

from __future__ import annotations

from shared.views.answer_schemas import (
    AGREEMENT_ITEM,
    AGREEMENTS_PAGE,
    ANNUAL_REPORT,
    COUNTRY_FILE,
    DELEGATION_ITEM,
    DELEGATIONS_PAGE,
    MISSION_ITEM,
    MISSIONS_PAGE,
    POST_ITEM,
    POSTS_PAGE,
)
from shared.views.response_schemas import AS_OF, page_schema, row_schema
from shared.views.tables import tables_for

__all__ = [
    "AGREEMENTS_PAGE",
    "AGREEMENT_ITEM",
    "ANNUAL_REPORT",
    "AWAITING_PAGE",
    "COUNTRY_FILE",
    "DELEGATIONS_PAGE",
    "DELEGATION_ITEM",
    "MISSIONS_PAGE",
    "MISSION_ITEM",
    "POSITION",
    "POSTS_PAGE",
    "POST_ITEM",
]

AWAITING_PAGE = page_schema(
    row_schema(
        tables_for(None).missions,
        {"waiting_days": {"type": "integer", "description": "Days since the request came"}},
    )
)
POSITION = {
    **AS_OF,
    "properties": {"tenant": {"type": "string"}, **AS_OF["properties"]},
    "required": ["tenant", *AS_OF["required"]],
}
