"""CloudEvents 1.0 in Kafka binary mode: how an envelope travels on the log.

Attributes and Entente's metadata are ``ce_*`` headers; the JSON value holds the
payload and the actor. Personal data (the actor) never goes in a header or the
key: it stays in the value. The key is the record id, so one record's events
stay in order on one partition. The ``cloudevents`` library does the binding.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

import orjson
from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from dateutil import tz  # type: ignore[import-untyped]  # the binding's time zones

from shared.events.chain import canonical_document, iso, plain
from shared.events.envelope import EventEnvelope, assemble

#: Extension attributes (lowercase alphanumerics, as CloudEvents requires).
EXTENSIONS = (
    "tenant",
    "aggregatetype",
    "recordversion",
    "position",
    "businesstime",
    "classification",
    "correlationid",
    "causationid",
    "schemaversion",
    "chainhash",
)


class UndecodableMessageError(ValueError):
    """Raised when a log message is not an Entente CloudEvent (a poison message)."""


class ValueFormat(JSONFormat):
    """The binding's JSON format, with plain values written by orjson.

    The standard encoder took 6.7 µs per event, orjson 0.4: a twelfth of the
    relay's time per event. Readers parse the value as JSON (the spelling
    differs: no spaces, UTF-8 rather than ``\\u`` escapes), so what they read is
    the same. Only plain values (``chain.plain``: no floats, which orjson
    writes as ``null`` when not finite) go to orjson; anything else, and what
    orjson refuses (integers past 64 bits, lone surrogates), is the binding's own.
    """

    def write_data(self, data: Any, datacontenttype: str | None) -> bytes:
        if type(data) is dict and plain(data):
            try:
                return orjson.dumps(data)
            except orjson.JSONEncodeError:
                pass
        return super().write_data(data, datacontenttype)


#: The one format every event message is written with (``encode`` and the binding alike).
VALUE_FORMAT = ValueFormat()


@dataclass(frozen=True)
class WireMessage:
    """What the producer sends: key, headers, value."""

    key: bytes
    headers: list[tuple[str, bytes]]
    value: bytes


def encode(event: EventEnvelope, chain_hash: str) -> WireMessage:
    """The message of ``event``: the ``cloudevents`` binding's bytes, written directly.

    The relay encodes every event it publishes, and the binding (validation,
    an event object, a header dict) cost as much as the rest of the relay. The
    direct writer gives the same key, headers (same order) and value; events it
    is not sure about (a missing required attribute, a naive time, data the
    standard encoder refuses) go through the binding, which says what is wrong.
    """
    time = event.time
    required = (event.id, event.source, event.type, event.subject)
    if not (all(type(v) is str and v for v in required) and isinstance(time, datetime)):
        return _encode_with_binding(event, chain_hash)
    if time.tzinfo is None:
        return _encode_with_binding(event, chain_hash)
    try:
        value = _value(event.data, event.actor_id, event.actor_name)
    except (TypeError, ValueError):
        return _encode_with_binding(event, chain_hash)
    spelled = time.isoformat()
    if spelled.endswith("+00:00"):
        spelled = spelled[:-6] + "Z"
    return _message(canonical_document(event), spelled, value, chain_hash)


def encode_document(document: Mapping[str, Any], chain_hash: str) -> WireMessage:
    """``encode`` of the envelope whose canonical document this is (``RowDecoder.published``).

    The relay builds each stored event's canonical document to chain it; the
    message is written from the same document (a test compares it with
    ``encode`` over whole histories). The document's ``time`` must be the
    stored text in canonical UTC spelling (``published`` sees to it), which
    ``encode`` writes with ``Z`` and, as ``isoformat`` does, without a zero fraction.
    Its data must be plain (``chain.plain``), as ``published`` builds it.
    """
    time = document["time"]
    spelled = f"{time[:19] if time[19:26] == '.000000' else time[:26]}Z"
    body = {
        "payload": document["data"],
        "actor": {"id": document["actor_id"], "name": document["actor_name"]},
    }
    try:  # plain by construction (``published`` refuses the rest): no second walk to check it
        value = orjson.dumps(body)
    except orjson.JSONEncodeError:
        value = json.dumps(body).encode()
    return _message(document, spelled, value, chain_hash)


def _value(data: Any, actor_id: Any, actor_name: Any) -> bytes:
    """The message value, as ``VALUE_FORMAT`` writes it (raising where the binding would)."""
    body = {"payload": data, "actor": {"id": actor_id, "name": actor_name}}
    if plain(body):
        try:
            return orjson.dumps(body)
        except orjson.JSONEncodeError:
            pass
    return json.dumps(body).encode()


def _message(
    attributes: Mapping[str, Any], spelled_time: str, value: bytes, chain_hash: str
) -> WireMessage:
    """The binding's key and headers (same order) for an event's canonical document.

    ``attributes``: ``chain.canonical_document``'s keys; ``spelled_time``: the
    ``ce_time`` header, as the binding writes the event's time.
    """
    type_ = attributes["type"]
    headers = [
        ("ce_id", attributes["id"].encode()),
        ("ce_source", attributes["source"].encode()),
        ("ce_type", type_.encode()),
        ("ce_subject", attributes["subject"].encode()),
        ("ce_time", spelled_time.encode()),
        ("content-type", b"application/json"),
        ("ce_dataschema", f"urn:entente:schema:{type_}".encode()),
    ]
    extensions = (
        ("ce_tenant", attributes["tenant"]),
        ("ce_aggregatetype", attributes["aggregate_type"]),
        ("ce_recordversion", attributes["version"]),
        ("ce_position", attributes["position"]),
        ("ce_businesstime", attributes["business_time"]),
        ("ce_classification", attributes["classification"]),
        ("ce_correlationid", attributes["correlation_id"]),
        ("ce_schemaversion", attributes["schema_version"]),
        ("ce_chainhash", chain_hash),
        ("ce_causationid", attributes["causation_id"]),
        ("ce_specversion", "1.0"),
    )
    headers += [(name, str(v).encode()) for name, v in extensions if v is not None]
    return WireMessage(key=attributes["aggregate_id"].encode(), headers=headers, value=value)


def _encode_with_binding(event: EventEnvelope, chain_hash: str) -> WireMessage:
    """The reference encoding, through the ``cloudevents`` Kafka binding."""
    attributes: dict[str, Any] = {
        "id": event.id,
        "source": event.source,
        "type": event.type,
        "subject": event.subject,
        "time": event.time,
        "datacontenttype": "application/json",
        "dataschema": f"urn:entente:schema:{event.type}",
        "tenant": event.tenant,
        "aggregatetype": event.aggregate_type,
        "recordversion": str(event.version),
        "position": str(event.position),
        "businesstime": iso(event.business_time),
        "classification": event.classification,
        "correlationid": event.correlation_id,
        "schemaversion": str(event.schema_version),
        "chainhash": chain_hash,
    }
    if event.causation_id is not None:
        attributes["causationid"] = event.causation_id
    body = {"payload": event.data, "actor": {"id": event.actor_id, "name": event.actor_name}}
    message = ce_kafka.to_binary_event(CloudEvent(attributes=attributes, data=body), VALUE_FORMAT)
    return WireMessage(
        key=event.aggregate_id.encode(),
        headers=[(name, value) for name, value in message.headers.items()],
        value=message.value,
    )


def decode(
    headers: list[tuple[str, bytes]], value: bytes, key: bytes | None
) -> tuple[EventEnvelope, str]:
    """The envelope and chain hash of a message; UndecodableMessageError otherwise.

    Messages shaped exactly as ``encode`` writes them are read directly (the
    binding, its validation and ``isoparse`` cost ten times the rest of the
    decoding); anything else, poison messages included, goes through the
    binding, which decides what is an Entente CloudEvent and says what is wrong.
    """
    fast = _decode_direct(headers, value, key)
    return fast if fast is not None else _decode_with_binding(headers, value, key)


def _decode_with_binding(
    headers: list[tuple[str, bytes]], value: bytes, key: bytes | None
) -> tuple[EventEnvelope, str]:
    """The reference decoding, through the ``cloudevents`` Kafka binding.

    The binding makes up what a message lacks (a random id, the current time);
    an Entente event that lacks them is poison instead, since readers
    de-duplicate on the id and order on the recorded time.
    """
    try:
        names = {name for name, _ in headers}
        missing = [h for h in _REQUIRED_HEADERS if h not in names]
        if missing:
            raise UndecodableMessageError(f"not an Entente CloudEvent: no {', '.join(missing)}")
        message = ce_kafka.KafkaMessage(headers=dict(headers), key=key, value=value)
        event = ce_kafka.from_binary_event(message)
        body = event.get_data()
        if isinstance(body, bytes | str):
            body = json.loads(body)
        return _envelope(event, body), str(event.get_extension("chainhash"))
    except UndecodableMessageError:
        raise
    except Exception as error:
        raise UndecodableMessageError(f"not an Entente CloudEvent: {error}") from None


#: The header names ``encode`` writes, with and without a causation id.
_ATTRIBUTES = ("id", "source", "type", "subject", "time", "dataschema", *EXTENSIONS, "specversion")
_HEADERS = frozenset(("content-type", *(f"ce_{name}" for name in _ATTRIBUTES)))
_HEADERS_WITHOUT_CAUSATION = _HEADERS - {"ce_causationid"}
#: What every Entente event carries (``dataschema`` and ``causationid`` may be absent).
_REQUIRED_HEADERS = tuple(
    sorted(_HEADERS_WITHOUT_CAUSATION - {"ce_dataschema", "content-type", "ce_specversion"})
)

#: The times ``encode`` writes (``isoformat`` of an aware time, ``Z`` for UTC), on which
#: ``datetime.fromisoformat`` and the binding's ``isoparse`` agree to the microsecond.
_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{6})?"
    r"(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)",
    re.ASCII,
)


def _decode_direct(
    headers: list[tuple[str, bytes]], value: bytes, key: bytes | None
) -> tuple[EventEnvelope, str] | None:
    """What ``_decode_with_binding`` returns, for messages as ``encode`` writes them.

    None for anything else (a header missing, extra or repeated differently, a
    time spelled otherwise, a value that is not JSON, a field that fails to
    convert): the binding then decodes it or says why it cannot.
    """
    try:
        named = dict(headers)  # as the binding: the last of repeated headers wins
        if named.keys() != _HEADERS and named.keys() != _HEADERS_WITHOUT_CAUSATION:
            return None
        if named["ce_specversion"] != b"1.0" or named["content-type"] != b"application/json":
            return None
        if key is not None:
            key.decode("utf-8")  # the binding reads the key as text, and refuses other bytes
        h = {name: raw.decode("utf-8") for name, raw in named.items()}
        id_, source, type_, subject = h["ce_id"], h["ce_source"], h["ce_type"], h["ce_subject"]
        if not (id_ and source and type_ and subject and h["ce_dataschema"]):
            return None
        time = _time(h["ce_time"])
        # UTF-8 text through ``json``, as the binding reads it (no BOM, no UTF-16): orjson
        # reads integers past 64 bits as floats, and ruling them out first (a regular
        # expression over the value) cost twice the parse.
        body = json.loads(value.decode("utf-8"))
        if not (type(body) is dict and type(body.get("payload")) is dict):
            return None
        actor = body.get("actor") or {}
        if type(actor) is not dict:
            return None
        event = assemble(  # every field, typed: the frozen dataclass __init__ is a quarter of this
            {
                "id": id_,
                "type": type_,
                "source": source,
                "subject": subject,
                "time": time,
                "tenant": h["ce_tenant"],
                "aggregate_type": h["ce_aggregatetype"],
                "aggregate_id": subject,
                "version": int(h["ce_recordversion"]),
                "position": int(h["ce_position"]),
                "business_time": datetime.fromisoformat(h["ce_businesstime"]),
                "actor_id": str(actor.get("id", "")),
                "actor_name": str(actor.get("name", "")),
                "correlation_id": h["ce_correlationid"],
                "causation_id": h.get("ce_causationid"),
                "classification": h["ce_classification"],
                "schema_version": int(h["ce_schemaversion"]),
                "data": body["payload"],
            }
        )
        return event, h["ce_chainhash"]
    except Exception:  # the binding decides, and names the fault
        return None


def _time(spelled: str) -> datetime:
    """``isoparse(spelled)`` for the spellings ``_TIME`` accepts: same instant, same zone type."""
    if _TIME.fullmatch(spelled) is None:
        raise ValueError(f"not a time encode writes: {spelled!r}")
    parsed = datetime.fromisoformat(spelled)
    offset = parsed.utcoffset()
    assert offset is not None
    seconds = int(offset.total_seconds())
    zone: tzinfo = tz.UTC if seconds == 0 else tz.tzoffset(None, seconds)
    return parsed.replace(tzinfo=zone)


def _envelope(event: Any, body: Any) -> EventEnvelope:
    if not isinstance(body, dict) or not isinstance(body.get("payload"), dict):
        raise UndecodableMessageError("the message value has no payload object")
    actor = body.get("actor") or {}
    ext = event.get_extension
    time = event.get_time()
    return EventEnvelope(
        id=str(event.get_id()),
        type=str(event.get_type()),
        source=str(event.get_source()),
        subject=str(event.get_subject()),
        time=time if isinstance(time, datetime) else datetime.fromisoformat(str(time)),
        tenant=str(ext("tenant")),
        aggregate_type=str(ext("aggregatetype")),
        aggregate_id=str(event.get_subject()),
        version=int(ext("recordversion")),
        position=int(ext("position")),
        business_time=datetime.fromisoformat(str(ext("businesstime"))),
        actor_id=str(actor.get("id", "")),
        actor_name=str(actor.get("name", "")),
        correlation_id=str(ext("correlationid")),
        causation_id=None if ext("causationid") is None else str(ext("causationid")),
        classification=str(ext("classification")),
        schema_version=int(ext("schemaversion")),
        data=body["payload"],
    )
