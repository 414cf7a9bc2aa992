"""Stored events → envelopes straight from their JSON, for readers of whole pages.

The relay and the audit walk read thousands of stored events a second. The
library's path (the mapper decodes through a ``json`` object hook, builds a
domain-event object, and ``envelope`` reads it back and converts the payload)
costs most of their time, though only the envelope is needed. ``RowDecoder``
builds the same envelope from the stored JSON directly: orjson to parse, the
ledger's own transcodings for the ``{"_type_", "_data_"}`` values, ``to_json``
for the payload, exactly as the library path would.

It handles the ordinary case only and answers ``None`` for anything else (an
older class version that needs upcasting, an unknown topic, a cipher or a
compressor, JSON orjson refuses, a missing field...): the caller then takes the
library's path, which gives the reference result, or its error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import Transcoding
from eventsourcing.utils import resolve_topic

from shared.events.envelope import (
    META_FIELDS,
    EventEnvelope,
    assemble,
    event_id,
    to_json,
    type_name,
)


@dataclass(frozen=True)
class _Kind:
    """What every event of one stored topic shares."""

    aggregate_type: str
    type: str
    class_version: int


class RowDecoder:
    """Decodes stored rows (topic, JSON state) of one ledger into envelopes."""

    def __init__(
        self,
        transcodings: Mapping[str, Transcoding],
        aggregate_type_of_topic: Callable[[str], str],
    ) -> None:
        self._transcodings = transcodings
        self._aggregate_type_of = aggregate_type_of_topic
        self._kinds: dict[str, _Kind | None] = {}

    def envelope(
        self, position: int, originator_id: Any, version: int, topic: str, state: bytes
    ) -> EventEnvelope | None:
        """The envelope of one stored event, or None when the library's path must decide."""
        kind = self._kinds.get(topic, _UNKNOWN)
        if kind is _UNKNOWN:
            kind = self._kinds[topic] = self._kind(topic)
        if kind is None or type(originator_id) is not UUID:
            return None
        try:
            return self._decode(kind, position, str(originator_id), version, state)
        except Exception:  # the library's path says what is wrong, as before
            return None

    def _decode(
        self, kind: _Kind, position: int, aggregate_id: str, version: int, state: bytes
    ) -> EventEnvelope | None:
        fields: dict[str, Any] = orjson.loads(state)
        if type(fields) is not dict or fields.pop("class_version", 1) < kind.class_version:
            return None  # upcasting: the library's job
        meta = self._hooked
        tenant = meta(fields["tenant"])
        payload = self._payload
        return assemble(
            {
                "id": event_id(tenant, aggregate_id, version),
                "type": kind.type,
                "source": f"/entente/{tenant}",
                "subject": aggregate_id,
                "time": meta(fields["timestamp"]),
                "tenant": tenant,
                "aggregate_type": kind.aggregate_type,
                "aggregate_id": aggregate_id,
                "version": version,
                "position": position,
                "business_time": meta(fields["business_time"]),
                "actor_id": meta(fields["actor_id"]),
                "actor_name": meta(fields["actor_name"]),
                "correlation_id": meta(fields["correlation_id"]),
                "causation_id": meta(fields["causation_id"]),
                "classification": meta(fields["classification"]),
                "schema_version": kind.class_version,
                "data": {
                    k: v if type(v) is str else payload(v)
                    for k, v in fields.items()
                    if k not in META_FIELDS
                },
            }
        )

    def _hooked(self, value: Any) -> Any:
        """The value the library's JSON object hook gives (transcoded values decoded)."""
        kind = type(value)
        if kind is dict:
            if len(value) == 2 and "_type_" in value and "_data_" in value:
                data = value["_data_"]
                if type(data) is dict or type(data) is list:
                    data = self._hooked(data)
                return self._transcodings[value["_type_"]].decode(data)
            return {k: self._hooked(v) for k, v in value.items()}
        if kind is list:
            return [self._hooked(v) for v in value]
        return value

    def _payload(self, value: Any) -> Any:
        """``to_json`` of the hooked value, in one pass; plain JSON values are kept as they are."""
        kind = type(value)
        if kind is str or kind is int or kind is bool or value is None:
            return value
        payload = self._payload
        if kind is list:
            return [v if type(v) is str else payload(v) for v in value]
        if kind is dict:
            if len(value) == 2 and "_type_" in value and "_data_" in value:
                return to_json(self._hooked(value))
            return {k: v if type(v) is str else payload(v) for k, v in value.items()}
        return to_json(value)

    def _kind(self, topic: str) -> _Kind | None:
        try:
            cls = resolve_topic(topic)
            aggregate_type = self._aggregate_type_of(topic)
        except Exception:
            return None
        version = getattr(cls, "class_version", 1)
        if type(version) is not int:
            return None
        return _Kind(aggregate_type, type_name(aggregate_type, cls), version)


_UNKNOWN: Any = object()


class NoDecoder:
    """For stores the decoder cannot read (ciphered, compressed): always the library's path."""

    def envelope(
        self, position: int, originator_id: Any, version: int, topic: str, state: bytes
    ) -> EventEnvelope | None:
        return None
