"""What the projector tests share: a real ledger's events, and a log that can hold poison.

``PoisonLog`` serves a hand-made list of records, some of which are poison: a
``RawRecord`` stands for a message the log cannot decode (it raises
``UndecodableRecordError`` exactly as ``KafkaEventLog`` does: the good records
before it first, then the error when it comes first); a ``LogRecord`` whose
event was spoilt stands for an unknown type or a schema violation.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from shared.application.ledger import CooperationLedger
from shared.application.stores import SqliteStore
from shared.domain.agreement import Agreement
from shared.domain.context import Actor, CommandContext
from shared.events import wire
from shared.log.embedded import EmbeddedEventLog
from shared.log.ports import LogRecord, RawRecord, UndecodableRecordError, topic_for
from shared.views.postgres import PostgresViewStore
from shared.views.sqlite import SqliteViewStore
from shared.views.store import ViewStore
from tests.agreements import signed_agreement

TENANT = "police"
TOPIC = topic_for(TENANT)
TODAY = date(2014, 6, 1)
CTX = CommandContext(TENANT, Actor("u-7", "Claire Martin"))
BACKENDS = [pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)]
Item = LogRecord | RawRecord


def clock() -> datetime:
    return datetime(2014, 6, 1, 12, tzinfo=UTC)


class PoisonLog:
    """An ``EventLog`` over hand-made items, one partition (see the module docstring).

    ``eager`` makes a read that meets poison raise at once, even after good
    records (another way a log adapter may behave; the projector copes with both).
    """

    def __init__(self, items: Sequence[Item], *, eager: bool = False) -> None:
        self.items = list(items)
        self.eager = eager

    def topics(self) -> list[str]:
        return [TOPIC]

    def partitions(self, topic: str) -> list[int]:
        return [0]

    def read(self, topic: str, partition: int, after: int, limit: int) -> list[LogRecord]:
        found: list[LogRecord] = []
        for item in [i for i in self.items if i.offset > after][:limit]:
            if isinstance(item, LogRecord):
                found.append(item)
            elif found and not self.eager:
                return found
            else:
                raise _undecodable(item)
        return found

    def end_offset(self, topic: str, partition: int) -> int:
        return self.items[-1].offset if self.items else -1


def _undecodable(raw: RawRecord) -> UndecodableRecordError:
    try:
        wire.decode(raw.headers, raw.value, raw.key)
    except wire.UndecodableMessageError as error:
        return UndecodableRecordError(raw.topic, raw.partition, raw.offset, str(error), raw)
    raise AssertionError("this raw record decodes: not poison")


def garbage(offset: int) -> RawRecord:
    """A message that is not a CloudEvent at all."""
    return RawRecord(TOPIC, 0, offset, b"k-1", [("ce_type", b"x")], b"\xff{not json", 0)


def unknown_type(template: LogRecord, offset: int) -> LogRecord:
    """A new record's first event, of a type no handler knows."""
    record = str(uuid4())
    teleported = "fr.interieur.entente.agreement.teleported.v1"
    event = replace(template.event, type=teleported, aggregate_id=record, subject=record)
    return replace(template, offset=offset, key=event.aggregate_id, event=event)


def schema_violation(template: LogRecord, offset: int) -> LogRecord:
    """A new record's first event of a known type, whose payload breaks its schema."""
    data = {**template.event.data, "kind": "not-a-kind", "surprise": 1}
    record = str(uuid4())
    event = replace(template.event, aggregate_id=record, subject=record, data=data)
    return replace(template, offset=offset, key=event.aggregate_id, event=event)


POISON: dict[str, Callable[[LogRecord, int], Item]] = {
    "undecodable": lambda template, offset: garbage(offset),
    "unknown-type": unknown_type,
    "schema-violation": schema_violation,
}


@dataclass
class Recording:
    """One tenant's ledger on SQLite, and the embedded log over it."""

    ledger: CooperationLedger
    log: EmbeddedEventLog

    def sign(self, reference: str) -> UUID:
        return self.ledger.create(lambda id: _agreement(id, reference), None).record_id

    def amend(self, record: UUID) -> None:
        version = self.ledger.record(Agreement, record).version
        self.ledger.change(
            Agreement, record, version, lambda a: a.amend(CTX, date(2013, 1, 1), "Avenant"), None
        )

    def records(self) -> list[LogRecord]:
        return self.log.read(TOPIC, 0, -1, 10_000)


def _agreement(id: UUID, reference: str) -> Agreement:
    return signed_agreement(
        CTX,
        id,
        reference,
        themes=["organised-crime"],
        signed_on=date(2012, 1, 10),
        signed_at="Paris",
        duration_months=None,
    )


def open_recording(directory: Path) -> Recording:
    ledger = CooperationLedger(TENANT, SqliteStore(directory), clock=clock)
    return Recording(ledger, EmbeddedEventLog({TENANT: ledger}))


#: Agreement references never used twice (a directorate's are unique; a test may
#: record several batches into one store).
REFERENCES = itertools.count()


def record_some(recording: Recording, records: int = 4, amendments: int = 2) -> None:
    """``records`` agreements, each amended ``amendments`` times, interleaved."""
    ids = [recording.sign(f"A-{next(REFERENCES)}") for _ in range(records)]
    for _ in range(amendments):
        for record in ids:
            recording.amend(record)


def open_store(request: pytest.FixtureRequest, backend: str, base: Path) -> Iterator[ViewStore]:
    if backend == "sqlite":
        sqlite = SqliteViewStore(base / "views", [TENANT])
        yield sqlite
        sqlite.dispose()
        return
    url: str = request.getfixturevalue("postgres_url")
    postgres = PostgresViewStore(url, [TENANT], schema_prefix=f"t{uuid4().hex[:10]}_")
    yield postgres
    postgres.drop(TENANT)
    postgres.dispose()


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Polls ``condition`` (a thread's state, a position) until true or ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def spaced(recording: Recording) -> list[LogRecord]:
    """The ledger's records at even offsets, leaving room for poison between them."""
    return [replace(r, offset=2 * i) for i, r in enumerate(recording.records())]


def with_poison(records: list[LogRecord], kind: str, after: int) -> tuple[list[Item], Item]:
    """``records`` with one poison message right after ``records[after]``."""
    poison = POISON[kind](records[0], records[after].offset + 1)
    return [*records[: after + 1], poison, *records[after + 1 :]], poison


def post_row(id_: str) -> dict[str, Any]:
    """A whole ``posts`` view row, as a handler would hold it in the working set."""
    return {
        "id": id_,
        "version": 1,
        "position": 1,
        "recorded_at": datetime(2014, 6, 1, 12, tzinfo=UTC),
        "classification": "public",
        "name": "Ambassade",
        "city": "Hanoï",
        "host_country": "VN",
        "status": "open",
        "opened_on": date(2014, 6, 1),
        "covered_countries": ["VN"],
    }
