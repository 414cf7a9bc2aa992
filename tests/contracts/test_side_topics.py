"""Checkpoints and dead letters, as the relay and the projector encode them, match the contract.

docs/asyncapi.yaml describes both side topics with schemas declared in
``shared.events.schemas``; these tests run the real encoders (the relay's
``encode_checkpoint``, the projector's ``dead_letter_message``) so that a
change on either side fails here instead of surprising an auditor's tool.
"""

from __future__ import annotations

import base64
import json
import typing
from datetime import UTC, datetime
from typing import Any

import pytest
from jsonschema import Draft7Validator, Draft202012Validator

from shared.events import asyncapi, schemas
from shared.events.alert_schemas import ALERT_HEADERS_SCHEMA, ALERT_SCHEMA
from shared.events.chain import CHAIN_VERSION, genesis
from shared.events.wire import UndecodableMessageError
from shared.kafka.dead_letters import dead_letter_message
from shared.relay.checkpoint import CHECKPOINT_TYPE, Checkpoint, encode_checkpoint
from shared.reporting.alert_messages import decode_alert
from shared.views.dead_letters import DeadLetter, PoisonKind

PARKED_AT = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def _errors(schema: dict[str, Any], instance: object) -> list[str]:
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(instance)]


def _key_schema(message: str) -> dict[str, Any]:
    """The Kafka key schema the AsyncAPI document gives ``message``."""
    key: dict[str, Any] = asyncapi.build()["components"]["messages"][message]["bindings"]["kafka"][
        "key"
    ]
    return key


def _headers(raw: list[tuple[str, bytes]]) -> dict[str, str]:
    return {name: value.decode() for name, value in raw}


def test_the_contract_names_the_relays_checkpoint_type() -> None:
    assert schemas.CHECKPOINT_TYPE == CHECKPOINT_TYPE


def test_a_checkpoint_as_the_relay_publishes_it_conforms() -> None:
    checkpoint = Checkpoint("civil-protection", 2000, genesis("police"), 2417, PARKED_AT)

    message = encode_checkpoint(checkpoint)

    assert message.key == b"civil-protection"
    assert _errors(_key_schema("Checkpoint"), message.key.decode()) == []
    assert _errors(schemas.CHECKPOINT_HEADERS_SCHEMA, _headers(message.headers)) == []
    value = json.loads(message.value)
    assert _errors(schemas.CHECKPOINT_SCHEMA, value) == []
    assert value["chain"] == CHAIN_VERSION


def test_the_contract_lists_every_kind_of_dead_letter() -> None:
    assert typing.get_args(PoisonKind) == schemas.DEAD_LETTER_KINDS


@pytest.mark.parametrize(
    "letter",
    [
        DeadLetter(
            topic="entente.police.events",
            partition=2,
            offset=41,
            kind="undecodable",
            reason="not an Entente CloudEvent: no ce_type",
            parked_at=PARKED_AT,
            key=b"\x00\xff",
            headers=(("ce_id", b"x"), ("traceparent", b"\xff")),
            value=b"\xff not json",
        ),
        DeadLetter(
            topic="entente.civil-protection.events",
            partition=0,
            offset=7,
            kind="schema-violation",
            reason="fr.interieur.entente.mission.requested.v1: $.payload: ...",
            parked_at=PARKED_AT,
            key=b"3f0c1b7e-8a57-4c37-9f62-1d2a3b4c5d6e",
            value=b'{"id": "..."}',
            event_id="0b6e0c1e-0000-5000-8000-000000000001",
            event_type="fr.interieur.entente.mission.requested.v1",
        ),
        DeadLetter(
            topic="entente.gendarmerie.events",
            partition=1,
            offset=0,
            kind="unknown-type",
            reason="no handler for event type 'fr.interieur.entente.mission.teleported.v1'",
            parked_at=PARKED_AT,
        ),
    ],
    ids=["undecodable", "schema-violation", "unknown-type-without-bytes"],
)
def test_a_dead_letter_as_the_projector_publishes_it_conforms(letter: DeadLetter) -> None:
    message = dead_letter_message(letter)

    assert _errors(schemas.DEAD_LETTER_HEADERS_SCHEMA, _headers(message.headers)) == []
    value = json.loads(message.value)
    assert _errors(schemas.DEAD_LETTER_SCHEMA, value) == []
    if letter.value is not None:
        assert base64.b64decode(value["value"]) == letter.value
    assert _errors(_key_schema("DeadLetter"), message.key.decode()) == []


@pytest.mark.parametrize(
    "name",
    [
        "HEADERS_SCHEMA",
        "ACTOR_SCHEMA",
        "CHECKPOINT_HEADERS_SCHEMA",
        "CHECKPOINT_SCHEMA",
        "DEAD_LETTER_HEADERS_SCHEMA",
        "DEAD_LETTER_SCHEMA",
    ],
)
def test_each_hand_written_schema_is_valid_in_2020_12_and_draft_07(name: str) -> None:
    schema = getattr(schemas, name)

    Draft202012Validator.check_schema(schema)
    Draft7Validator.check_schema(schema)


@pytest.mark.parametrize("schema", [ALERT_HEADERS_SCHEMA, ALERT_SCHEMA], ids=["headers", "value"])
def test_the_alert_schemas_are_valid_in_2020_12_and_draft_07(schema: dict[str, Any]) -> None:
    Draft202012Validator.check_schema(schema)
    Draft7Validator.check_schema(schema)


def test_an_alert_that_is_not_one_is_refused_by_name() -> None:
    checkpoint = encode_checkpoint(Checkpoint("police", 1, genesis("police"), 1, PARKED_AT))

    with pytest.raises(UndecodableMessageError, match="not an overlap alert"):
        decode_alert(checkpoint.headers, checkpoint.value)
