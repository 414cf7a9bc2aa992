"""Parking poison messages: recorded with their reason, and passed in the same transaction.

A poison message is one no projector run will ever apply, however often it
retries: stopping on it would stop the tenant's views for good, and skipping
it silently would let them disagree with the log unnoticed. So it is *parked*:
written to a ``DeadLetters`` store with where it was and why, inside the view
transaction that also moves the tracking past it. Either both commit or
neither does, so a message is never passed over without its dead letter.

=====================================  =========================================
what went wrong                        outcome
=====================================  =========================================
message not decodable (not an          parked, ``undecodable``
Entente CloudEvent)
event type (or type version) without   parked, ``unknown-type``; a projector that
a handler                              knows it applies it on a rebuild from 0
message fails its JSON Schema          parked, ``schema-violation``
version gap (an earlier event of the   stop (``AggregateVersionGapError``): events
record is missing)                     were lost upstream; readiness fails
record of another tenant in the topic  stop: parking would copy one directorate's
                                       data into another's dead letters
known type, payload a handler cannot   stop: the schema let it through, so the
read                                   handler is wrong; fix it and resume
database or broker unavailable         the batch rolls back and is retried
=====================================  =========================================

Parking an event of a record means the record's *next* event meets a version
gap and stops the projector: a record is never shown in a state that skipped
one of its events.

``ViewStoreDeadLetters`` (the default) keeps a ``dead_letters`` table beside
the tracking table of the area being written, created on first use; its key is
(topic, partition, offset), so parking one message twice (a rebuild, a retried
batch) records it once. ``shared.kafka.dead_letters`` also publishes each one
on a dead-letter topic.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import cache
from typing import Any, Literal, Protocol

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    func,
    insert,
    inspect,
    select,
    update,
)

from shared.events.schemas import SchemaViolationError, validate_message
from shared.log.ports import LogRecord, UndecodableRecordError
from shared.views.conformance import fast_check
from shared.views.store import ViewSession
from shared.views.tables import UtcDateTime

PoisonKind = Literal["undecodable", "unknown-type", "schema-violation"]
UNDECODABLE: PoisonKind = "undecodable"
UNKNOWN_TYPE: PoisonKind = "unknown-type"
SCHEMA_VIOLATION: PoisonKind = "schema-violation"


@dataclass(frozen=True)
class DeadLetter:
    """A parked message: where it was, why it was parked, and what it held.

    ``key``, ``headers`` and ``value`` are the raw bytes when the log could
    not decode the message; for a decoded event (unknown type, schema failure)
    ``value`` is the event envelope as JSON and ``headers`` is empty.
    """

    topic: str
    partition: int
    offset: int
    kind: PoisonKind
    reason: str
    parked_at: datetime
    key: bytes | None = None
    headers: tuple[tuple[str, bytes], ...] = ()
    value: bytes | None = None
    event_id: str | None = None
    event_type: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: bytes in base64, the time in ISO 8601."""
        return {
            "topic": self.topic,
            "partition": self.partition,
            "offset": self.offset,
            "kind": self.kind,
            "reason": self.reason,
            "parked_at": self.parked_at.isoformat(),
            "event_id": self.event_id,
            "event_type": self.event_type,
            "key": _b64(self.key),
            "headers": [[name, _b64(value)] for name, value in self.headers],
            "value": _b64(self.value),
        }


class DeadLetters(Protocol):
    """Where poison messages are parked."""

    def park(self, session: ViewSession, letter: DeadLetter) -> None:
        """Parks ``letter`` as part of ``session``'s transaction (before it commits).

        Raises if the letter could not be stored, so the transaction rolls
        back and the tracking stays before the message.
        """
        ...


class ViewStoreDeadLetters:
    """Parks in a ``dead_letters`` table of the area being written (the embedded default)."""

    def park(self, session: ViewSession, letter: DeadLetter) -> None:
        table = dead_letters_table(session.tables.metadata.schema)
        connection = session.connection
        table.create(connection, checkfirst=True)
        key = _key(table, letter.topic, letter.partition, letter.offset)
        if connection.execute(select(table.c.offset).where(*key)).first() is None:
            connection.execute(insert(table).values(**_row(letter)))


def letter_for_record(
    record: LogRecord, kind: PoisonKind, reason: str, parked_at: datetime
) -> DeadLetter:
    """The dead letter of a decoded record (its envelope kept as JSON)."""
    envelope = json.dumps(asdict(record.event), default=str, ensure_ascii=False)
    return DeadLetter(
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        kind=kind,
        reason=reason,
        parked_at=parked_at,
        key=record.key.encode(),
        value=envelope.encode(),
        event_id=record.event.id,
        event_type=record.event.type,
    )


def letter_for_undecodable(error: UndecodableRecordError, parked_at: datetime) -> DeadLetter:
    """The dead letter of a message the log could not decode, with its raw bytes."""
    raw = error.raw
    return DeadLetter(
        topic=error.topic,
        partition=error.partition,
        offset=error.offset,
        kind=UNDECODABLE,
        reason=error.reason,
        parked_at=parked_at,
        key=raw.key,
        headers=tuple(raw.headers),
        value=raw.value,
    )


def message_schema_violation(record: LogRecord) -> str | None:
    """Why ``record``'s message value breaks its type's JSON Schema; None when it conforms.

    The value is rebuilt from the envelope exactly as ``wire.encode`` writes
    it, so an event read from the embedded log is checked like one from Kafka.
    A conforming value is recognised by its compiled check (``conformance.py``);
    jsonschema has the last word on any other.
    """
    event = record.event
    value = {"payload": event.data, "actor": {"id": event.actor_id, "name": event.actor_name}}
    check = fast_check(event.type)
    if check is not None and check(value):
        return None  # conforms (a refusal is checked again below, for its reason)
    try:
        validate_message(event.type, value)
    except SchemaViolationError as error:
        return error.detail
    return None


def skip_parked(
    session: ViewSession, topic: str, partition: int, offset: int, now: datetime
) -> None:
    """Moves the partition's offset past parked messages, leaving its position as it was.

    Before any applied event there is no position yet: the row starts at
    position 0, recorded ``now``.
    """
    table, connection = session.tables.tracking, session.connection
    key = (table.c.topic == topic, table.c.partition == partition)
    if connection.execute(select(table.c.offset).where(*key)).first() is None:
        connection.execute(
            insert(table).values(
                topic=topic, partition=partition, offset=offset, position=0, recorded_at=now
            )
        )
    else:
        connection.execute(update(table).where(*key).values(offset=offset))


def parked_count(session: ViewSession) -> int:
    """How many messages the session's area has parked (0 before the first)."""
    table = _existing(session)
    if table is None:
        return 0
    return int(session.connection.execute(select(func.count()).select_from(table)).scalar_one())


def parked_letters(session: ViewSession, limit: int = 100) -> list[DeadLetter]:
    """The most recently parked letters, newest first."""
    table = _existing(session)
    if table is None:
        return []
    rows = session.connection.execute(
        select(table).order_by(table.c.parked_at.desc(), table.c.offset.desc()).limit(limit)
    ).mappings()
    return [_letter(row) for row in rows]


@cache
def dead_letters_table(schema: str | None) -> Table:
    """The ``dead_letters`` table in ``schema`` (None: SQLite's only schema)."""
    return Table(
        "dead_letters",
        MetaData(schema=schema),
        Column("topic", String(255), primary_key=True),
        Column("partition", Integer, primary_key=True, autoincrement=False),
        Column("offset", BigInteger, primary_key=True, autoincrement=False),
        Column("kind", String(30), nullable=False),
        Column("reason", Text, nullable=False),
        Column("parked_at", UtcDateTime, nullable=False),
        Column("event_id", String(64)),
        Column("event_type", String(255)),
        Column("key", LargeBinary),
        Column("headers", JSON, nullable=False),
        Column("value", LargeBinary),
    )


def _existing(session: ViewSession) -> Table | None:
    schema = session.tables.metadata.schema
    if not inspect(session.connection).has_table("dead_letters", schema=schema):
        return None
    return dead_letters_table(schema)


def _key(table: Table, topic: str, partition: int, offset: int) -> Sequence[Any]:
    return (table.c.topic == topic, table.c.partition == partition, table.c.offset == offset)


def _row(letter: DeadLetter) -> dict[str, Any]:
    row = {name: getattr(letter, name) for name in ("topic", "partition", "offset", "kind")}
    row.update(
        reason=letter.reason,
        parked_at=letter.parked_at,
        event_id=letter.event_id,
        event_type=letter.event_type,
        key=letter.key,
        headers=[[name, _b64(value)] for name, value in letter.headers],
        value=letter.value,
    )
    return row


def _letter(row: Any) -> DeadLetter:
    return DeadLetter(
        topic=row["topic"],
        partition=int(row["partition"]),
        offset=int(row["offset"]),
        kind=row["kind"],
        reason=row["reason"],
        parked_at=row["parked_at"],
        key=row["key"],
        headers=tuple((name, base64.b64decode(value)) for name, value in row["headers"]),
        value=row["value"],
        event_id=row["event_id"],
        event_type=row["event_type"],
    )


def _b64(value: bytes | None) -> str | None:
    return None if value is None else base64.b64encode(value).decode("ascii")
