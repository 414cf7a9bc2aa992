"""Bulk import of foreign requests: up to 100 in one request, all of them or none.

Every refusal is checked twice: the problem names the item at fault by its
index, and the tenant's log holds exactly the missions it held before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from .conftest import CREATE, problem

if TYPE_CHECKING:
    from .conftest import Api

IMPORTS = "/api/police/missions/imports"


def _items(count: int, **overrides: Any) -> list[dict[str, Any]]:
    return [{**CREATE["missions"], "title": f"Stage {i}", **overrides} for i in range(count)]


def _missions(api: Api, tenant: str = "police") -> list[str]:
    """The ids of every mission requested in the tenant's log, in log order."""
    log = api.platform.ledger(tenant).read_log(0, 1_000_000)
    return [e.aggregate_id for _, e in log if e.type.endswith(".mission.requested.v1")]


def test_a_hundred_requests_are_recorded_readable_and_logged_in_order(api: Api) -> None:
    before = api.position()

    response = api.post(IMPORTS, {"items": _items(100)})

    assert response.status_code == 201, response.text
    body = response.json()
    ids = [r["id"] for r in body["records"]]
    assert (body["count"], len(set(ids)), body["replayed"]) == (100, 100, False)
    assert {r["version"] for r in body["records"]} == {1}
    assert body["position"] == before + 100 == api.position()
    assert response.headers["X-Entente-Position"] == str(body["position"])
    for i in (0, 42, 99):
        state = api.get(f"/api/police/missions/{ids[i]}").json()
        assert (state["title"], state["status"], state["version"]) == (f"Stage {i}", "requested", 1)
    log = api.platform.ledger("police").read_log(before, 1000)
    assert [e.aggregate_id for _, e in log] == ids
    assert [p for p, _ in log] == list(range(before + 1, before + 101))


def test_a_hundred_and_one_requests_are_refused_and_nothing_is_recorded(api: Api) -> None:
    before = _missions(api)

    response = api.post(IMPORTS, {"items": _items(101)})

    body = problem(response, 422, "invalid-input")
    assert (body["field"], body["rule"]) == ("items", "too_long")
    assert "at most 100 items" in body["detail"]
    assert _missions(api) == before


def test_an_empty_import_is_refused(api: Api) -> None:
    position = api.position()

    response = api.post(IMPORTS, {"items": []})

    body = problem(response, 422, "invalid-input")
    assert (body["field"], body["rule"]) == ("items", "too_short")
    assert api.position() == position


def test_a_malformed_item_is_named_by_its_index_and_nothing_is_recorded(api: Api) -> None:
    items = _items(10)
    del items[5]["title"]
    items[7]["colour"] = "blue"
    before = _missions(api)

    response = api.post(IMPORTS, {"items": items})

    body = problem(response, 422, "batch-rejected")
    assert [(e["index"], e["field"], e["rule"]) for e in body["errors"]] == [
        (5, "items.5.title", "missing"),
        (7, "items.7.colour", "extra_forbidden"),
    ]
    assert _missions(api) == before


def test_malformed_items_and_rule_breaking_items_are_named_in_one_answer(api: Api) -> None:
    """The well-formed items' business rules are checked too: one round trip fixes all."""
    items = _items(5)
    items[0]["title"] = "x" * 501
    items[0]["colour"] = "blue"
    items[2]["countries"] = ["XX"]
    items[3]["requested_on"] = "2150-01-01"
    items[4]["countries"] = [5]  # named as the domain names a list's item: countries[0]
    position = api.position()

    body = problem(api.post(IMPORTS, {"items": items}), 422, "batch-rejected")

    assert [(e["index"], e["field"], e["rule"]) for e in body["errors"]] == [
        (0, "items.0.title", "string_too_long"),
        (0, "items.0.colour", "extra_forbidden"),
        (2, "items.2.countries[0]", "unknown-country"),
        (3, "items.3.requested_on", "not-in-future"),
        (4, "items.4.countries[0]", "string_type"),
    ]
    assert body["detail"].startswith("4 of 5 items are invalid and nothing was recorded")
    assert api.position() == position


def test_an_item_dated_outside_the_ledgers_years_is_named_with_its_index(api: Api) -> None:
    items = _items(4)
    items[2]["requested_on"] = "9024-01-01"  # for 2024
    position = api.position()

    body = problem(api.post(IMPORTS, {"items": items}), 422, "batch-rejected")

    assert [(e["index"], e["field"], e["rule"]) for e in body["errors"]] == [
        (2, "items.2.requested_on", "date-range")
    ]
    assert api.position() == position


def test_items_breaking_business_rules_are_all_named_and_nothing_is_recorded(api: Api) -> None:
    items = _items(20)
    items[3]["requested_on"] = "2150-01-01"
    items[11]["mission_type"] = "picnic"
    before = _missions(api)
    position = api.position()

    response = api.post(IMPORTS, {"items": items})

    body = problem(response, 422, "batch-rejected")
    assert [(e["index"], e["field"], e["rule"]) for e in body["errors"]] == [
        (3, "items.3.requested_on", "not-in-future"),
        (11, "items.11.mission_type", "vocabulary"),
    ]
    assert body["detail"].startswith("2 of 20 items are invalid and nothing was recorded")
    assert _missions(api) == before
    assert api.position() == position


def test_every_field_an_item_gets_wrong_is_named(api: Api) -> None:
    """An item with a wrong type and a wrong theme was named for its type only."""
    items = _items(4)
    items[1].update(mission_type="picnic", themes=["narcotics", "gardening"])
    position = api.position()

    body = problem(api.post(IMPORTS, {"items": items}), 422, "batch-rejected")

    assert [(e["index"], e["field"], e["rule"]) for e in body["errors"]] == [
        (1, "items.1.mission_type", "vocabulary"),
        (1, "items.1.themes[1]", "vocabulary"),
    ]
    assert body["detail"].startswith("1 of 4 items are invalid and nothing was recorded")
    assert api.position() == position


@pytest.mark.opens_posts
@pytest.mark.parametrize("owner", ["nobody", "gendarmerie"])
def test_an_item_naming_an_unknown_post_is_named_by_its_index(api: Api, owner: str) -> None:
    post_id = "0b5f2f8e-3c1d-4f7a-9a63-2f1e5d8c7b6a"
    if owner == "gendarmerie":
        post_id = api.create("posts", tenant="gendarmerie").id
    ours = api.create("posts").id
    items = _items(4, post_id=ours)
    items[2]["post_id"] = post_id
    before = _missions(api)

    response = api.post(IMPORTS, {"items": items})

    [error] = problem(response, 422, "batch-rejected")["errors"]
    assert (error["index"], error["field"], error["rule"]) == (2, "items.2.post_id", "unknown-post")
    assert error["message"] == f"no post abroad {post_id} in this directorate"
    assert _missions(api) == before


@pytest.mark.opens_posts
def test_items_may_name_a_post_of_the_directorate(api: Api) -> None:
    post = api.create("posts").id

    response = api.post(IMPORTS, {"items": _items(3, post_id=post)})

    assert response.status_code == 201, response.text
    for record in response.json()["records"]:
        assert api.get(f"/api/police/missions/{record['id']}").json()["post_id"] == post


def test_an_import_retried_with_its_key_returns_the_first_result_and_records_nothing(
    api: Api,
) -> None:
    items = _items(30)
    first = api.post(IMPORTS, {"items": items}, key="import-retry-0001")
    position = api.position()

    again = api.post(IMPORTS, {"items": items}, key="import-retry-0001")

    assert again.status_code == 201, again.text
    assert again.json()["records"] == first.json()["records"]
    assert again.json()["position"] == first.json()["position"] == position - 1  # the receipt
    assert again.json()["replayed"] is True
    assert again.headers["Idempotent-Replayed"] == "true"
    assert api.position() == position


def test_an_import_key_reused_with_another_body_or_route_is_refused(api: Api) -> None:
    api.post(IMPORTS, {"items": _items(3)}, key="import-reused-0001")
    position = api.position()

    other = api.post(IMPORTS, {"items": _items(4)}, key="import-reused-0001")
    single = api.post("/api/police/missions", CREATE["missions"], key="import-reused-0001")

    problem(other, 422, "idempotency-key-reused")
    problem(single, 422, "idempotency-key-reused")
    assert api.position() == position


def test_a_single_command_key_reused_for_an_import_is_refused(api: Api) -> None:
    api.post("/api/police/missions", CREATE["missions"], key="single-then-import-0001")
    position = api.position()

    response = api.post(IMPORTS, {"items": _items(2)}, key="single-then-import-0001")

    refusal = problem(response, 422, "idempotency-key-reused")
    assert refusal["field"] == "Idempotency-Key"
    assert api.position() == position


@pytest.mark.parametrize(
    "user", ["police-validator", "police-reader", "auditor", "reporting", "gendarmerie-recorder"]
)
def test_only_the_directorates_recorders_may_import(api: Api, user: str) -> None:
    position = api.position()

    response = api.post(IMPORTS, {"items": _items(2)}, user)

    detail = problem(response, 403, "permission-denied")["detail"]
    if user == "auditor":  # auditors change nothing, whatever else their token holds
        assert detail.startswith("auditors change nothing")
    else:
        assert detail == "your roles do not allow 'record' here"
    assert api.position() == position


def test_an_import_into_a_directorate_not_served_here_is_not_found(api: Api) -> None:
    response = api.post("/api/customs/missions/imports", {"items": _items(2)})

    assert problem(response, 404, "not-found")["detail"] == "no tenant 'customs' here"
