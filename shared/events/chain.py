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

from shared.events.envelope import EventEnvelope

CHAIN_VERSION = "entente-chain/1"


def iso(moment: datetime) -> str:
    """One spelling per instant: UTC, microseconds, ``+00:00``."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(event: EventEnvelope) -> bytes:
    """The bytes hashed for one event: every attribute, sorted keys, no spaces, UTF-8."""
    document: dict[str, Any] = {
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
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def genesis(tenant: str) -> str:
    """The link before the first event of ``tenant``."""
    return hashlib.sha256(f"{CHAIN_VERSION}:{tenant}".encode()).hexdigest()


def link(previous: str, event: EventEnvelope) -> str:
    """The chain value after ``event``."""
    return hashlib.sha256(bytes.fromhex(previous) + canonical(event)).hexdigest()
