"""``wire.decode`` reads messages directly, and gives exactly what the binding gives.

The direct reader (``_decode_direct``) takes only messages shaped as ``encode``
writes them and hands everything else to the ``cloudevents`` binding
(``_decode_with_binding``). Pinned here: on real messages of every event type
and on every time spelling the encoder can write, the same envelope (down to
the time zone objects) and chain hash; on malformed messages, the same result
or the same ``UndecodableMessageError`` message, so poison is classified as
before.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from shared.events import wire
from shared.events.envelope import EventEnvelope
from tests.contracts.test_message_schemas import (  # noqa: F401  (fixtures)
    Published,
    representative,
    sample,
)
from tests.unit.events.test_chain_and_wire import EVENT, FIRST_LINK

Headers = list[tuple[str, bytes]]


def outcome(decoder: Callable[..., Any], headers: Any, value: Any, key: Any) -> object:
    """What a decoder returns, or the message of the UndecodableMessageError it raises."""
    try:
        result: object = decoder(headers, value, key)
    except wire.UndecodableMessageError as error:
        return ("undecodable", str(error))
    return result


def assert_identical(fast: tuple[EventEnvelope, str], reference: tuple[EventEnvelope, str]) -> None:
    """Equal, and equal field by field in type and time zone (``==`` hides zone differences)."""
    assert fast == reference
    for field in fields(EventEnvelope):
        mine, theirs = getattr(fast[0], field.name), getattr(reference[0], field.name)
        assert type(mine) is type(theirs), field.name
        if isinstance(mine, datetime):
            assert type(mine.tzinfo) is type(theirs.tzinfo), field.name
            assert mine.utcoffset() == theirs.utcoffset(), field.name
            assert mine.isoformat() == theirs.isoformat(), field.name
            assert mine.tzinfo == theirs.tzinfo, field.name


def decoded_directly(message: wire.WireMessage) -> tuple[EventEnvelope, str]:
    fast = wire._decode_direct(message.headers, message.value, message.key)
    assert fast is not None, "the direct reader refused a message encode wrote"
    reference = wire._decode_with_binding(message.headers, message.value, message.key)
    assert_identical(fast, reference)
    assert wire.decode(message.headers, message.value, message.key) == reference
    return fast


def test_every_event_type_decodes_directly_as_the_binding_decodes_it(
    representative: list[Published],  # noqa: F811
) -> None:
    for published in representative:
        event, chain_hash = decoded_directly(published.message)
        assert chain_hash == dict(published.message.headers)["ce_chainhash"].decode()
        assert event.id == published.event.id


def test_the_sample_data_decodes_directly_as_the_binding_decodes_it(
    sample: list[Published],  # noqa: F811
) -> None:
    assert len(sample) > 1000
    for published in sample:
        decoded_directly(published.message)


@pytest.mark.parametrize(
    "time",
    [
        datetime(2026, 11, 23, 18, 0, 0, 123456, tzinfo=UTC),  # ...Z with microseconds
        datetime(2026, 11, 23, 18, 0, 0, tzinfo=UTC),  # ...Z, no fraction
        datetime(2026, 11, 23, 18, 0, 0, 1, tzinfo=UTC),
        datetime(2026, 11, 23, 18, 0, tzinfo=timezone(timedelta(hours=2))),
        datetime(2026, 11, 23, 18, 0, 0, 5, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
        datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=23, minutes=59))),
        datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=-23, minutes=-59))),
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 1, 1, tzinfo=timezone(timedelta(0), "named")),  # a zero offset, not UTC
    ],
)
def test_every_time_spelling_decodes_directly_as_the_binding_decodes_it(time: datetime) -> None:
    decoded_directly(wire.encode(replace(EVENT, time=time), FIRST_LINK))


def test_random_times_and_payloads_decode_directly_as_the_binding_decodes_them() -> None:
    rng = random.Random(11)
    for _ in range(2000):
        zone = timezone(timedelta(minutes=rng.randint(-23 * 60 - 59, 23 * 60 + 59)))
        moment = datetime(2000, 1, 1, tzinfo=UTC) + timedelta(
            seconds=rng.randint(0, 10**9), microseconds=rng.choice([0, rng.randint(0, 999999)])
        )
        data = {
            "n": rng.randint(-(10**18) + 1, 10**18 - 1),  # longer: the binding reads them
            "f": rng.random() * 10 ** rng.randint(-20, 20),
            "s": "".join(chr(rng.randint(1, 0x2FFF)) for _ in range(5)),
            "l": [None, True, {"x": []}],
        }
        event = replace(
            EVENT,
            time=moment.astimezone(zone),
            data=data,
            causation_id=rng.choice([None, "", "c-1"]),
            actor_name=rng.choice(["", "Zoë \U0001f600"]),
        )
        decoded_directly(wire.encode(event, FIRST_LINK))


@pytest.mark.parametrize("n", [2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1, 10**30])
def test_long_integers_stay_exact(n: int) -> None:
    """Integers past 64 bits too (orjson would read them as floats): as the binding reads them."""
    message = wire.encode(replace(EVENT, data={"n": n}), FIRST_LINK)
    direct = wire._decode_direct(message.headers, message.value, message.key)
    assert direct is not None
    assert direct == wire._decode_with_binding(message.headers, message.value, message.key)
    decoded = direct[0].data["n"]
    assert type(decoded) is int
    assert decoded == n


GOOD = wire.encode(replace(EVENT, causation_id="c-0"), FIRST_LINK)


def _set(headers: Headers, name: str, value: Any) -> Headers:
    return [(n, value if n == name else v) for n, v in headers]


def _without(headers: Headers, name: str) -> Headers:
    return [(n, v) for n, v in headers if n != name]


TIMES = [
    b"2026-11-23T18:00:00+00:00",
    b"2026-11-23T18:00:00-00:00",
    b"2026-11-23T18:00:00z",
    b"2026-11-23T18:00:00",
    b"2026-11-23T18:00:00.123Z",
    b"2026-11-23T18:00:00.1234567Z",
    b"2026-11-23T18:00:00,123456Z",
    b"2026-11-23T24:00:00Z",
    b"2026-11-23T23:59:60Z",
    b"2026-11-23 18:00:00Z",
    b"20261123T180000Z",
    b"2026-11-23T18:00Z",
    b"2026-11-23T18:00:00+0100",
    b"2026-11-23T18:00:00+01",
    b"2026-11-23T18:00:00+01:00:30",
    b"2026-11-23T18:00:00+24:00",
    b"2026-11-23T18:00:00+01:60",
    b"2026-02-30T18:00:00Z",
    "2026-11-23T1\u0668:00:00Z".encode(),
    b"",
    b"not a time",
]

VALUES = [
    b"",
    b"null",
    b"[]",
    b'"{\\"payload\\": {}}"',  # a JSON string holding JSON: the binding reads it twice
    b'{"payload": []}',
    b'{"payload": {}, "actor": []}',
    b'{"payload": {}, "actor": ["x"]}',
    b'{"payload": {}, "actor": 0}',
    b'{"payload": {}, "actor": {"id": null, "name": 5}}',
    b'{"payload": {}}',
    b'{"payload": {"n": 18446744073709551616}}',
    b'{"payload": {"n": -9223372036854775809}}',
    b'{"payload": {"n": 1e400}}',
    b'{"payload": {"n": NaN}}',
    b'{"payload": {"s": "\\ud800"}}',
    b'{"payload": {"a": 1, "a": 2}}',
    b'\xef\xbb\xbf{"payload": {}}',
    '{"payload": {}}'.encode("utf-16"),
    '{"payload": {}}'.encode("utf-32-be"),
    b'{"payload": {}} trailing',
    b'{"payload": {"s": "\xff"}}',
    b'{"payload": {"s": "\x01"}}',
    b" \n" + GOOD.value + b"\n",
]

MALFORMED: list[tuple[str, Any, Any, Any]] = [
    *[(f"without {n}", _without(GOOD.headers, n), GOOD.value, GOOD.key) for n, _ in GOOD.headers],
    *[(f"{n} empty", _set(GOOD.headers, n, b""), GOOD.value, GOOD.key) for n, _ in GOOD.headers],
    *[(f"{n} None", _set(GOOD.headers, n, None), GOOD.value, GOOD.key) for n, _ in GOOD.headers],
    *[(f"{n} bad", _set(GOOD.headers, n, b"\xff"), GOOD.value, GOOD.key) for n, _ in GOOD.headers],
    *[(f"{n} as str", _set(GOOD.headers, n, "x"), GOOD.value, GOOD.key) for n, _ in GOOD.headers],
    *[(f"time {t!r}", _set(GOOD.headers, "ce_time", t), GOOD.value, GOOD.key) for t in TIMES],
    *[(f"value {v!r}", GOOD.headers, v, GOOD.key) for v in VALUES],
    ("value None", GOOD.headers, None, GOOD.key),
    ("key None", GOOD.headers, GOOD.value, None),
    ("key not UTF-8", GOOD.headers, GOOD.value, b"\xff"),
    ("key str", GOOD.headers, GOOD.value, "k"),
    ("no headers", [], GOOD.value, GOOD.key),
    ("headers None", None, GOOD.value, GOOD.key),
    ("repeated, last wins", [*GOOD.headers, ("ce_tenant", b"gendarmerie")], GOOD.value, GOOD.key),
    ("repeated, last bad", [*GOOD.headers, ("ce_position", b"x")], GOOD.value, GOOD.key),
    ("an upper-case name", [*GOOD.headers, ("CE_ID", b"other")], GOOD.value, GOOD.key),
    ("an extra header", [*GOOD.headers, ("traceparent", b"00-ab")], GOOD.value, GOOD.key),
    ("an extra attribute", [*GOOD.headers, ("ce_extra", b"1")], GOOD.value, GOOD.key),
    ("a bad extension name", [*GOOD.headers, ("ce_bad_name", b"1")], GOOD.value, GOOD.key),
    ("datacontenttype", [*GOOD.headers, ("ce_datacontenttype", b"x")], GOOD.value, GOOD.key),
    ("a three-tuple", [*GOOD.headers, ("a", b"b", b"c")], GOOD.value, GOOD.key),
    ("specversion 0.3", _set(GOOD.headers, "ce_specversion", b"0.3"), GOOD.value, GOOD.key),
    ("specversion 2", _set(GOOD.headers, "ce_specversion", b"2.0"), GOOD.value, GOOD.key),
    ("text/plain", _set(GOOD.headers, "content-type", b"text/plain"), GOOD.value, GOOD.key),
    (
        "json with charset",
        _set(GOOD.headers, "content-type", b"application/json; charset=utf-8"),
        GOOD.value,
        GOOD.key,
    ),
    ("version x", _set(GOOD.headers, "ce_recordversion", b"x"), GOOD.value, GOOD.key),
    ("version 1_0", _set(GOOD.headers, "ce_recordversion", b"1_0"), GOOD.value, GOOD.key),
    ("version spaced", _set(GOOD.headers, "ce_recordversion", b" 7 "), GOOD.value, GOOD.key),
    ("position 1.5", _set(GOOD.headers, "ce_position", b"1.5"), GOOD.value, GOOD.key),
    ("schema x", _set(GOOD.headers, "ce_schemaversion", b"x"), GOOD.value, GOOD.key),
    ("business time", _set(GOOD.headers, "ce_businesstime", b"x"), GOOD.value, GOOD.key),
    ("business naive", _set(GOOD.headers, "ce_businesstime", b"2013-07-08"), GOOD.value, GOOD.key),
]


@pytest.mark.parametrize(
    ("headers", "value", "key"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED]
)
def test_unusual_messages_decode_or_fail_as_through_the_binding(
    headers: Headers, value: Any, key: Any
) -> None:
    reference = outcome(wire._decode_with_binding, headers, value, key)
    fast = wire._decode_direct(headers, value, key)
    if reference != outcome(wire._decode_with_binding, headers, value, key):
        assert fast is None  # the binding makes up a missing id or time: left to it
        return
    assert outcome(wire.decode, headers, value, key) == reference
    if fast is not None:
        assert isinstance(reference, tuple)
        assert isinstance(reference[0], EventEnvelope)
        assert_identical(fast, (reference[0], reference[1]))


def test_the_malformed_set_has_poison_and_decodable_messages() -> None:
    results = [outcome(wire.decode, *m[1:]) for m in MALFORMED]
    poison = [r for r in results if isinstance(r, tuple) and r[0] == "undecodable"]
    assert len(poison) > len(MALFORMED) // 2
    assert len(poison) < len(MALFORMED)


def test_random_byte_changes_decode_or_fail_as_through_the_binding() -> None:
    rng = random.Random(5)
    for _ in range(3000):
        headers = list(GOOD.headers)
        value = bytearray(GOOD.value)
        if rng.random() < 0.5:
            i = rng.randrange(len(headers))
            name, raw = headers[i]
            changed = bytearray(raw)
            if changed:
                changed[rng.randrange(len(changed))] = rng.randrange(256)
            headers[i] = (name, bytes(changed))
        else:
            value[rng.randrange(len(value))] = rng.randrange(256)
        reference = outcome(wire._decode_with_binding, headers, bytes(value), GOOD.key)
        assert outcome(wire.decode, headers, bytes(value), GOOD.key) == reference


@pytest.mark.parametrize("name", ["ce_id", "ce_time", "ce_tenant", "ce_chainhash", "ce_position"])
def test_an_event_without_an_attribute_every_entente_event_has_is_poison(name: str) -> None:
    """The binding would make up an id or a time (or read the string 'None'): refuse instead."""
    message = wire.encode(EVENT, FIRST_LINK)

    with pytest.raises(wire.UndecodableMessageError, match=f"no {name}"):
        wire.decode(_without(message.headers, name), message.value, message.key)
