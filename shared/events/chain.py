"""The tamper-evident hash chain of a tenant's history.

Event n's link is ``sha256(link(n-1) || canonical(n))`` in notification order,
starting from a genesis value bound to the tenant. The canonical encoding is
versioned (``CHAIN_VERSION``) and pinned by test vectors, so an upgrade cannot
silently change what was hashed. One sequencer computes it (the tenant's relay,
in notification order), so it cannot fork.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import orjson

from shared.events.envelope import EventEnvelope

CHAIN_VERSION = "entente-chain/1"


def iso(moment: datetime) -> str:
    """One spelling per instant: UTC, microseconds, ``+00:00``."""
    if moment.tzinfo is UTC:  # already UTC (as decoded from the store): skip the conversion
        return moment.isoformat(timespec="microseconds")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(event: EventEnvelope) -> bytes:
    """The bytes hashed for one event: every attribute, sorted keys, no spaces, UTF-8."""
    document = canonical_document(event)
    if _plain_document(document):
        try:
            return canonical_plain(document)
        except orjson.JSONEncodeError:  # an integer beyond 64 bits: the reference says it
            pass
    return reference(document)


def canonical_document(event: EventEnvelope) -> dict[str, Any]:
    """What ``canonical`` writes: every attribute of the envelope, times as ``iso`` text."""
    return {
        "chain": CHAIN_VERSION,
        "id": event.id,
        "type": event.type,
        "source": event.source,
        "subject": event.subject,
        "time": iso(event.time),
        "tenant": event.tenant,
        "aggregate_type": event.aggregate_type,
        "aggregate_id": event.aggregate_id,
        "version": event.version,
        "position": event.position,
        "business_time": iso(event.business_time),
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "correlation_id": event.correlation_id,
        "causation_id": event.causation_id,
        "classification": event.classification,
        "schema_version": event.schema_version,
        "data": event.data,
    }


def reference(document: dict[str, Any]) -> bytes:
    """The definition of the canonical bytes (``json.dumps``, sorted, compact, UTF-8).

    ``canonical`` writes plain documents with orjson instead (several times
    faster, and the audit walk and the relay write one per event); for those it
    gives these very bytes (a test compares both over every JSON character and
    shape). Anything else comes here, so the definition never changes.
    """
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def canonical_plain(document: dict[str, Any]) -> bytes:
    """The canonical bytes of a document known to be plain (``_plain_document``).

    orjson, sorted keys: for plain documents, the very bytes of ``reference``.
    Raises ``orjson.JSONEncodeError`` for integers beyond 64 bits, which the
    reference alone writes.
    """
    return orjson.dumps(document, option=orjson.OPT_SORT_KEYS)


#: The attributes that are text in every envelope (the others: ints, None, ``data``).
_TEXT = (
    "id",
    "type",
    "source",
    "subject",
    "tenant",
    "aggregate_type",
    "aggregate_id",
    "actor_id",
    "actor_name",
    "correlation_id",
    "classification",
)


def _plain_document(document: dict[str, Any]) -> bool:
    """Each attribute of its exact declared type, and plain data (see ``plain``)."""
    if not all(type(document[name]) is str for name in _TEXT):
        return False
    if not all(type(document[name]) is int for name in ("version", "position", "schema_version")):
        return False
    causation = document["causation_id"]
    return (causation is None or type(causation) is str) and plain(document["data"])


def plain(value: Any) -> bool:
    """Only exact str, int, bool, None, lists and str-keyed dicts: where orjson == reference.

    Floats (orjson and ``repr`` may spell some differently), subclasses such as
    enums, and any other type (orjson serialises dates, UUIDs and dataclasses
    that ``json.dumps`` refuses) go to the reference encoder.
    """
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return True
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str:
                return False
            kind = type(item)
            if kind is str or kind is int or kind is bool or item is None:
                continue
            if not plain(item):
                return False
        return True
    if kind is list:
        return all(plain(item) for item in value)
    return False


def genesis(tenant: str) -> str:
    """The link before the first event of ``tenant``."""
    return hashlib.sha256(f"{CHAIN_VERSION}:{tenant}".encode()).hexdigest()


def link(previous: str, event: EventEnvelope) -> str:
    """The chain value after ``event``."""
    return link_canonical(previous, canonical(event))


def link_canonical(previous: str, canonical_bytes: bytes) -> str:
    """The chain value after an event whose canonical bytes are already at hand.

    Readers that keep the canonical bytes (the audit walk digests them too)
    link with them instead of encoding the event a second time.
    """
    return hashlib.sha256(bytes.fromhex(previous) + canonical_bytes).hexdigest()
