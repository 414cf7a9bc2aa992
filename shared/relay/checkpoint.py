"""Chain checkpoints: the tenant's history size and head hash, published outside the database.

A chain kept only in the event store could be rewritten consistently by
whoever controls the database; a checkpoint on the Kafka log (tenant, size,
head, last position, time) is a witness they cannot rewrite with it. An auditor
recomputes the chain from the store and from the topic and compares both with
the checkpoints. The message is a CloudEvent in Kafka binary mode, like events.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.v1.event import CloudEvent

from shared.events.chain import CHAIN_VERSION
from shared.events.envelope import TYPE_PREFIX
from shared.events.wire import UndecodableMessageError, WireMessage

CHECKPOINT_TYPE = f"{TYPE_PREFIX}.chain.checkpoint.v1"


@dataclass(frozen=True)
class Checkpoint:
    """After ``size`` events (the last at notification id ``position``), the chain is ``head``."""

    tenant: str
    size: int
    head: str
    position: int
    time: datetime
    chain_version: str = CHAIN_VERSION

    @property
    def id(self) -> str:
        """Deterministic: the same checkpoint published twice is recognisably one."""
        return str(
            uuid5(NAMESPACE_URL, f"entente:{self.tenant}:checkpoint:{self.size}:{self.head}")
        )


def encode_checkpoint(checkpoint: Checkpoint) -> WireMessage:
    """The checkpoint as a binary-mode CloudEvent keyed by tenant."""
    attributes: dict[str, Any] = {
        "id": checkpoint.id,
        "source": f"/entente/{checkpoint.tenant}/relay",
        "type": CHECKPOINT_TYPE,
        "subject": checkpoint.tenant,
        "time": checkpoint.time,
        "datacontenttype": "application/json",
        "tenant": checkpoint.tenant,
    }
    data = {
        "tenant": checkpoint.tenant,
        "size": checkpoint.size,
        "head": checkpoint.head,
        "position": checkpoint.position,
        "chain": checkpoint.chain_version,
    }
    message = ce_kafka.to_binary_event(CloudEvent(attributes=attributes, data=data))
    return WireMessage(
        key=checkpoint.tenant.encode(),
        headers=list(message.headers.items()),
        value=message.value,
    )


def decode_checkpoint(headers: list[tuple[str, bytes]], value: bytes) -> Checkpoint:
    """The checkpoint in a message; UndecodableMessageError if it is not one."""
    try:
        event = ce_kafka.from_binary_event(
            ce_kafka.KafkaMessage(headers=dict(headers), key=None, value=value)
        )
        if event.get_type() != CHECKPOINT_TYPE:
            raise UndecodableMessageError(f"not a checkpoint: {event.get_type()}")
        data = event.get_data()
        body: dict[str, Any] = (
            json.loads(data) if isinstance(data, bytes | str) else dict(data or {})
        )
        time = event.get_time()
        return Checkpoint(
            tenant=str(body["tenant"]),
            size=int(body["size"]),
            head=str(body["head"]),
            position=int(body["position"]),
            time=time if isinstance(time, datetime) else datetime.fromisoformat(str(time)),
            chain_version=str(body["chain"]),
        )
    except UndecodableMessageError:
        raise
    except Exception as error:
        raise UndecodableMessageError(f"not a checkpoint: {error!r}") from None
