"""The write path's fast steps give exactly what the library's generic steps give.

``DirectlyCreated._create`` builds a new aggregate and its first event without
the library's per-call introspection, and ``PlainJSONTranscoder`` writes the
stored JSON with orjson. Pinned here against the library itself: every
creation of the whole sample data (records and command receipts) rebuilt
through ``BaseAggregate._create``, every stored event of it re-encoded by the
library's ``JSONTranscoder``, byte for byte, and the values the fast encoder
must leave to the library.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum, IntEnum, StrEnum
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import Aggregate, CanInitAggregate
from eventsourcing.persistence import JSONTranscoder, Mapper, TranscodingNotRegisteredError

from shared.application.claims import ClaimsReady, ValueClaim
from shared.application.ledger import CooperationLedger
from shared.application.receipt import CommandReceipt, ImportReceipt
from shared.application.stores import SqliteStore
from shared.application.transcodings import DateAsISO, PlainJSONTranscoder
from shared.domain import creation
from shared.domain.catalogue import AGGREGATES
from shared.domain.creation import DirectlyCreated
from shared.domain.mission import Mission
from shared.sample_data.loader import load

TENANTS = ("police", "gendarmerie", "civil-protection")


@dataclass
class Creation:
    """One ``_create`` call as the domain made it, and what it returned."""

    cls: type[DirectlyCreated]
    event_class: type[CanInitAggregate[UUID]]
    id: UUID
    kwargs: dict[str, Any]
    event: Any
    state: dict[str, Any]
    made_type: type[DirectlyCreated]


@pytest.fixture(scope="module")
def recorded(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[list[Creation], list[CooperationLedger]]]:
    """The whole sample data recorded, with every creation the domain asked for."""
    creations: list[Creation] = []
    fast = DirectlyCreated.__dict__["_create"].__func__

    def spy(cls: Any, /, event_class: Any, *, id: Any = None, **kwargs: Any) -> Any:
        made = fast(cls, event_class, id=id, **kwargs)
        state = {k: v for k, v in vars(made).items() if k != "_pending_events"}
        assert len(made.pending_events) == 1
        creations.append(
            Creation(cls, event_class, id, dict(kwargs), made.pending_events[0], state, type(made))
        )
        return made

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DirectlyCreated, "_create", classmethod(spy))
        store = SqliteStore(tmp_path_factory.mktemp("sample"))
        ledgers = [CooperationLedger(t, store) for t in TENANTS]
        load(dict(zip(TENANTS, ledgers, strict=True)), date(2026, 11, 23))
    yield creations, ledgers
    for ledger in ledgers:
        ledger.close()


def library_create(creation: Creation, timestamp: datetime) -> Aggregate:
    """The same creation through the library's generic ``_create``."""
    made: Aggregate = Aggregate._create.__func__(  # type: ignore[attr-defined]
        creation.cls,
        creation.event_class,
        id=creation.id,
        **{"timestamp": timestamp, **creation.kwargs},
    )
    return made


def test_every_creation_of_the_sample_data_takes_the_direct_path(
    recorded: tuple[list[Creation], list[CooperationLedger]],
) -> None:
    creations, _ = recorded
    kinds = {(c.cls, c.event_class) for c in creations}
    assert {cls for cls, _ in kinds} == {*AGGREGATES, CommandReceipt, ValueClaim, ClaimsReady}
    for cls, event_class in kinds:
        assert creation.takes_direct_path(cls, event_class), (cls, event_class)


def test_every_creation_gives_the_library_s_event_and_aggregate(
    recorded: tuple[list[Creation], list[CooperationLedger]],
) -> None:
    creations, _ = recorded
    assert len(creations) > 500
    for made in creations:
        event = made.event
        reference = library_create(made, event.timestamp)
        assert len(reference.pending_events) == 1
        # The same fields, in the same order (the stored JSON follows it), same types.
        mine = list(event.__dict__.items())
        theirs = list(reference.pending_events[0].__dict__.items())
        assert mine == theirs
        assert [type(v) for _, v in mine] == [type(v) for _, v in theirs]
        assert type(event) is type(reference.pending_events[0])
        assert made.state == {k: v for k, v in vars(reference).items() if k != "_pending_events"}
        assert list(made.state) == [k for k in vars(reference) if k != "_pending_events"]
        assert made.made_type is type(reference)


def test_a_creation_the_direct_path_cannot_make_is_the_library_s() -> None:
    """No id, a text id, a missing or an unknown field: the library's result or error."""
    receipt = CommandReceipt.issue(uuid4(), "f", uuid4(), 1)
    fields: dict[str, Any] = {"fingerprint": "f", "record_id": uuid4(), "record_version": 1}
    made = CommandReceipt._create(CommandReceipt.Issued, **fields)
    assert isinstance(made.id, UUID)
    assert made.fingerprint == "f"
    with pytest.raises(TypeError, match="non-UUID originator_id: 'text-id'"):
        CommandReceipt._create(CommandReceipt.Issued, id="text-id", **fields)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"Unable to construct 'CommandReceipt\.Issued' event"):
        CommandReceipt._create(
            CommandReceipt.Issued, id=uuid4(), fingerprint="f", record_id=uuid4()
        )
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        CommandReceipt._create(CommandReceipt.Issued, id=uuid4(), colour="red", **fields)
    assert receipt.version == 1
    assert len(receipt.pending_events) == 1


def test_an_unusual_aggregate_takes_the_library_s_path() -> None:
    """An ``__init__`` with parameters is left to the library, which fills it."""

    class Counted(DirectlyCreated):
        def __init__(self, start: int) -> None:
            self.count = start

    made = Counted._create(Counted.Created, id=uuid4(), start=3)
    assert made.count == 3
    assert not creation.takes_direct_path(Counted, Counted.Created)
    assert creation.takes_direct_path(Mission, Mission.Requested)


def test_every_stored_event_of_the_sample_data_is_the_library_s_json(
    recorded: tuple[list[Creation], list[CooperationLedger]],
) -> None:
    _, ledgers = recorded
    checked = 0
    for ledger in ledgers:
        assert isinstance(ledger.mapper.transcoder, PlainJSONTranscoder)
        reference: Mapper[UUID] = Mapper(transcoder=library_transcoder())
        for notification in ledger.recorder.select_notifications(start=1, limit=100_000):
            event = ledger.mapper.to_domain_event(notification)
            assert reference.to_stored_event(event).state == notification.state
            checked += 1
    assert checked > 1000


def library_transcoder() -> JSONTranscoder:
    transcoder = JSONTranscoder()
    CooperationLedger.register_transcodings(None, transcoder)  # type: ignore[arg-type]
    transcoder.register(DateAsISO())
    return transcoder


def plain_transcoder() -> PlainJSONTranscoder:
    transcoder = PlainJSONTranscoder()
    CooperationLedger.register_transcodings(None, transcoder)  # type: ignore[arg-type]
    transcoder.register(DateAsISO())
    return transcoder


def outcome(transcoder: JSONTranscoder, value: Any) -> object:
    try:
        return transcoder.encode(value)
    except Exception as error:  # the library's errors must stay the library's
        return (type(error), str(error))


TEXTS = [chr(c) for c in [*range(0, 0xD800, 3), *range(0xE000, 0x10000, 5), 0x1F600, 0x10FFFF]]


def test_every_character_is_written_as_the_library_writes_it() -> None:
    plain, library = plain_transcoder(), library_transcoder()
    for text in [*TEXTS, *(chr(c) for c in range(0x80)), "\u2028\u2029", 'é"\\/\b\f\n\r\t']:
        value = {"k" + text: text, "list": [text, text + "x"], "nested": {"t": [text]}}
        assert plain.encode(value) == library.encode(value), hex(ord(text[0]))
        assert plain.plain(value) == value  # no fallback: orjson wrote it


class Colour(StrEnum):
    RED = "red"


class Size(IntEnum):
    BIG = 3


class Plain(Enum):
    ONE = 1


@pytest.mark.parametrize(
    "value",
    [
        {"when": datetime(2026, 11, 23, 18, 0, 0, 123456, tzinfo=UTC), "on": date(2026, 1, 31)},
        {"zone": datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=-5, minutes=-30)))},
        {"naive": datetime(2026, 1, 1, 12, 30)},
        {"id": UUID(int=7), "ids": [UUID(int=1), UUID(int=2)], "amount": Decimal("10.50")},
        {"ints": [0, -1, 2**63 - 1, -(2**63), 2**64 - 1], "flags": [True, False, None]},
        {"tuple": (1, "a", (2, date(2020, 2, 29))), "empty": {}, "list": []},
        {"f": 1.5, "g": 1e16, "h": 1e-7},  # floats: the library writes them
        {"nan": math.nan, "inf": [math.inf]},
        {"big": 2**64, "neg": -(2**63) - 1},  # beyond orjson's 64 bits
        {"enum": Colour.RED, "int_enum": Size.BIG},  # str and int subclasses
        {"plain_enum": Plain.ONE},  # no transcoding: the library's error
        {1: "int key", None: "none key"},  # keys the library turns into text
        {"set": {1, 2}},  # no transcoding
        {"surrogate": "\ud800"},  # text UTF-8 cannot hold: the library's error
        [{"deep": [[[["x", UUID(int=3), 1.25]]]]}],
    ],
)
def test_values_are_written_or_refused_as_the_library_does(value: Any) -> None:
    assert outcome(plain_transcoder(), value) == outcome(library_transcoder(), value)


def test_what_the_library_cannot_write_is_still_its_error() -> None:
    with pytest.raises(TranscodingNotRegisteredError):
        plain_transcoder().encode({"x": Plain.ONE})
    assert json.loads(plain_transcoder().encode({"x": Colour.RED})) == {"x": "red"}


def test_import_receipts_are_written_by_orjson() -> None:
    """A receipt of a hundred records: UUIDs in a list, which orjson must not write itself."""
    records = [(uuid4(), 1) for _ in range(100)]
    receipt = ImportReceipt.issue_for(uuid4(), "fingerprint", records)
    state = dict(vars(receipt.pending_events[0]))
    plain = plain_transcoder()
    assert plain.encode(state) == library_transcoder().encode(state)
    assert plain.plain(state)["record_ids"][0] == {
        "_type_": "uuid_hex",
        "_data_": records[0][0].hex,
    }


def test_the_ledger_decodes_what_it_wrote(tmp_path: Path) -> None:
    ledger = CooperationLedger("police", SqliteStore(tmp_path))
    receipt = CommandReceipt.issue(uuid4(), "f", uuid4(), 2)
    ledger.save(receipt)
    again: object = ledger.repository.get(receipt.id)
    assert isinstance(again, CommandReceipt)
    assert (again.fingerprint, again.record_id, again.record_version) == ("f", receipt.record_id, 2)
    ledger.close()
