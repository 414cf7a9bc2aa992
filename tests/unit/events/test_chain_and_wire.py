"""The chain's canonical encoding is pinned by vectors; the wire format round-trips."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from shared.events import chain, wire
from shared.events.envelope import EventEnvelope

EVENT = EventEnvelope(
    id="0b6e0c1e-0000-5000-8000-000000000001",
    type="fr.interieur.entente.mission.requested.v1",
    source="/entente/police",
    subject="3f0c1b7e-8a57-4c37-9f62-1d2a3b4c5d6e",
    time=datetime(2026, 11, 23, 18, 0, 0, 123456, tzinfo=UTC),
    tenant="police",
    aggregate_type="mission",
    aggregate_id="3f0c1b7e-8a57-4c37-9f62-1d2a3b4c5d6e",
    version=1,
    position=42,
    business_time=datetime(2013, 7, 8, tzinfo=UTC),
    actor_id="u1",
    actor_name="Agent Dupont",
    correlation_id="c1",
    causation_id=None,
    classification="internal",
    schema_version=1,
    data={"title": "Protection des mineurs", "countries": ["VN"]},
)
GENESIS_POLICE = "494b736831041265020f45d247463ad630a23056b7989e1cadd9e065f125d455"
FIRST_LINK = "3c792127a11f7bfbe33dae15457fa8aaf298b2f466658670f9ca8cf9754a44b2"


def test_the_chain_vectors_of_version_1_do_not_change() -> None:
    assert chain.CHAIN_VERSION == "entente-chain/1"
    assert chain.genesis("police") == GENESIS_POLICE
    assert chain.link(GENESIS_POLICE, EVENT) == FIRST_LINK


@pytest.mark.parametrize(
    "change",
    [
        {"data": {"title": "Protection des mineurs", "countries": ["KH"]}},
        {"position": 43},
        {"business_time": datetime(2013, 7, 9, tzinfo=UTC)},
        {"actor_name": "Agent Martin"},
        {"classification": "restricted"},
    ],
)
def test_any_altered_field_changes_the_link(change: dict[str, object]) -> None:
    assert chain.link(GENESIS_POLICE, replace(EVENT, **change)) != FIRST_LINK  # type: ignore[arg-type]


def test_the_same_instant_in_another_zone_hashes_the_same() -> None:
    from datetime import timedelta, timezone

    paris = EVENT.time.astimezone(timezone(timedelta(hours=1)))
    assert chain.link(GENESIS_POLICE, replace(EVENT, time=paris)) == FIRST_LINK


def test_an_envelope_round_trips_through_the_wire_format() -> None:
    message = wire.encode(EVENT, FIRST_LINK)

    decoded, chain_hash = wire.decode(message.headers, message.value, message.key)

    assert decoded == EVENT
    assert chain_hash == FIRST_LINK
    assert message.key == EVENT.aggregate_id.encode()


def test_personal_data_stays_out_of_headers_and_key() -> None:
    message = wire.encode(EVENT, FIRST_LINK)

    exposed = b" ".join([message.key, *(value for _, value in message.headers)])

    assert b"Dupont" not in exposed
    assert b"u1" not in [value for _, value in message.headers]
    assert dict(message.headers)["ce_specversion"] == b"1.0"
    assert dict(message.headers)["ce_tenant"] == b"police"


@pytest.mark.parametrize(
    ("headers", "value"),
    [
        ([], b"{}"),
        ([("ce_specversion", b"1.0")], b"not json"),
        (None, b'{"actor": {}}'),
    ],
)
def test_a_poison_message_is_named_as_such(
    headers: list[tuple[str, bytes]] | None, value: bytes
) -> None:
    sent = wire.encode(EVENT, FIRST_LINK).headers if headers is None else headers
    with pytest.raises(wire.UndecodableMessageError):
        wire.decode(sent, value, b"key")
