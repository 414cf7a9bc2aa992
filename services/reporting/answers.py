"""What consolidated reporting answers in JSON, as JSON Schemas for the OpenAPI document.

Why: every reporting operation answered ``{}`` or an open object in the document,
so a client of the consolidated figures (a spreadsheet connector, another
ministry's dashboard) learnt nothing of the cells, the matrix's rows, an overlap
or an alert, and the contract tests could hold the answers to nothing. Each
answer here is closed (``additionalProperties: false``) except where its keys are
data: the per-currency sums, the per-directorate and per-kind counts.

Every answer ends with the envelope of ``shared.reporting.queries.common.answer``:
its counting rule in both languages and, per directorate, the log position and
record time it reflects. An overlap and an alert describe their missions as the
alerts topic does (``shared.events.alert_schemas``): one description, two channels.
"""

from __future__ import annotations

from typing import Any

from shared.events.alert_schemas import ALERT_SCHEMA, ALERT_SOURCE, ALERT_TYPES
from shared.views.response_schemas import AS_OF, closed_object

_COUNT: dict[str, Any] = {"type": "integer", "minimum": 0}
_COUNTS: dict[str, Any] = {
    "type": "object",
    "additionalProperties": _COUNT,
    "description": "A count per code (directorate, agreement kind)",
}
_SUMS: dict[str, Any] = {
    "type": "object",
    "propertyNames": {"pattern": "^[A-Z]{3}$"},
    "additionalProperties": {"type": "string", "description": "Exact decimal"},
    "description": "Sums per ISO 4217 currency, never converted",
}
_CODE: dict[str, Any] = {"type": "string"}
_DATE: dict[str, Any] = {"type": "string", "format": "date"}

#: The filters a request chose (``Filters.as_dict``): only those given.
_FILTERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "country": _CODE,
        "directorate": _CODE,
        "year": {"type": "integer"},
        "mission_type": _CODE,
        "theme": _CODE,
    },
    "additionalProperties": False,
    "description": "The filters the request named (none: every action)",
}

#: What every answer ends with: how it counts, and what it reflects.
_ENVELOPE: dict[str, Any] = {
    "counting_rule": closed_object({"fr": {"type": "string"}, "en": {"type": "string"}}),
    "positions": {
        "type": "object",
        "additionalProperties": _COUNT,
        "description": "Per directorate, the log position the answer reflects",
    },
    "as_of": {
        "type": "object",
        "additionalProperties": AS_OF,
        "description": "Per directorate, the position and the record time it reflects",
    },
}


def _answer(body: dict[str, Any]) -> dict[str, Any]:
    return closed_object({**body, **_ENVELOPE})


_TALLY: dict[str, Any] = {
    "actions": _COUNT,
    "restricted": {**_COUNT, "description": "Restricted actions: counted, not in the sums"},
    "budget": _SUMS,
    "actual_cost": _SUMS,
}
_DIMENSIONS: dict[str, Any] = {
    "country": _CODE,
    "directorate": _CODE,
    "year": {"type": "integer"},
    "mission_type": _CODE,
    "theme": _CODE,
}

FIGURES = _answer(
    {
        "filters": _FILTERS,
        "group_by": {"type": "array", "items": {"type": "string", "enum": list(_DIMENSIONS)}},
        "cells": {
            "type": "array",
            "items": {
                "type": "object",
                "description": "One value of each dimension in group_by, then the tally",
                "properties": {**_DIMENSIONS, **_TALLY},
                "required": list(_TALLY),
                "additionalProperties": False,
            },
        },
        "totals": closed_object({**_TALLY, "by_directorate": _COUNTS}),
    }
)

_AGREEMENT_COUNT: dict[str, Any] = {
    "type": ["integer", "null"],
    "minimum": 0,
    "description": "null when a mission type is asked (agreements have none)",
}
MATRIX = _answer(
    {
        "filters": _FILTERS,
        "agreements_on": {
            **_DATE,
            "type": ["string", "null"],
            "description": "The day agreements are counted in force; null with a mission type",
        },
        "rows": {
            "type": "array",
            "items": closed_object(
                {
                    "directorate": _CODE,
                    "country": _CODE,
                    "theme": _CODE,
                    "actions": _COUNT,
                    "restricted_actions": _COUNT,
                    "agreements_in_force": _AGREEMENT_COUNT,
                    "restricted_agreements": _AGREEMENT_COUNT,
                }
            ),
        },
    }
)

_IN_FORCE: dict[str, Any] = {
    "in_force": _COUNT,
    "restricted": _COUNT,
    "by_directorate": _COUNTS,
    "by_kind": _COUNTS,
}
AGREEMENTS_IN_FORCE = _answer(
    {
        "on": _DATE,
        "filters": _FILTERS,
        "countries": {
            "type": "array",
            "items": closed_object({"country": _CODE, **_IN_FORCE}),
        },
        "totals": closed_object(_IN_FORCE),
    }
)

#: An overlap's missions as the alerts describe them, with the place of an open one.
_OPEN, _RESTRICTED = ALERT_SCHEMA["properties"]["missions"]["items"]["oneOf"]
_OVERLAP_MISSION: dict[str, Any] = {
    "oneOf": [
        {
            **_OPEN,
            "properties": {**_OPEN["properties"], "place": {"type": "string"}},
            "required": [*_OPEN["required"], "place"],
        },
        _RESTRICTED,
    ]
}
OVERLAPS = _answer(
    {
        "filters": _FILTERS,
        "items": {
            "type": "array",
            "items": closed_object(
                {
                    "pair": ALERT_SCHEMA["properties"]["pair"],
                    "country": ALERT_SCHEMA["properties"]["country"],
                    "theme": _CODE,
                    "period": ALERT_SCHEMA["properties"]["period"],
                    "detected_at": {
                        "type": ["string", "null"],
                        "format": "date-time",
                        "description": "null when either mission is restricted",
                    },
                    "missions": {
                        **ALERT_SCHEMA["properties"]["missions"],
                        "items": _OVERLAP_MISSION,
                    },
                }
            ),
        },
        "next_cursor": {"type": ["string", "null"]},
        "total": _COUNT,
    }
)

ALERTS = _answer(
    {
        "items": {
            "type": "array",
            "items": closed_object(
                {
                    "seq": {"type": "integer", "minimum": 1},
                    "id": {"type": "string", "format": "uuid"},
                    "type": {"type": "string", "enum": list(ALERT_TYPES)},
                    "source": {"type": "string", "const": ALERT_SOURCE},
                    "time": {
                        "type": ["string", "null"],
                        "format": "date-time",
                        "description": "null when the alert names a restricted mission",
                    },
                    "caused_by": {
                        "type": ["string", "null"],
                        "format": "uuid",
                        "description": "null when the alert names a restricted mission",
                    },
                    "data": ALERT_SCHEMA,
                }
            ),
        },
        "next_after": {**_COUNT, "description": "The after of the next page"},
    }
)

STATUS = closed_object(
    {
        "running": {"type": "boolean"},
        "stopped_by_error": {"type": "boolean"},
        "failing": {"type": "boolean"},
        "failure": {"type": ["string", "null"]},
        "stopped_tenants": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "A directorate whose events an error stopped, and why",
        },
        "positions": _ENVELOPE["positions"],
        "as_of": _ENVELOPE["as_of"],
    }
)
