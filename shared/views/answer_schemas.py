"""What a directorate's views answer, as JSON Schemas: its lists, country file and report.

Why here and not in the tenant service: the audit service reads the same views as
of a past time, through the same queries (``shared.views.queries``), and states
the same answers with a few fields more; services do not import each other, so
the one description both state lives beside the queries that build it.

The lists' items are generated from the view tables (``shared.views.response_schemas``);
the country file and the annual report are composed of them and of their own counts.
The contract tests hold every answer to these schemas.
"""

from __future__ import annotations

from typing import Any

from shared.domain.vocabulary import AgreementStatus
from shared.views.response_schemas import AS_OF, closed_object, page_schema, row_schema
from shared.views.tables import tables_for

_TABLES = tables_for(None)
#: The status an agreement is shown with: ``expired`` is derived from its expiry.
AGREEMENT_STATUS: dict[str, Any] = {
    "type": "string",
    "enum": [s.value for s in AgreementStatus] + ["expired"],
    "description": "expired: derived from expires_on",
}
#: The status the agreement's last event recorded.
RECORDED_AGREEMENT_STATUS: dict[str, Any] = {
    "type": "string",
    "enum": [s.value for s in AgreementStatus],
    "description": "The status the last event recorded",
}
AGREEMENT_ITEM = row_schema(
    _TABLES.agreements,
    {"status": AGREEMENT_STATUS, "recorded_status": RECORDED_AGREEMENT_STATUS},
)
MISSION_ITEM = row_schema(_TABLES.missions)
DELEGATION_ITEM = row_schema(_TABLES.delegations)
POST_ITEM = row_schema(_TABLES.posts)
AGREEMENTS_PAGE = page_schema(AGREEMENT_ITEM)
MISSIONS_PAGE = page_schema(MISSION_ITEM)
DELEGATIONS_PAGE = page_schema(DELEGATION_ITEM)
POSTS_PAGE = page_schema(POST_ITEM)
_COUNT = {"type": "integer", "minimum": 0}
_BY_STATUS = {"type": "object", "additionalProperties": _COUNT}
COUNTRY_FILE = closed_object(
    {
        "country": closed_object(
            {
                "code": {"type": "string"},
                "name_fr": {"type": "string"},
                "name_en": {"type": "string"},
            }
        ),
        "counts": closed_object(
            {
                "agreements": _COUNT,
                "missions": _COUNT,
                "delegations": _COUNT,
                "posts": _COUNT,
                "agreements_by_status": _BY_STATUS,
                "missions_by_status": _BY_STATUS,
            }
        ),
        "agreements": {"type": "array", "items": AGREEMENT_ITEM},
        "missions": {"type": "array", "items": MISSION_ITEM},
        "delegations": {"type": "array", "items": DELEGATION_ITEM},
        "posts": {"type": "array", "items": POST_ITEM},
        "post_history": {
            "type": "array",
            "items": closed_object(
                {
                    "post_id": {"type": "string"},
                    "name": {"type": "string"},
                    "city": {"type": "string"},
                    "status": {"type": "string"},
                    "valid_from": {"type": "string", "format": "date"},
                    "valid_until": {"type": ["string", "null"], "format": "date"},
                }
            ),
        },
        "position": _COUNT,
        "as_of": AS_OF,
    }
)
_COUNTS_BY = {"type": "object", "additionalProperties": _COUNT}
_RULE = closed_object({"fr": {"type": "string"}, "en": {"type": "string"}})
_AMOUNTS = {
    "type": "object",
    "description": "Exact sums by ISO 4217 currency code",
    "additionalProperties": {"type": "string"},
}
_KINDS = closed_object({"total": _COUNT, "by_kind": _COUNTS_BY})
ANNUAL_REPORT = closed_object(
    {
        "tenant": {"type": "string"},
        "year": {"type": "integer"},
        "missions": closed_object(
            {
                "total": _COUNT,
                "by_type": _COUNTS_BY,
                "by_theme": _COUNTS_BY,
                "by_country": _COUNTS_BY,
                "by_post": {
                    "type": "array",
                    "items": closed_object(
                        {
                            "post_id": {"type": "string"},
                            "name": {"type": ["string", "null"]},
                            "actions": _COUNT,
                        }
                    ),
                },
                "counting_rule": _RULE,
            }
        ),
        "agreements": closed_object(
            {"signed": _KINDS, "in_force_at_year_end": _KINDS, "counting_rule": _RULE}
        ),
        "delegations": closed_object(
            {"hosted": _COUNT, "by_host_site": _COUNTS_BY, "counting_rule": _RULE}
        ),
        "budgets": closed_object(
            {"budget": _AMOUNTS, "actual_cost": _AMOUNTS, "counting_rule": _RULE}
        ),
        "evaluations": closed_object(
            {
                "count": _COUNT,
                "average_rating": {"type": ["string", "null"], "description": "Two decimals"},
                "counting_rule": _RULE,
            }
        ),
        "position": _COUNT,
        "as_of": AS_OF,
    }
)
