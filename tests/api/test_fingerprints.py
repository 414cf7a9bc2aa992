"""The Idempotency-Key fingerprint: the same JSON is the same request, old receipts still match.

The fingerprint is SHA-256 of the method, path and canonical body, written by
orjson with sorted keys since 2026-12-05; the first release wrote the canonical
body with ``json.dumps`` (ASCII escapes). A receipt recorded by either matches
its retry, and a different body under the same key is still refused.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest

from shared.auth.dev_issuer import DemoUser
from shared.http import commands
from shared.http.commands import fingerprint, first_fingerprint

from .conftest import CREATE, problem

if TYPE_CHECKING:
    from .conftest import Api

MISSION = CREATE["missions"]


def raw_post(api: Api, path: str, content: bytes, key: str) -> Any:
    headers = {
        **api.auth("police-recorder"),
        "Idempotency-Key": f"{key}.{api.salt}",
        "Content-Type": "application/json",
    }
    return api.client.post(path, content=content, headers=headers)


def test_the_same_json_reordered_and_spaced_is_the_same_request(api: Api) -> None:
    first = api.post("/api/police/missions", MISSION, key="same-json-0001")
    position = api.position()
    reordered = dict(reversed(list(MISSION.items())))
    content = json.dumps(reordered, indent=2, ensure_ascii=True).encode()

    again = raw_post(api, "/api/police/missions", content, "same-json-0001")

    assert again.status_code == 201, again.text
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["replayed"] is True
    assert api.position() == position


def test_a_receipt_of_the_first_release_still_answers_its_retry(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as first_release:
        first_release.setattr(
            commands, "fingerprint", lambda head, body, _: first_fingerprint(_route(head), body)
        )
        first = api.post(
            "/api/police/missions",
            {**MISSION, "title": "Scène de crime « été »"},
            key="old-receipt-0001",
        )
    assert first.status_code == 201, first.text
    position = api.position()

    again = api.post(
        "/api/police/missions",
        {**MISSION, "title": "Scène de crime « été »"},
        key="old-receipt-0001",
    )
    other = api.post("/api/police/missions", {**MISSION, "title": "Autre"}, key="old-receipt-0001")

    assert again.status_code == 201, again.text
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["replayed"] is True
    problem(other, 422, "idempotency-key-reused")
    assert api.position() == position


def test_an_import_receipt_of_the_first_release_still_answers_its_retry(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = {"items": [MISSION, {**MISSION, "title": "Deuxième « été »"}]}
    with monkeypatch.context() as first_release:
        first_release.setattr(
            commands, "fingerprint", lambda head, raw, _: first_fingerprint(_route(head), raw)
        )
        first = api.post("/api/police/missions/imports", body, key="old-import-0001")
    assert first.status_code == 201, first.text

    again = api.post("/api/police/missions/imports", body, key="old-import-0001")

    assert again.status_code == 201, again.text
    assert again.json() == {**first.json(), "replayed": True}


def _route(head: str) -> str:
    """The fingerprint's head as releases before the caller wrote it: method and path."""
    return head.split("caller ", 1)[0]


def test_a_receipt_recorded_before_the_caller_was_fingerprinted_answers_its_retry(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as before:
        original = commands.fingerprint
        before.setattr(
            commands, "fingerprint", lambda head, body, parsed: original(_route(head), body, parsed)
        )
        first = api.post("/api/police/missions", MISSION, key="pre-caller-0001")
    assert first.status_code == 201, first.text

    again = api.post("/api/police/missions", MISSION, key="pre-caller-0001")

    assert again.status_code == 201, again.text
    assert again.json() == {**first.json(), "replayed": True}


def test_another_caller_reusing_a_key_is_refused_not_given_the_first_one_s_answer(
    api: Api,
) -> None:
    """Two desk officers sending the same key: the second got the first's record, 201
    "replayed", and their own command was never recorded."""
    api.issuer.users["police-recorder-2"] = DemoUser(
        "police-recorder-2", "Second recorder", ("police:recorder",)
    )
    first = api.post("/api/police/missions", MISSION, key="shared-key-0001")
    position = api.position()
    headers = {"Idempotency-Key": f"shared-key-0001.{api.salt}", **api.auth("police-recorder-2")}

    other = api.client.post("/api/police/missions", json=MISSION, headers=headers)
    again = api.post("/api/police/missions", MISSION, key="shared-key-0001")

    assert first.status_code == 201, first.text
    refused = problem(other, 422, "idempotency-key-reused")
    assert "or by another caller" in refused["detail"]
    assert api.position() == position  # nothing recorded for the second caller
    assert again.json() == {**first.json(), "replayed": True}  # the first caller's retry


HEAD = "POST /api/police/missions\n"


@pytest.mark.parametrize(
    "body",
    [
        b'{"x": NaN}',  # orjson would write null
        b'{"x": [Infinity, -Infinity]}',
        b'{"big": 123456789012345678901234567890}',  # beyond orjson's 64 bits
        b'"\\ud800"',  # a lone surrogate orjson refuses
    ],
)
def test_what_orjson_cannot_write_faithfully_keeps_the_first_canonical_form(body: bytes) -> None:
    assert fingerprint(HEAD, body, json.loads(body)) == first_fingerprint(HEAD, body)


def test_different_bodies_and_routes_have_different_fingerprints() -> None:
    bodies = [b'{"x": null}', b'{"x": NaN}', b'{"x": 1}', b'{"x": 1.0}', b'{"x": "1"}', b""]
    prints = {fingerprint(HEAD, b, json.loads(b) if b else None) for b in bodies}
    prints.add(fingerprint("POST /api/police/agreements\n", b'{"x": 1}', {"x": 1}))
    assert len(prints) == len(bodies) + 1


def test_a_body_that_is_not_json_is_fingerprinted_as_its_text() -> None:
    not_json = commands._NOT_JSON
    assert fingerprint(HEAD, b"{oops", not_json) != fingerprint(HEAD, b"{oops!", not_json)


def test_amounts_that_one_float_would_hold_are_two_requests(api: Api) -> None:
    """Read as floats, 12345678901234.567 and …566 were the same body: the second amount
    got the first's answer, "replayed", and was never recorded."""
    base = json.dumps({**MISSION, "requested_on": "2013-03-01"})
    bodies = [
        base.replace('"2013-03-01"', '"2013-03-01", "x": ' + literal).encode()
        for literal in ("12345678901234.567", "12345678901234.566")
    ]
    fingerprints = {fingerprint(HEAD, b, _exact_json(b)) for b in bodies}
    assert len(fingerprints) == 2
    # past a Decimal's default 28 digits too
    long = [b'{"x": 1.25500000000000000000000000001}', b'{"x": 1.25500000000000000000000000002}']
    assert len({fingerprint(HEAD, b, _exact_json(b)) for b in long}) == 2
    # the same exact value written two ways is one request
    assert fingerprint(HEAD, b'{"x": 1.50}', _exact_json(b'{"x": 1.50}')) == fingerprint(
        HEAD, b'{"x": 1.5}', _exact_json(b'{"x": 1.5}')
    )


def _exact_json(body: bytes) -> Any:
    return json.loads(body, parse_float=Decimal)


def test_a_key_resent_with_an_amount_one_float_apart_is_refused_not_replayed(api: Api) -> None:
    def body(literal: str) -> bytes:
        funding = {"amount": "@amount@", "currency": "TND"}
        text = json.dumps({**CREATE["agreements"], "funding": funding})
        return text.replace('"@amount@"', literal).encode()

    first = raw_post(api, "/api/police/agreements", body("12345678901234.567"), "float-0001")
    position = api.position()
    other = raw_post(api, "/api/police/agreements", body("12345678901234.566"), "float-0001")
    again = raw_post(api, "/api/police/agreements", body("12345678901234.5670"), "float-0001")

    assert first.status_code == 201, first.text
    problem(other, 422, "idempotency-key-reused")
    assert again.status_code == 201, again.text  # the same value: the retry's answer
    assert again.json() == {**first.json(), "replayed": True}
    assert api.position() == position
    recorded = api.get(f"/api/police/agreements/{first.json()['id']}").json()
    assert recorded["funding"]["amount"] == "12345678901234.567"
