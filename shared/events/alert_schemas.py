"""JSON Schemas of the overlap alerts that consolidated reporting publishes.

Declared by hand, like the checkpoints' (``shared.events.schemas``): an alert is
not a tenant's recorded fact but a finding of the consolidated projection, so
it has no event class to generate a schema from. Tests run the alert encoder
(``shared.reporting.alert_messages``) against these schemas, and
``docs/asyncapi.yaml`` carries them on the ``alerts`` channel.
"""

from __future__ import annotations

from typing import Any

from shared.events.envelope import TYPE_PREFIX
from shared.events.schemas import TENANT_PATTERN

ALERT_DETECTED = f"{TYPE_PREFIX}.reporting.overlap-detected.v1"
ALERT_RESOLVED = f"{TYPE_PREFIX}.reporting.overlap-resolved.v1"
ALERT_TYPES = (ALERT_DETECTED, ALERT_RESOLVED)
ALERT_SOURCE = "/entente/reporting"

_UUID = {"type": "string", "format": "uuid"}
_DATE = {"type": "string", "format": "date"}
_COUNTRY = {"type": "string", "pattern": "^[A-Z]{2}$", "description": "ISO 3166-1 alpha-2."}
_TENANT = {"type": "string", "pattern": TENANT_PATTERN}

ALERT_HEADERS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "CloudEvents 1.0 attributes in Kafka binary mode (UTF-8 strings).",
    "properties": {
        "ce_specversion": {"type": "string", "const": "1.0"},
        "ce_id": {
            **_UUID,
            "description": "Deterministic (kind, pair, causing event, keyed with the reporting "
            "area's key): a republished alert keeps it, so readers de-duplicate on it.",
        },
        "ce_source": {"type": "string", "const": ALERT_SOURCE},
        "ce_type": {"type": "string", "enum": list(ALERT_TYPES)},
        "ce_subject": {
            "type": "string",
            "pattern": "^[A-Z]{2}/[a-z0-9-]+$",
            "description": "<country>/<theme> of the overlap.",
        },
        "ce_time": {
            "type": "string",
            "format": "date-time",
            "description": "When the event that changed the overlaps list was recorded; "
            "absent when the alert names a restricted mission.",
        },
        "ce_causationid": {
            **_UUID,
            "description": "The id of the tenant event that raised the alert; absent when the "
            "alert names a restricted mission.",
        },
        "content-type": {"type": "string", "const": "application/json"},
    },
    "required": [
        "ce_specversion",
        "ce_id",
        "ce_source",
        "ce_type",
        "ce_subject",
        "content-type",
    ],
}

_OPEN_MISSION: dict[str, Any] = {
    "type": "object",
    "properties": {
        "directorate": _TENANT,
        "restricted": {"type": "boolean", "const": False},
        "mission_id": _UUID,
        "title": {"type": "string"},
        "mission_type": {"type": "string"},
        "status": {"type": "string"},
        "start_date": {"type": ["string", "null"], "format": "date"},
        "end_date": {"type": ["string", "null"], "format": "date"},
    },
    "required": [
        "directorate",
        "restricted",
        "mission_id",
        "title",
        "mission_type",
        "status",
        "start_date",
        "end_date",
    ],
    "additionalProperties": False,
}

_RESTRICTED_MISSION: dict[str, Any] = {
    "type": "object",
    "description": "A restricted mission: counted, named by its directorate only.",
    "properties": {"directorate": _TENANT, "restricted": {"type": "boolean", "const": True}},
    "required": ["directorate", "restricted"],
    "additionalProperties": False,
}

ALERT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": (
        "Two directorates' missions in the same country, on the same theme, with dates "
        "that meet (detected), or such a pair that no longer overlaps (resolved)."
    ),
    "properties": {
        "pair": {
            **_UUID,
            "description": (
                "The pair's stable id: a resolution names the pair its detection named, "
                "even when a mission became restricted in between (absent from alerts "
                "raised before 2026-12-06)."
            ),
        },
        "country": _COUNTRY,
        "theme": {"type": "string"},
        "period": {
            "type": ["object", "null"],
            "description": (
                "The days both missions share, both ends included; null when either "
                "mission is restricted (beside the other's dates, it would give them away)."
            ),
            "properties": {"start": _DATE, "end": _DATE},
            "required": ["start", "end"],
            "additionalProperties": False,
        },
        "missions": {
            "type": "array",
            "minItems": 2,
            "maxItems": 2,
            "items": {"oneOf": [_OPEN_MISSION, _RESTRICTED_MISSION]},
        },
    },
    "required": ["country", "theme", "period", "missions"],
    "additionalProperties": False,
}
