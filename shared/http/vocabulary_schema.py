"""The JSON Schema of the vocabularies' key (``shared.domain.vocabulary.vocabularies``).

Why: ``/vocabularies`` (a directorate's and reporting's) answered with an open
object in the OpenAPI document, so a client building a code list or a translation
table learnt neither the lists' names nor an entry's fields. The schema is
generated from the same ``SERVED`` table the answer is: a vocabulary or a code
added is in the document at once, and each list's ``code`` is an enum of its
vocabulary's codes, so a client can validate a code against the document alone.
"""

from __future__ import annotations

from typing import Any

from shared.domain.vocabulary import SERVED, MissionStatus, Theme

#: The international code each kind of term carries besides its labels.
_EXTRA: dict[type[Any], tuple[str, dict[str, Any]]] = {
    Theme: (
        "crs_purpose_code",
        {"type": "integer", "description": "OECD DAC CRS purpose code"},
    ),
    MissionStatus: (
        "iati_activity_status",
        {"type": "integer", "minimum": 1, "maximum": 5, "description": "IATI ActivityStatus"},
    ),
}


def _term(vocabulary: type[Any]) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "code": {"type": "string", "enum": [term.value for term in vocabulary]},
        "fr": {"type": "string", "description": "French label"},
        "en": {"type": "string", "description": "English label"},
    }
    if vocabulary in _EXTRA:
        name, schema = _EXTRA[vocabulary]
        properties[name] = schema
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


VOCABULARIES: dict[str, Any] = {
    "type": "object",
    "properties": {
        name: {"type": "array", "items": _term(vocabulary)} for name, vocabulary in SERVED.items()
    },
    "required": list(SERVED),
    "additionalProperties": False,
}
