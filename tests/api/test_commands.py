"""What every command endpoint promises: answers, ETag, If-Match and Idempotency-Key.

Parametrised over every create and change endpoint of every collection, so a
new command added to the tables in conftest.py gets the same checks.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from .conftest import AFTER, CHANGE, CREATE, VALIDATOR_COMMANDS, problem

if TYPE_CHECKING:
    from .conftest import Api

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
COMMANDS = sorted(CHANGE)
COLLECTIONS = sorted(CREATE)


def _ids(command: tuple[str, str]) -> str:
    return "/".join(command)


def _another(body: dict[str, Any]) -> dict[str, Any]:
    """The same command with its first value changed (a day later, or other words)."""
    name, value = next(iter(body.items()))
    if isinstance(value, str) and _DAY.match(value):
        return {**body, name: (date.fromisoformat(value) + timedelta(days=1)).isoformat()}
    if isinstance(value, str):
        return {**body, name: value + " (bis)"}
    return {**body, name: [*value, "KH"]} if isinstance(value, list) else {**body, "reason": "x"}


def _user(command: tuple[str, str]) -> str:
    return "police-validator" if command in VALIDATOR_COMMANDS else "police-recorder"


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_a_create_answers_201_with_id_version_position_etag_and_location(
    api: Api, collection: str
) -> None:
    before = api.position()

    response = api.post(f"/api/police/{collection}", api.body(collection))

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["version"] == 1
    assert body["replayed"] is False
    # The record's event; an agreement's reference claim (bookkeeping) may follow it.
    assert before < body["position"] == api.platform.ledger("police").last_event_position()
    assert response.headers["ETag"] == '"1"'
    assert response.headers["X-Entente-Position"] == str(body["position"])
    assert response.headers["Location"] == f"/api/police/{collection}/{body['id']}"
    assert "Idempotent-Replayed" not in response.headers


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_a_read_returns_the_state_and_its_version_as_etag(api: Api, collection: str) -> None:
    record = api.create(collection)

    response = api.get(record.path)

    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"1"'
    state = response.json()
    assert state["id"] == record.id
    assert state["version"] == 1
    assert state["tenant"] == "police"
    assert state["classification"] == "internal"
    for name, value in CREATE[collection].items():
        if name == "reference":  # each agreement has its own (``Api.body``)
            assert state[name].startswith(f"{value}-{api.salt}-"), state[name]
        elif name not in {"funding", "planned_on"}:
            assert state[name] == value, name


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_a_create_retried_with_its_key_returns_the_first_result_and_records_nothing(
    api: Api, collection: str
) -> None:
    body = api.body(collection)
    first = api.post(f"/api/police/{collection}", body, key="retry-create-0001")
    position = api.position()

    again = api.post(f"/api/police/{collection}", body, key="retry-create-0001")

    assert again.status_code == 201, again.text
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["version"] == first.json()["version"] == 1
    assert again.json()["replayed"] is True
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["ETag"] == '"1"'
    assert api.position() == position


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_a_key_reused_with_another_body_is_refused(api: Api, collection: str) -> None:
    body = api.body(collection)
    api.post(f"/api/police/{collection}", body, key="reused-key-0001")
    position = api.position()
    other = {**body, "classification": "restricted"}

    response = api.post(f"/api/police/{collection}", other, key="reused-key-0001")

    refusal = problem(response, 422, "idempotency-key-reused")
    assert (refusal["field"], refusal["rule"]) == ("Idempotency-Key", "idempotency-key-reused")
    assert api.position() == position


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_a_malformed_idempotency_key_is_refused(api: Api, collection: str) -> None:
    before = api.position()

    response = api.post(
        f"/api/police/{collection}", CREATE[collection], headers={"Idempotency-Key": "short"}
    )

    body = problem(response, 422, "format")
    assert (body["field"], body["rule"]) == ("Idempotency-Key", "format")
    assert api.position() == before


@pytest.mark.parametrize("command", COMMANDS, ids=_ids)
def test_a_change_answers_200_with_the_next_version_and_the_state_shows_it(
    api: Api, command: tuple[str, str]
) -> None:
    collection, segment = command
    record = api.ready_for(collection, segment)
    before = api.position()

    response = api.post(
        f"{record.path}/{segment}", CHANGE[command], _user(command), version=record.version
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body == {
        "id": record.id,
        "version": record.version + 1,
        "position": before + 1,
        "replayed": False,
    }
    assert response.headers["ETag"] == f'"{record.version + 1}"'
    assert "Location" not in response.headers
    read = api.get(record.path)
    assert read.headers["ETag"] == f'"{record.version + 1}"'
    state = read.json()
    for name, value in AFTER[command].items():
        assert state[name] == value, name


@pytest.mark.parametrize("command", COMMANDS, ids=_ids)
def test_a_change_without_if_match_is_refused_with_428(api: Api, command: tuple[str, str]) -> None:
    collection, segment = command
    record = api.ready_for(collection, segment)
    before = api.position()

    response = api.post(f"{record.path}/{segment}", CHANGE[command], _user(command))

    refusal = problem(response, 428, "precondition-required")
    assert (refusal["field"], refusal["rule"]) == ("If-Match", "precondition-required")
    assert api.position() == before


@pytest.mark.parametrize("command", COMMANDS, ids=_ids)
def test_a_change_with_a_stale_if_match_is_refused_with_412(
    api: Api, command: tuple[str, str]
) -> None:
    collection, segment = command
    record = api.ready_for(collection, segment)
    before = api.position()

    response = api.post(
        f"{record.path}/{segment}", CHANGE[command], _user(command), version=record.version - 1
    )

    body = problem(response, 412, "precondition-failed")
    assert f"the current version is {record.version}" in body["detail"]
    assert (body["field"], body["rule"]) == ("If-Match", "precondition-failed")
    assert api.position() == before


@pytest.mark.parametrize("command", COMMANDS, ids=_ids)
@pytest.mark.parametrize("value", ["3", '"three"', "W/3", 'W/"3"', '"1", "2"', '"07"'])
def test_a_malformed_if_match_is_refused_with_422(
    api: Api, command: tuple[str, str], value: str
) -> None:
    collection, segment = command
    record = api.ready_for(collection, segment)
    before = api.position()

    response = api.post(
        f"{record.path}/{segment}", CHANGE[command], _user(command), headers={"If-Match": value}
    )

    body = problem(response, 422, "format")
    assert (body["field"], body["rule"]) == ("If-Match", "format")
    assert api.position() == before


@pytest.mark.parametrize("command", COMMANDS, ids=_ids)
def test_a_change_retried_with_its_key_returns_the_first_result_and_records_nothing(
    api: Api, command: tuple[str, str]
) -> None:
    collection, segment = command
    record = api.ready_for(collection, segment)
    path, user = f"{record.path}/{segment}", _user(command)
    first = api.post(path, CHANGE[command], user, version=record.version, key="retry-change-01")
    position = api.position()

    # The retry still carries the If-Match of the first attempt, now stale.
    again = api.post(path, CHANGE[command], user, version=record.version, key="retry-change-01")

    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"] == record.id
    assert again.json()["version"] == first.json()["version"] == record.version + 1
    assert again.json()["replayed"] is True
    assert again.headers["Idempotent-Replayed"] == "true"
    assert api.position() == position
    assert api.get(record.path).json()["version"] == record.version + 1


@pytest.mark.parametrize("command", COMMANDS, ids=_ids)
def test_a_change_key_reused_with_another_body_is_refused(
    api: Api, command: tuple[str, str]
) -> None:
    collection, segment = command
    record = api.ready_for(collection, segment)
    path, user = f"{record.path}/{segment}", _user(command)
    first = api.post(path, CHANGE[command], user, version=record.version, key="reused-change-1")
    position = api.position()

    other = _another(CHANGE[command])

    response = api.post(path, other, user, version=first.json()["version"], key="reused-change-1")

    problem(response, 422, "idempotency-key-reused")
    assert api.position() == position


def test_a_replayed_command_answers_the_position_of_the_first_result(api: Api) -> None:
    first = api.post("/api/police/posts", CREATE["posts"], key="same-position-01")

    again = api.post("/api/police/posts", CREATE["posts"], key="same-position-01")

    assert again.json()["position"] == first.json()["position"]


@pytest.mark.opens_posts
def test_two_changes_from_the_same_version_one_wins_the_other_gets_412(api: Api) -> None:
    record = api.create("posts")
    path = f"{record.path}/corrections"
    correction = {"reason": "Name as in the decree", "corrected_on": "2005-09-02"}

    winner = api.post(path, {**correction, "changes": {"name": "SSI Hanoi"}}, version=1)
    loser = api.post(path, {**correction, "changes": {"name": "SSI Hà Nội"}}, version=1)

    assert winner.status_code == 200, winner.text
    assert winner.json()["version"] == 2
    body = problem(loser, 412, "precondition-failed")
    assert body["detail"] == "If-Match names version 1; the current version is 2"
    state = api.get(record.path).json()
    assert (state["name"], state["version"]) == ("SSI Hanoi", 2)


def test_a_record_says_when_and_why_it_was_suspended_or_terminated(api: Api) -> None:
    """The register showed terminated_on; the record said neither when nor why (probe 8)."""
    suspended = api.walk("agreements", "suspension")
    resumed = api.walk("agreements", "suspension", "resumption")
    terminated = api.walk("agreements", "termination")

    on_hold = api.get(suspended.path).json()
    again = api.get(resumed.path).json()
    ended = api.get(terminated.path).json()

    assert (on_hold["suspended_on"], on_hold["suspension_reason"]) == (
        "2013-03-16",
        "Sanitary crisis",
    )
    assert (again["suspended_on"], again["suspension_reason"]) == (None, None)
    assert (ended["terminated_on"], ended["termination_reason"]) == (
        "2014-01-01",
        "Replaced by a new agreement",
    )
    assert (on_hold["terminated_on"], on_hold["termination_reason"]) == (None, None)
