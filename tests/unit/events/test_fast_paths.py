"""The fast paths of the relay and the audit walk give the reference bytes and envelopes.

``chain.canonical`` writes plain documents with orjson, ``wire.encode`` writes
the CloudEvents binding's bytes directly, and ``read_log`` decodes stored rows
without the library's event objects. Each is pinned here to the reference it
replaces: ``chain.reference``, the ``cloudevents`` binding, the library's mapper.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from dataclasses import fields, replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

import orjson
import pytest
from cloudevents.core.exceptions import CloudEventValidationError
from eventsourcing.persistence import Notification

from shared.application.ledger import CooperationLedger, _aggregate_type_of_topic
from shared.application.stores import SqliteStore
from shared.audit.findings import Entry
from shared.audit.store import Item, _entry, _library_item, read_page
from shared.domain.catalogue import DOMAIN_EVENT_TOPICS
from shared.domain.vocabulary import Classification
from shared.events import chain, wire
from shared.events.envelope import EventEnvelope, envelope, event_id
from shared.events.stored import Published, RowDecoder
from tests.audit.support import StoreTamper, amend, correct, sign, write_history
from tests.unit.events.test_chain_and_wire import EVENT


def reference_canonical(event: EventEnvelope) -> bytes:
    """The canonical bytes as ``json.dumps`` writes them (the definition)."""
    document = json.loads(chain.canonical(replace(event, data={})))
    document["data"] = event.data
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


TEXTS = [chr(c) for c in [*range(0, 0x800), 0x2028, 0x2029, 0xFEFF, 0xFFFF, 0x10FFFF, 0x1F600]]


def test_canonical_equals_the_reference_for_every_character_in_keys_and_values() -> None:
    for text in TEXTS:
        if 0xD800 <= ord(text) <= 0xDFFF:
            continue
        data = {f"k{text}": text, text: [text, 1, True, None, -(2**63), 2**64 - 1], "n": {}}
        event = replace(EVENT, data=data, actor_name=f"A{text}")
        assert chain.canonical(event) == reference_canonical(event), hex(ord(text))


@pytest.mark.parametrize(
    "data",
    [
        {"f": 1.5, "g": 1e16, "h": 1e-7, "i": float("nan")},  # floats: the reference writes them
        {"big": 2**70, "neg": -(2**70)},  # beyond 64 bits
        {"enum": Classification.PUBLIC, "when": "x"},  # a str subclass
        {1: "an int key", 2: None},
        {"t": ("a", 1), "nested": [{"z": 1, "a": [[], {}]}]},
    ],
)
def test_canonical_of_other_values_is_the_reference(data: dict[Any, Any]) -> None:
    event = replace(EVENT, data=data)
    assert chain.canonical(event) == reference_canonical(event)


def test_canonical_keys_sort_as_the_reference_sorts_them() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        keys = ["".join(rng.choice(TEXTS[32:]) for _ in range(rng.randint(0, 3))) for _ in range(5)]
        event = replace(EVENT, data={k: k for k in keys})
        assert chain.canonical(event) == reference_canonical(event)


def test_canonical_of_enum_attributes_and_other_zones_is_the_reference() -> None:
    paris = EVENT.time.astimezone(timezone(timedelta(hours=1)))
    event = replace(EVENT, classification=Classification.PUBLIC, time=paris, causation_id="c0")
    assert chain.canonical(event) == reference_canonical(event)


def test_event_ids_are_uuid5_of_the_name() -> None:
    rng = random.Random(3)
    for _ in range(2000):
        choices: list[UUID | str] = [uuid4(), str(uuid4()), "é" * rng.randint(0, 4)]
        record = rng.choice(choices)
        tenant, version = rng.choice(["police", "x-y", "ü"]), rng.randint(0, 10**12)
        expected = str(uuid5(NAMESPACE_URL, f"entente:{tenant}:{record}:{version}"))
        assert event_id(tenant, record, version) == expected


@pytest.mark.parametrize(
    "change",
    [
        {},
        {"causation_id": "c0"},
        {"time": EVENT.time.astimezone(timezone(timedelta(hours=2)))},
        {"data": {"é": "ü\u2028\x00", "n": [1, 2.5, None, True], "d": {"x": 1e16}}},
        {"classification": Classification.PUBLIC},
        {"actor_name": "Zoë \U0001f600"},
        {"data": {"t": datetime(2020, 1, 1, tzinfo=UTC)}},  # the binding's own encoder
        {"data": {1: "an int key"}},
    ],
)
def test_wire_encoding_equals_the_cloudevents_binding(change: dict[str, Any]) -> None:
    event = replace(EVENT, **change)
    assert wire.encode(event, "ab" * 32) == wire._encode_with_binding(event, "ab" * 32)


def test_message_values_read_as_the_standard_encoder_s_for_every_character() -> None:
    """orjson writes plain values: other bytes (UTF-8, no spaces), the same JSON read back."""
    data = {"t": "".join(TEXTS), "k": {c: [c, 1, None, True] for c in TEXTS}, "big": 2**63 - 1}
    message = wire.encode(replace(EVENT, data=data, actor_name="Zoë \U0001f600"), "ab" * 32)
    standard = {"payload": data, "actor": {"id": EVENT.actor_id, "name": "Zoë \U0001f600"}}
    assert message.value == orjson.dumps(standard)
    assert json.loads(message.value) == standard


@pytest.mark.parametrize(
    "data",
    [
        {"x": math.nan, "y": math.inf, "z": 0.1},  # orjson would write null for the first two
        {"n": 2**64},  # past 64 bits: orjson refuses
        {"s": "\ud800"},  # a lone surrogate: orjson refuses
    ],
)
def test_message_values_orjson_cannot_write_as_written_are_the_standard_encoder_s(
    data: dict[str, Any],
) -> None:
    message = wire.encode(replace(EVENT, data=data), "ab" * 32)
    body = {"payload": data, "actor": {"id": EVENT.actor_id, "name": EVENT.actor_name}}
    assert message.value == json.dumps(body).encode()
    assert message == wire._encode_with_binding(replace(EVENT, data=data), "ab" * 32)


@pytest.mark.parametrize("change", [{"id": ""}, {"time": datetime(2020, 1, 1)}, {"subject": ""}])
def test_wire_encoding_refuses_what_the_binding_refuses(change: dict[str, Any]) -> None:
    with pytest.raises(CloudEventValidationError):
        wire.encode(replace(EVENT, **change), "ab" * 32)


@pytest.fixture
def ledger(tmp_path: Path) -> CooperationLedger:
    ledger = CooperationLedger("police", SqliteStore(tmp_path))
    ids = write_history(ledger, records=3, rounds=2)
    correct(ledger, ids[0], date(2013, 1, 1), title="Accord corrigé", themes=["cybercrime"])
    # Money in a correction's changes: a Decimal, stored with its type, read as text.
    funding = {"amount": "10.5", "currency": "EUR"}
    correct(ledger, ids[2], date(2013, 1, 2), funding=funding, partner_countries=["KH", "LA"])
    amend(ledger, ids[1], date(2013, 2, 1), "Avenant « spécial »")
    sign(ledger, "B-1")

    def as_version_1(state: dict[str, Any]) -> None:  # as v1 stored it: one partner country
        del state["class_version"], state["partner_organisations"]
        state["partner_country"] = state.pop("partner_countries")[0]

    StoreTamper(ledger).update_state(ledger.read_log(0, 1000)[-1][0], as_version_1)
    return ledger


def first_row(ledger: CooperationLedger) -> Notification:
    """The first stored domain event, as the library reads it."""
    return ledger.recorder.select_notifications(
        start=0, limit=1, topics=DOMAIN_EVENT_TOPICS, inclusive_of_start=False
    )[0]


def library_path(ledger: CooperationLedger) -> list[tuple[int, EventEnvelope]]:
    """``read_log`` as the library alone decodes it (mapper, domain events, ``envelope``)."""
    rows = ledger.recorder.select_notifications(
        start=0, limit=1000, topics=DOMAIN_EVENT_TOPICS, inclusive_of_start=False
    )
    return [
        (n.id, envelope(ledger.mapper.to_domain_event(n), _aggregate_type_of_topic(n.topic), n.id))
        for n in rows
    ]


def test_read_log_decodes_stored_rows_as_the_library_does(ledger: CooperationLedger) -> None:
    fast = list(ledger.read_log(0, 1000))

    assert fast == library_path(ledger)
    assert fast[-1][1].data["partner_countries"] == ["VN"]  # upcast by the library
    assert [chain.canonical(e) for _, e in fast] == [
        reference_canonical(e) for _, e in library_path(ledger)
    ]


def test_rows_the_decoder_cannot_read_take_the_library_path(ledger: CooperationLedger) -> None:
    row = first_row(ledger)
    state = json.loads(row.state)
    decode = ledger.row_decoder.envelope

    def decoded(**changes: Any) -> EventEnvelope | None:
        changed = json.dumps({**state, **changes}).encode()
        return decode(row.id, row.originator_id, row.originator_version, row.topic, changed)

    assert decoded() is not None
    assert decoded(class_version=1) is None  # upcasting is the library's
    assert decoded(timestamp={"_type_": "unknown", "_data_": "x"}) is None
    assert decode(row.id, str(row.originator_id), 1, row.topic, row.state) is None
    assert decode(row.id, row.originator_id, 1, "nowhere:Nothing.Happened", row.state) is None
    assert decode(row.id, row.originator_id, 1, row.topic, b"{not json") is None


def test_the_walk_builds_the_same_entries_as_the_dataclass() -> None:
    canonical = chain.canonical(EVENT)
    item = Item(
        EVENT.position, EVENT.id, EVENT.aggregate_type, EVENT.aggregate_id, EVENT.version, canonical
    )
    entry = _entry(item, chain.genesis("police"))

    assert set(vars(entry)) == {f.name for f in fields(Entry)}
    assert entry == Entry(
        position=EVENT.position,
        event_id=EVENT.id,
        aggregate_type=EVENT.aggregate_type,
        aggregate_id=EVENT.aggregate_id,
        version=EVENT.version,
        digest=hashlib.sha256(canonical).hexdigest(),
        link=chain.link(chain.genesis("police"), EVENT),
    )


def chained_reference(ledger: CooperationLedger) -> list[tuple[str, str, str, int, bytes]]:
    """What ``RowDecoder.chained`` must give: the library's envelopes and their canonical bytes."""
    return [
        (e.id, e.aggregate_type, e.aggregate_id, e.version, reference_canonical(e))
        for _, e in library_path(ledger)
    ]


def test_chained_gives_the_canonical_bytes_of_the_library_envelope(
    ledger: CooperationLedger,
) -> None:
    rows = ledger.recorder.select_notifications(
        start=0, limit=1000, topics=DOMAIN_EVENT_TOPICS, inclusive_of_start=False
    )
    chained = ledger.row_decoder.chained
    found = [
        chained(n.id, str(n.originator_id), n.originator_version, n.topic, n.state) for n in rows
    ]

    assert found[-1] is None  # the version-1 row: upcasting is the library's
    expected = chained_reference(ledger)
    assert found[:-1] == expected[:-1]
    assert [item.canonical for item in read_page(ledger, 0, 1000)] == [c[-1] for c in expected]


@pytest.mark.parametrize(
    "changes",
    [
        {"class_version": 1},
        {"timestamp": {"_type_": "unknown", "_data_": "x"}},
        {"timestamp": "2020-01-01T00:00:00+00:00"},  # text, not a datetime
        {"actor_name": 5},
        {"causation_id": 7},
        {"title": 1.5},  # floats: the reference writes them
        {"themes": [{"x": 1e16}]},
        {"tenant": {"_type_": "uuid_hex", "_data_": "0" * 32}},
    ],
)
def test_chained_leaves_what_it_cannot_write_to_the_library(
    ledger: CooperationLedger, changes: dict[str, Any]
) -> None:
    row = first_row(ledger)
    state = json.loads(row.state)
    chained = ledger.row_decoder.chained
    record, version = str(row.originator_id), row.originator_version

    assert chained(row.id, record, version, row.topic, row.state) is not None
    changed = json.dumps({**state, **changes}).encode()
    assert chained(row.id, record, version, row.topic, changed) is None
    not_text: Any = row.originator_id  # a UUID, not the record id's text
    assert chained(row.id, not_text, version, row.topic, row.state) is None
    assert chained(row.id, record, version, "nowhere:Nothing.Happened", row.state) is None


def test_chained_event_ids_are_the_envelope_event_ids(ledger: CooperationLedger) -> None:
    rng = random.Random(5)
    decoder = ledger.row_decoder
    assert isinstance(decoder, RowDecoder)
    for _ in range(2000):
        tenant, record = rng.choice(["police", "x-y", "ü"]), str(uuid4())
        version = rng.randint(0, 10**12)
        assert decoder._event_id(tenant, record, version) == event_id(tenant, record, version)


TIMES = [
    "2026-12-05T01:18:00.172917+00:00",
    "2011-12-09T00:00:00+00:00",
    "2011-12-09T00:00:00.000000+00:00",
    "2011-12-09T00:00:00.5+00:00",
    "2011-12-09T01:00:00+01:00",
    "2011-12-09 00:00:00+00:00",
    "2011-12-09T00:00:00.000000Z",
    "2011-12-09T00:00:00.000000",
    "2011-13-09T00:00:00.000000+00:00",
    "2011-02-30T00:00:00+00:00",
    "0000-12-09T00:00:00+00:00",
    "2011-12-09T24:00:00+00:00",
    "2011-12-09T00:00:60+00:00",
    "2011-12-\u0669\u0669T00:00:00+00:00",
]
DATES = ["2011-12-09", "20111209", "2011-W49-5", "2011-02-30", "0000-01-01", "2011-12-09T00:00"]


@pytest.mark.parametrize(
    ("field", "kind", "text"),
    [("timestamp", "datetime_iso", t) for t in TIMES]
    + [("business_time", "datetime_iso", t) for t in TIMES]
    + [("signed_on", "date_iso", d) for d in DATES],
)
def test_chained_writes_stored_times_as_the_library_does(
    ledger: CooperationLedger, field: str, kind: str, text: str
) -> None:
    """Stored datetimes and dates already in their canonical spelling are written as they are."""
    row = first_row(ledger)
    state = json.loads(row.state)
    assert state[field]["_type_"] == kind
    changed = json.dumps({**state, field: {"_type_": kind, "_data_": text}}).encode()
    stored = (row.id, str(row.originator_id), row.originator_version, row.topic, changed)

    found = ledger.row_decoder.chained(*stored)
    reference = _library_item(ledger, stored)
    if reference.problem is not None:
        assert found is None
    else:
        assert found is not None
        assert found[-1] == reference.canonical


def relay_messages(pages: list[tuple[int, Any]], tenant: str) -> list[tuple[str, wire.WireMessage]]:
    """The relay's chain heads and messages for ``read_log`` or ``read_published`` pages."""
    head, out = chain.genesis(tenant), []
    for _, event in pages:
        if isinstance(event, Published):
            head = chain.link_canonical(head, event.canonical)
            out.append((head, wire.encode_document(event.document, head)))
        else:
            head = chain.link(head, event)
            out.append((head, wire.encode(event, head)))
    return out


def test_published_gives_the_relay_the_messages_and_chain_of_the_library_envelopes(
    ledger: CooperationLedger,
) -> None:
    published = list(ledger.read_published(0, 1000))

    assert [type(event) for _, event in published[:-1]] == [Published] * (len(published) - 1)
    assert isinstance(published[-1][1], EventEnvelope)  # the version-1 row: upcast by the library
    assert [position for position, _ in published] == [p for p, _ in library_path(ledger)]
    assert relay_messages(published, "police") == relay_messages(library_path(ledger), "police")
    canonicals = [c.canonical for _, c in published if isinstance(c, Published)]
    assert canonicals == [c[-1] for c in chained_reference(ledger)][:-1]


@pytest.mark.parametrize(
    "changes",
    [
        {"class_version": 1},
        {"timestamp": {"_type_": "datetime_iso", "_data_": "2011-12-09T01:00:00+01:00"}},
        {"timestamp": "2020-01-01T00:00:00+00:00"},
        {"causation_id": 7},
        {"title": 1.5},
        {"themes": [{"n": 2**70}]},
    ],
)
def test_published_leaves_what_it_cannot_write_to_the_library(
    ledger: CooperationLedger, changes: dict[str, Any]
) -> None:
    row = first_row(ledger)
    published = ledger.row_decoder.published
    stored = (row.id, row.originator_id, row.originator_version, row.topic)

    assert published(*stored, row.state) is not None
    assert published(*stored, json.dumps({**json.loads(row.state), **changes}).encode()) is None
    assert published(row.id, str(row.originator_id), *stored[2:], row.state) is None


@pytest.mark.parametrize(
    ("field", "text"),
    [("timestamp", t) for t in TIMES] + [("business_time", t) for t in TIMES],
)
def test_published_messages_spell_stored_times_as_encode_does(
    ledger: CooperationLedger, field: str, text: str
) -> None:
    row = first_row(ledger)
    changed = {**json.loads(row.state), field: {"_type_": "datetime_iso", "_data_": text}}
    state = json.dumps(changed).encode()
    stored = (row.id, row.originator_id, row.originator_version, row.topic, state)
    try:
        expected: tuple[str, wire.WireMessage] | None = relay_messages(
            [(row.id, ledger._library_envelope(stored))], "police"
        )[0]
    except Exception:  # the library cannot decode it: neither may the fast path
        expected = None

    found = ledger.row_decoder.published(*stored)
    if found is None:  # only a time the message spells otherwise than its canonical form
        assert expected is None or (field == "timestamp" and text not in TIMES[:3])
    else:
        assert relay_messages([(row.id, found)], "police")[0] == expected
