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

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple
from uuid import NAMESPACE_URL, UUID

import orjson
from eventsourcing.persistence import DatetimeAsISO, Transcoding
from eventsourcing.utils import resolve_topic

from shared.application.transcodings import DateAsISO
from shared.events.chain import CHAIN_VERSION, canonical_plain, iso, plain
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
    #: The aggregate class's topic a creation event names (``originator_topic``).
    owner_topic: str


#: What ``RowDecoder.chained`` gives: event id, aggregate type, aggregate id, version, canonical.
Chained = tuple[str, str, str, int, bytes]


class Published(NamedTuple):
    """A stored event as the relay chains and publishes it (``RowDecoder.published``)."""

    #: ``chain.canonical``'s document of the event's envelope: plain JSON values, times as text.
    document: dict[str, Any]
    #: Its canonical bytes (``chain.canonical`` of the envelope).
    canonical: bytes


class _NotPlain(Exception):
    """A payload value the orjson canonical writer may spell differently: the reference decides."""


class RowDecoder:
    """Decodes stored rows (topic, JSON state) of one ledger into envelopes."""

    def __init__(
        self,
        transcodings: Mapping[str, Transcoding],
        aggregate_type_of_topic: Callable[[str], str],
        tenant: str | None = None,
    ) -> None:
        #: The ledger's tenant: an event naming another is left to the library's path,
        #: where its reader says so (the audit walk: altered).
        self._tenant = tenant
        self._transcodings = transcodings
        self._aggregate_type_of = aggregate_type_of_topic
        self._kinds: dict[str, _Kind | None] = {}
        self._ids: dict[str, Any] = {}  # tenant → SHA-1 of the event-id name's prefix
        # The transcodings whose stored text may be its canonical spelling (``_time``...).
        self._fast_datetime = type(transcodings.get("datetime_iso")) is DatetimeAsISO
        self._fast_date = type(transcodings.get("date_iso")) is DateAsISO

    def chained(
        self, position: int, aggregate_id: str, version: int, topic: str, state: bytes
    ) -> Chained | None:
        """What the audit walk needs of one stored event, without building its envelope.

        The canonical bytes are ``chain.canonical`` of the envelope ``envelope``
        would build (a test compares both over whole histories). None when the
        library's path must decide: see ``envelope``, and any value of the
        payload that is not plain JSON (``chain.plain``), for the reference to write.
        """
        kind = self._kind_of(topic)
        if kind is None or type(aggregate_id) is not str:
            return None
        try:
            return self._chained(kind, position, aggregate_id, version, state)
        except Exception:  # the library's path says what is wrong, as before
            return None

    def published(
        self, position: int, originator_id: Any, version: int, topic: str, state: bytes
    ) -> Published | None:
        """What the relay needs of one stored event: its canonical document and bytes.

        The relay chains each event (canonical bytes) and writes its message
        (``wire.encode_document``, from the same document), with no envelope in
        between. None when the library's path must decide (see ``chained``), and
        when the stored time is not in its canonical UTC spelling already: the
        message spells the time as it was stored.
        """
        kind = self._kind_of(topic)
        if kind is None or type(originator_id) is not UUID:
            return None
        try:
            fields = orjson.loads(state)
            if type(fields) is not dict or self._utc_text(fields.get("timestamp")) is None:
                return None
            document = self._document(kind, position, str(originator_id), version, fields)
            if document is None:
                return None
            return Published(document, canonical_plain(document))
        except Exception:  # the library's path says what is wrong, as before
            return None

    def _chained(
        self, kind: _Kind, position: int, aggregate_id: str, version: int, state: bytes
    ) -> Chained | None:
        document = self._document(kind, position, aggregate_id, version, orjson.loads(state))
        if document is None:
            return None
        return (
            document["id"],
            kind.aggregate_type,
            aggregate_id,
            version,
            canonical_plain(document),
        )

    def _document(
        self, kind: _Kind, position: int, aggregate_id: str, version: int, fields: Any
    ) -> dict[str, Any] | None:
        """The canonical document (``chain.canonical``'s) of a stored event's JSON fields."""
        if type(fields) is not dict or fields.pop("class_version", 1) < kind.class_version:
            return None  # upcasting: the library's job
        # The metadata leave ``fields``, which then holds the payload alone.
        pop = fields.pop
        tenant = pop("tenant")
        actor_id = pop("actor_id")
        actor_name = pop("actor_name")
        correlation = pop("correlation_id")
        causation = pop("causation_id")
        classification = pop("classification")
        timestamp = pop("timestamp")
        business_time = pop("business_time")
        owner = pop("originator_topic", None)
        if (owner is not None and owner != kind.owner_topic) or (
            self._tenant is not None and tenant != self._tenant
        ):
            return None  # another record type, or tenant, than its own: not ordinary
        if "originator_id" in fields or "originator_version" in fields:
            pop("originator_id", None)
            pop("originator_version", None)
        if not (
            type(tenant) is str
            and type(actor_id) is str
            and type(actor_name) is str
            and type(correlation) is str
            and type(classification) is str
            and (causation is None or type(causation) is str)
            and type(version) is int
            and type(position) is int
        ):
            return None  # transcoded or other attributes: the reference writes them
        time = self._time
        document = {
            "chain": CHAIN_VERSION,
            "id": self._event_id(tenant, aggregate_id, version),
            "type": kind.type,
            "source": f"/entente/{tenant}",
            "subject": aggregate_id,
            "time": time(timestamp),
            "tenant": tenant,
            "aggregate_type": kind.aggregate_type,
            "aggregate_id": aggregate_id,
            "version": version,
            "position": position,
            "business_time": time(business_time),
            "actor_id": actor_id,
            "actor_name": actor_name,
            "correlation_id": correlation,
            "causation_id": causation,
            "classification": classification,
            "schema_version": kind.class_version,
        }
        payload, scalar = self._plain_payload, _SCALARS
        try:
            for k, v in fields.items():
                if type(v) not in scalar:
                    fields[k] = payload(v)
        except _NotPlain:
            return None
        document["data"] = fields
        return document

    def _event_id(self, tenant: str, aggregate_id: str, version: int) -> str:
        """``envelope.event_id``, with the hash of the name's constant prefix computed once."""
        prefix = self._ids.get(tenant)
        if prefix is None:
            name = f"entente:{tenant}:".encode()
            prefix = self._ids[tenant] = hashlib.sha1(_URL + name, usedforsecurity=False)
        sha = prefix.copy()
        sha.update(f"{aggregate_id}:{version}".encode())
        h = sha.hexdigest()
        return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"

    def _time(self, value: Any) -> str:
        """``iso`` of a stored datetime: its very text when that is already the canonical spelling.

        With the library's own ``datetime_iso`` transcoding (``fromisoformat``), a
        stored ``YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00`` is written back by ``iso``
        as it is (``.000000`` added); ``fromisoformat`` still checks its ranges.
        """
        text = self._utc_text(value)
        if text is not None:
            datetime.fromisoformat(text)  # out of range: raises, as the transcoding would
            return text if len(text) == 32 else f"{text[:19]}.000000+00:00"
        return iso(self._meta(value))

    def _utc_text(self, value: Any) -> str | None:
        """The text of a stored datetime spelled as ``iso`` writes it (microseconds optional)."""
        if (
            self._fast_datetime
            and type(value) is dict
            and len(value) == 2
            and value.get("_type_") == "datetime_iso"
        ):
            text = value["_data_"]
            if type(text) is str and _UTC_ISO(text) is not None:
                return text
        return None

    def _meta(self, value: Any) -> Any:
        """``_hooked`` of a metadata value: text as it is, a stored datetime decoded at once."""
        kind = type(value)
        if kind is str:
            return value
        if kind is dict and len(value) == 2 and value.get("_type_") == "datetime_iso":
            return self._transcodings["datetime_iso"].decode(value["_data_"])
        return self._hooked(value)

    def _plain_payload(self, value: Any) -> Any:
        """``_payload``, refusing (``_NotPlain``) what ``chain.plain`` refuses."""
        kind = type(value)
        if kind is str or kind is int or kind is bool or value is None:
            return value
        payload = self._plain_payload
        if kind is list:
            return [v if type(v) in _SCALARS else payload(v) for v in value]
        if kind is dict:
            if len(value) == 2 and "_type_" in value and "_data_" in value:
                text = value["_data_"]
                if (
                    self._fast_date
                    and value["_type_"] == "date_iso"
                    and type(text) is str
                    and _ISO_DATE(text) is not None
                ):
                    date.fromisoformat(text)  # out of range: raises, as the transcoding would
                    return text  # to_json(date.fromisoformat(text)), as it was stored
                converted = to_json(self._hooked(value))
                if not plain(converted):
                    raise _NotPlain
                return converted
            return {k: v if type(v) in _SCALARS else payload(v) for k, v in value.items()}
        raise _NotPlain  # a float, or what orjson.loads never gives

    def envelope(
        self, position: int, originator_id: Any, version: int, topic: str, state: bytes
    ) -> EventEnvelope | None:
        """The envelope of one stored event, or None when the library's path must decide."""
        kind = self._kind_of(topic)
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

    def _kind_of(self, topic: str) -> _Kind | None:
        """The event class behind ``topic`` (cached), or None when the library must decode."""
        if topic not in self._kinds:
            self._kinds[topic] = self._kind(topic)
        return self._kinds[topic]

    def _kind(self, topic: str) -> _Kind | None:
        try:
            cls = resolve_topic(topic)
            aggregate_type = self._aggregate_type_of(topic)
        except Exception:
            return None
        version = getattr(cls, "class_version", 1)
        if type(version) is not int:
            return None
        module, qualname = topic.split(":")
        owner = f"{module}:{qualname.rsplit('.', 1)[0]}"
        return _Kind(aggregate_type, type_name(aggregate_type, cls), version, owner)


#: What ``iso`` writes of a UTC datetime (with, or for midnight seconds without, microseconds).
_UTC_ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{6})?\+00:00", re.ASCII).fullmatch
#: What ``date.isoformat`` writes.
_ISO_DATE = re.compile(r"\d{4}-\d\d-\d\d", re.ASCII).fullmatch
_URL = NAMESPACE_URL.bytes
#: Payload values written as they are read: exact types only (a bool is not an int here).
_SCALARS = frozenset({str, int, bool, type(None)})
#: The UUID variant bits set on the 17th hex digit of an event id (``10xx``).
_VARIANT = {d: "89ab"[int(d, 16) & 3] for d in "0123456789abcdef"}


class NoDecoder:
    """For stores the decoder cannot read (ciphered, compressed): always the library's path."""

    def published(
        self, position: int, originator_id: Any, version: int, topic: str, state: bytes
    ) -> Published | None:
        return None

    def chained(
        self, position: int, aggregate_id: str, version: int, topic: str, state: bytes
    ) -> Chained | None:
        return None

    def envelope(
        self, position: int, originator_id: Any, version: int, topic: str, state: bytes
    ) -> EventEnvelope | None:
        return None
