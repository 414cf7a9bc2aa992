"""Business rules as HTTP answers: 409 for an illegal transition, 422 for dates out of order.

Each refusal names its rule (and field), and nothing is recorded.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest

from .conftest import CHANGE, CREATE, VALIDATOR_COMMANDS, problem

if TYPE_CHECKING:
    from .conftest import Api

# (collection, commands before, refused command, status of the record then)
ILLEGAL = [
    ("agreements", ["termination"], "amendments", "terminated"),
    ("agreements", [], "resumption", "in-force"),
    ("missions", [], "launch", "requested"),
    ("missions", [], "schedule", "requested"),
    ("missions", ["decline"], "validation", "declined"),
    ("missions", ["validation"], "evaluation", "validated"),
    ("missions", ["validation", "cancellation"], "schedule", "cancelled"),
    ("delegations", ["cancellation"], "hosting", "cancelled"),
    ("delegations", ["hosting"], "reschedule", "hosted"),
    ("posts", ["closure"], "closure", "closed"),
    ("posts", ["closure"], "coverage", "closed"),
]


@pytest.mark.parametrize(("collection", "before", "segment", "status"), ILLEGAL)
def test_an_illegal_transition_is_refused_with_409_and_records_nothing(
    api: Api, collection: str, before: list[str], segment: str, status: str
) -> None:
    record = api.walk(collection, *before)
    position = api.position()
    user = "police-validator" if segment in {"validation", "decline"} else "police-recorder"

    response = api.post(
        f"{record.path}/{segment}", CHANGE[collection, segment], user, version=record.version
    )

    body = problem(response, 409, "illegal-transition")
    assert body["rule"] == "illegal-transition"
    assert f"it is {status}" in body["detail"]
    assert api.position() == position
    assert api.get(record.path).json()["version"] == record.version


# (collection, commands before, command, body changes, field named)
OUT_OF_ORDER: list[tuple[str, list[str], str, dict[str, Any], str]] = [
    ("agreements", [], "amendments", {"amended_on": "2011-12-08"}, "amended_on"),
    ("missions", [], "validation", {"decided_on": "2013-03-13"}, "decided_on"),
    ("missions", ["validation"], "schedule", {"end_date": "2013-10-06"}, "end_date"),
    ("missions", ["validation"], "schedule", {"start_date": "2013-03-01"}, "start_date"),
    (
        "missions",
        ["validation", "schedule", "launch"],
        "completion",
        {"completed_on": "2013-10-06"},
        "completed_on",
    ),
    (
        "missions",
        ["validation", "schedule", "launch", "completion"],
        "evaluation",
        {"evaluated_on": "2013-10-17"},
        "evaluated_on",
    ),
    ("delegations", [], "reschedule", {"end_date": "2024-09-15"}, "end_date"),
    ("delegations", [], "hosting", {"hosted_on": "2024-06-15"}, "hosted_on"),
    (
        "delegations",
        ["reschedule"],
        "reschedule",
        {"rescheduled_on": "2024-05-01"},
        "rescheduled_on",
    ),
    ("delegations", ["reschedule"], "cancellation", {"cancelled_on": "2024-05-01"}, "cancelled_on"),
    ("posts", [], "coverage", {"effective_on": "2005-08-31"}, "effective_on"),
    ("posts", ["coverage"], "closure", {"closed_on": "2013-12-31"}, "closed_on"),
]


@pytest.mark.parametrize(("collection", "before", "segment", "changes", "field"), OUT_OF_ORDER)
def test_dates_out_of_order_are_refused_with_422_naming_the_field(
    api: Api,
    collection: str,
    before: list[str],
    segment: str,
    changes: dict[str, Any],
    field: str,
) -> None:
    record = api.walk(collection, *before)
    position = api.position()
    user = "police-validator" if segment in {"validation", "decline"} else "police-recorder"
    body = {**CHANGE[collection, segment], **changes}

    response = api.post(f"{record.path}/{segment}", body, user, version=record.version)

    refusal = problem(response, 422, "dates-in-order")
    assert (refusal["field"], refusal["rule"]) == (field, "dates-in-order")
    assert api.position() == position


def test_a_delegation_ending_before_it_starts_is_refused(api: Api) -> None:
    position = api.position()

    response = api.post(
        "/api/police/delegations", {**CREATE["delegations"], "end_date": "2024-06-09"}
    )

    body = problem(response, 422, "dates-in-order")
    assert (body["field"], body["rule"]) == ("end_date", "dates-in-order")
    assert api.position() == position


def test_a_request_received_in_the_future_is_refused(api: Api) -> None:
    position = api.position()

    response = api.post(
        "/api/police/missions", {**CREATE["missions"], "requested_on": "2150-01-01"}
    )

    body = problem(response, 422, "not-in-future")
    assert (body["field"], body["rule"]) == ("requested_on", "not-in-future")
    assert api.position() == position


def test_a_mission_names_a_post_of_its_own_directorate(api: Api) -> None:
    post = api.create("posts")

    response = api.post("/api/police/missions", {**CREATE["missions"], "post_id": post.id})

    assert response.status_code == 201, response.text
    assert api.get(f"/api/police/missions/{response.json()['id']}").json()["post_id"] == post.id


@pytest.mark.parametrize("owner", ["nobody", "gendarmerie", "not-a-post"])
def test_a_mission_naming_an_unknown_post_is_refused(api: Api, owner: str) -> None:
    if owner == "gendarmerie":
        post_id = api.create("posts", tenant="gendarmerie").id
    elif owner == "not-a-post":
        post_id = api.create("delegations").id
    else:
        post_id = "0b5f2f8e-3c1d-4f7a-9a63-2f1e5d8c7b6a"
    position = api.position()

    response = api.post("/api/police/missions", {**CREATE["missions"], "post_id": post_id})

    body = problem(response, 422, "unknown-post")
    assert (body["field"], body["rule"]) == ("post_id", "unknown-post")
    assert api.position() == position


@pytest.mark.opens_posts
@pytest.mark.parametrize(
    ("requested_on", "when"),
    [("2005-08-31", "opened on 2005-09-01"), ("2020-08-31", "closed on 2020-08-31")],
    ids=["before-its-opening", "once-closed"],
)
def test_a_mission_naming_a_post_not_open_when_it_was_requested_is_refused(
    api: Api, requested_on: str, when: str
) -> None:
    """Opened on 2005-09-01, closed on 2020-08-31: it collected requests in between."""
    post = api.walk("posts", "closure")
    position = api.position()
    body = {**CREATE["missions"], "post_id": post.id, "requested_on": requested_on}

    response = api.post("/api/police/missions", body)

    refusal = problem(response, 422, "post-not-open")
    assert (refusal["field"], refusal["rule"]) == ("post_id", "post-not-open")
    assert when in refusal["detail"]
    assert api.position() == position
    open_then = {**body, "requested_on": "2020-08-30"}
    assert api.post("/api/police/missions", open_then).status_code == 201


@pytest.mark.opens_posts
def test_a_mission_naming_a_post_that_covered_none_of_its_countries_is_refused(
    api: Api,
) -> None:
    """SSI Hanoï covers VN, KH and LA: a mission to Senegal it could not have collected
    was accepted, and listed under it in Senegal's country file."""
    post = api.create("posts")
    position = api.position()
    body = {**CREATE["missions"], "post_id": post.id, "countries": ["SN"]}

    response = api.post("/api/police/missions", body)

    refusal = problem(response, 422, "post-not-covering")
    assert (refusal["field"], refusal["rule"]) == ("post_id", "post-not-covering")
    assert "covered VN, KH, LA" in refusal["detail"]
    assert api.position() == position
    regional = {**body, "countries": ["SN", "LA"]}  # one country it covers will do
    assert api.post("/api/police/missions", regional).status_code == 201
    items = {"items": [CREATE["missions"], body]}
    batch = problem(api.post("/api/police/missions/imports", items), 422, "batch-rejected")
    assert [(e["index"], e["rule"]) for e in batch["errors"]] == [(1, "post-not-covering")]


def test_a_post_must_cover_its_host_country(api: Api) -> None:
    position = api.position()

    response = api.post("/api/police/posts", {**CREATE["posts"], "covered_countries": ["KH"]})

    body = problem(response, 422, "host-covered")
    assert (body["field"], body["rule"]) == ("covered_countries", "host-covered")
    assert api.position() == position


def test_a_delegation_comes_from_a_country_or_an_organisation_not_both(api: Api) -> None:
    position = api.position()

    response = api.post("/api/police/delegations", {**CREATE["delegations"], "organisation": "EU"})

    body = problem(response, 422, "one-of")
    assert (body["field"], body["rule"]) == ("country", "one-of")
    assert api.position() == position


def test_a_delegation_of_an_organisation_is_recorded(api: Api) -> None:
    body = {**CREATE["delegations"], "country": None, "organisation": "EUROPOL"}

    response = api.post("/api/police/delegations", body)

    assert response.status_code == 201, response.text
    state = api.get(f"/api/police/delegations/{response.json()['id']}").json()
    assert (state["country"], state["organisation"]) == (None, "EUROPOL")


@pytest.mark.parametrize(
    "changes", [{"title": "Nouveau titre", "title ": "x"}, {" title ": "Clé entourée"}]
)
def test_a_correction_names_its_fields_exactly(api: Api, changes: dict[str, str]) -> None:
    """Keys were stripped after the duplicate-key check: ``title`` and ``title `` became
    one key and the last value was recorded, the first dropped without a word."""
    record = api.create("missions")
    position = api.position()
    body = {"changes": changes, "reason": "Titre", "corrected_on": "2013-04-01"}

    response = api.post(f"{record.path}/corrections", body, version=1)

    refusal = problem(response, 422, "not-correctable")
    assert refusal["field"] in {"changes.title ", "changes. title "}
    assert api.position() == position


def test_a_field_that_is_not_correctable_is_refused(api: Api) -> None:
    record = api.create("missions")
    position = api.position()
    body = {"changes": {"status": "evaluated"}, "reason": "Shortcut", "corrected_on": "2013-04-01"}

    response = api.post(f"{record.path}/corrections", body, version=1)

    refusal = problem(response, 422, "not-correctable")
    assert (refusal["field"], refusal["rule"]) == ("changes.status", "not-correctable")
    assert api.position() == position
    # The fields it lists are the ones this route corrects: a decision's are a validator's
    # (they were listed, then refused with decision-field: probe 12).
    listed = refusal["detail"].split("correctable fields: ")[1].split(", ")
    assert {"title", "countries", "budget"} <= set(listed)
    assert not {"decided_on", "decided_by", "decision_reference"} & set(listed)


def test_a_corrected_value_of_the_wrong_type_is_refused_and_nothing_recorded(api: Api) -> None:
    """A null title was recorded as the text "None", in the history for ever."""
    record = api.create("missions")
    position = api.position()
    body = {
        "changes": {"title": None, "requested_by": {"a": 1}},
        "reason": "A client's bug",
        "corrected_on": "2013-04-01",
    }

    response = api.post(f"{record.path}/corrections", body, version=1)

    refusal = problem(response, 422, "type")
    assert (refusal["field"], refusal["rule"]) == ("changes.title", "type")
    assert refusal["detail"] == "title must be text, not null"
    assert api.position() == position
    assert api.get(record.path).json()["title"] != "None"


def test_a_termination_dated_before_the_last_resumption_is_refused(api: Api) -> None:
    """The record said terminated while the views, placing each change at its date,
    counted the agreement in force."""
    record = api.walk("agreements", "suspension", "resumption")  # resumed on 2013-09-01
    position = api.position()
    body = {"terminated_on": "2013-06-30", "reason": "Back-dated by mistake"}

    response = api.post(f"{record.path}/termination", body, version=record.version)

    refusal = problem(response, 422, "dates-in-order")
    assert refusal["field"] == "terminated_on"
    assert refusal["detail"] == "terminated_on (2013-06-30) is before resumed_on (2013-09-01)"
    assert api.position() == position
    assert api.get(record.path).json()["recorded_status"] == "in-force"


def test_a_completion_dated_after_today_is_refused(api: Api) -> None:
    """A fact is recorded once it has happened; the ledger's clock says when today is."""
    record = api.walk("missions", "validation", "schedule", "launch")
    position = api.position()
    later = (api.platform.ledger("police").latest_today() + timedelta(days=30)).isoformat()
    body = {**CHANGE[("missions", "completion")], "completed_on": later}

    response = api.post(f"{record.path}/completion", body, version=record.version)

    refusal = problem(response, 422, "not-in-future")
    assert refusal["field"] == "completed_on"
    assert api.position() == position


# (collection, commands before, command, its business date): a fact is recorded once
# it has happened, so a status or a coverage never shows what is still to come.
DATED_STEPS = [
    ("missions", ["validation"], "schedule", "scheduled_on"),
    ("missions", ["validation"], "cancellation", "cancelled_on"),
    ("missions", [], "corrections", "corrected_on"),
    ("agreements", [], "amendments", "amended_on"),
    ("agreements", [], "renewals", "renewed_on"),
    ("agreements", [], "suspension", "suspended_on"),
    ("agreements", ["suspension"], "resumption", "resumed_on"),
    ("agreements", [], "termination", "terminated_on"),
    ("agreements", ["termination"], "status-withdrawal", "corrected_on"),
    ("agreements", ["renewals"], "renewal-withdrawal", "corrected_on"),
    ("agreements", ["amendments"], "amendment-withdrawal", "corrected_on"),
    ("delegations", [], "reschedule", "rescheduled_on"),
    ("delegations", [], "cancellation", "cancelled_on"),
    ("delegations", ["cancellation"], "cancellation-withdrawal", "corrected_on"),
    ("missions", ["validation", "cancellation"], "cancellation-withdrawal", "corrected_on"),
    ("missions", ["decline"], "decision-withdrawal", "corrected_on"),
    ("posts", [], "coverage", "effective_on"),
    ("posts", [], "closure", "closed_on"),
    ("posts", ["closure"], "closure-withdrawal", "corrected_on"),
    ("posts", ["coverage"], "coverage-correction", "effective_on"),
    ("posts", [], "opening-correction", "opened_on"),
    ("posts", [], "opening-correction", "corrected_on"),
]


@pytest.mark.parametrize(("collection", "before", "segment", "field"), DATED_STEPS)
def test_a_step_dated_after_today_is_refused(
    api: Api, collection: str, before: list[str], segment: str, field: str
) -> None:
    record = api.walk(collection, *before)
    position = api.position()
    later = (api.platform.ledger("police").latest_today() + timedelta(days=1)).isoformat()
    body = {**CHANGE[(collection, segment)], field: later}
    role = "validator" if (collection, segment) in VALIDATOR_COMMANDS else "recorder"

    response = api.post(f"{record.path}/{segment}", body, f"police-{role}", version=record.version)

    refusal = problem(response, 422, "not-in-future")
    assert refusal["field"] == field
    assert api.position() == position


@pytest.mark.parametrize(
    ("collection", "field"), [("posts", "opened_on"), ("delegations", "planned_on")]
)
def test_a_record_dated_after_today_is_refused(api: Api, collection: str, field: str) -> None:
    position = api.position()
    later = (api.platform.ledger("police").latest_today() + timedelta(days=1)).isoformat()

    response = api.post(f"/api/police/{collection}", {**CREATE[collection], field: later})

    assert problem(response, 422, "not-in-future")["field"] == field
    assert api.position() == position


@pytest.mark.parametrize(
    ("segment", "field"),
    [
        ("amendments", "amended_on"),
        ("suspension", "suspended_on"),
        ("termination", "terminated_on"),
    ],
)
def test_an_agreement_is_not_changed_after_it_expired(api: Api, segment: str, field: str) -> None:
    """Signed on 2011-12-09 for 36 months: in force until 2014-12-09, the last day."""
    record = api.walk("agreements")
    position = api.position()
    body = {**CHANGE[("agreements", segment)], field: "2014-12-10"}

    response = api.post(f"{record.path}/{segment}", body, version=record.version)

    refusal = problem(response, 422, "dates-in-order")
    assert refusal["field"] == field
    assert "after the agreement expired (expires_on 2014-12-09)" in refusal["detail"]
    assert api.position() == position
    on_the_last_day = {**CHANGE[("agreements", segment)], field: "2014-12-09"}
    assert api.post(f"{record.path}/{segment}", on_the_last_day, version=1).status_code == 200


def test_a_lapsed_agreement_can_still_be_renewed(api: Api) -> None:
    record = api.walk("agreements")

    body = {"renewed_on": "2015-06-01", "duration_months": 24}
    response = api.post(f"{record.path}/renewals", body, version=record.version)

    assert response.status_code == 200, response.text
    assert api.get(record.path).json()["expires_on"] == "2017-06-01"


@pytest.mark.parametrize(("segment", "field"), [("amendments", "amended_on")])
def test_an_agreement_is_not_changed_while_it_had_lapsed(
    api: Api, segment: str, field: str
) -> None:
    """Expired on 2014-12-09, renewed on 2015-06-01: nothing happened to it in between."""
    record = api.command(api.walk("agreements"), "renewals", renewed_on="2015-06-01")
    position = api.position()
    body = {**CHANGE[("agreements", segment)], field: "2015-03-01"}

    response = api.post(f"{record.path}/{segment}", body, version=record.version)

    refusal = problem(response, 422, "dates-in-order")
    assert refusal["field"] == field
    assert (
        "while the agreement had lapsed (expired 2014-12-09, renewed 2015-06-01)"
        in (refusal["detail"])
    )
    assert api.position() == position


def test_a_correction_dated_before_the_record_began_is_refused(api: Api) -> None:
    record = api.walk("missions")  # requested on 2013-03-14
    position = api.position()
    body = {**CHANGE[("missions", "corrections")], "corrected_on": "2013-03-13"}

    response = api.post(f"{record.path}/corrections", body, version=record.version)

    refusal = problem(response, 422, "dates-in-order")
    assert refusal["field"] == "corrected_on"
    assert refusal["detail"] == (
        "corrected_on (2013-03-13) is before the record's first date (2013-03-14)"
    )
    assert api.position() == position


def test_a_whole_mission_from_request_to_evaluation(api: Api) -> None:
    record = api.walk("missions", "validation", "schedule", "launch", "completion", "evaluation")

    state = api.get(record.path).json()

    assert record.version == 6
    assert {k: state[k] for k in ("status", "rating", "participants", "place")} == {
        "status": "evaluated",
        "rating": 4,
        "participants": 18,
        "place": "Phnom Penh",
    }
    assert (state["decided_by"], state["findings"]) == (
        "Ministère de l'Europe et des Affaires étrangères",
        "Good uptake; follow-up requested",
    )


def test_a_mission_can_be_rescheduled(api: Api) -> None:
    record = api.walk("missions", "validation", "schedule")
    later = {"start_date": "2013-11-04", "end_date": "2013-11-15", "scheduled_on": "2013-09-02"}

    moved = api.command(record, "schedule", **later)

    state = api.get(record.path).json()
    assert moved.version == 4
    assert (state["status"], state["start_date"], state["end_date"]) == (
        "scheduled",
        "2013-11-04",
        "2013-11-15",
    )


@pytest.mark.opens_posts
def test_a_record_of_another_collection_is_not_found(api: Api) -> None:
    post = api.create("posts")

    response = api.get(f"/api/police/missions/{post.id}")

    body = problem(response, 404, "not-found")
    assert body["detail"] == f"no mission {post.id}"


def test_a_record_of_another_directorate_is_not_found_with_the_same_wording(api: Api) -> None:
    theirs = api.create("missions", tenant="gendarmerie")
    nowhere = "0b5f2f8e-3c1d-4f7a-9a63-2f1e5d8c7b6a"

    response = api.get(f"/api/police/missions/{theirs.id}")
    missing = api.get(f"/api/police/missions/{nowhere}")

    assert problem(response, 404, "not-found")["detail"] == f"no mission {theirs.id}"
    assert problem(missing, 404, "not-found")["detail"] == f"no mission {nowhere}"


def _with_number(body: dict[str, Any], literal: str) -> bytes:
    """``body`` as JSON whose budget amount is the JSON number ``literal``, as written."""
    placeholder = {**body, "budget": {"amount": "@amount@", "currency": "TND"}}
    return json.dumps(placeholder).replace('"@amount@"', literal).encode()


def _schedule(api: Api, content: bytes, key: str | None = None) -> Any:
    record = api.walk("missions", "validation")
    headers = {**api.auth("police-recorder"), "If-Match": f'"{record.version}"'}
    headers["Content-Type"] = "application/json"
    if key is not None:
        headers["Idempotency-Key"] = f"{key}.{api.salt}"
    return record, api.client.post(f"{record.path}/schedule", content=content, headers=headers)


@pytest.mark.parametrize("literal", ["12345678901234.567", "10000000000000.001", "1255e-3"])
def test_an_amount_sent_as_a_json_number_is_recorded_exactly(api: Api, literal: str) -> None:
    """JSON numbers were read as binary floats: 12345678901234.567 TND was recorded as
    12345678901234.566, a different amount, without an error."""
    record, response = _schedule(api, _with_number(CHANGE["missions", "schedule"], literal))

    assert response.status_code == 200, response.text
    state = api.get(record.path).json()
    assert Decimal(state["budget"]["amount"]) == Decimal(literal)


@pytest.mark.parametrize(
    ("literal", "rule"),
    [
        ("1.2550000000000000000001", "scale"),  # a float read it as 1.255
        ("1e-400", "scale"),  # a float read it as 0: recorded as 0.000
        ("999999999999999.9999", "scale"),  # a float read it as 1000000000000000
        ("1000000000000000.0001", "range"),
    ],
)
def test_a_json_number_gets_the_checks_its_exact_value_fails(
    api: Api, literal: str, rule: str
) -> None:
    position = api.position()
    _, response = _schedule(api, _with_number(CHANGE["missions", "schedule"], literal))

    body = problem(response, 422, rule)
    assert (body["field"], body["rule"]) == ("budget.amount", rule)
    assert api.position() == position + 2  # the record and its validation only


def test_an_agreement_reference_already_taken_in_the_directorate_is_a_409(api: Api) -> None:
    """Two signings under one reference were both recorded: every letter and report that
    cites it then names two agreements."""
    reference = f"FR-VN-2011-CM-{api.salt}"
    first = api.create("agreements", reference=reference)
    position = api.position()

    response = api.post(
        "/api/police/agreements", api.body("agreements", reference=f" {reference.lower()}")
    )

    refusal = problem(response, 409, "reference-taken")
    assert (refusal["field"], refusal["rule"]) == ("reference", "reference-taken")
    assert refusal["holder"] == first.id
    assert api.position() == position
    gendarmerie = api.post(
        "/api/gendarmerie/agreements",
        api.body("agreements", reference=reference),
        "gendarmerie-recorder",
    )
    assert gendarmerie.status_code == 201, gendarmerie.text  # one register per directorate


def test_a_reference_corrected_to_another_agreement_s_is_a_409_and_the_freed_one_reusable(
    api: Api,
) -> None:
    taken = api.create("agreements")
    other = api.create("agreements")
    taken_reference = api.get(taken.path).json()["reference"]
    correction = {"reason": "Référence du JO", "corrected_on": "2012-01-05"}

    response = api.post(
        f"{other.path}/corrections",
        {**correction, "changes": {"reference": taken_reference}},
        version=other.version,
    )

    refusal = problem(response, 409, "reference-taken")
    assert (refusal["field"], refusal["holder"]) == ("changes.reference", taken.id)
    moved = api.post(
        f"{taken.path}/corrections",
        {**correction, "changes": {"reference": f"{taken_reference}-bis"}},
        version=taken.version,
    )
    assert moved.status_code == 200, moved.text
    api.create("agreements", reference=taken_reference)  # given up: free again


@pytest.mark.opens_posts
def test_a_country_another_post_covers_then_is_a_409_naming_that_post(api: Api) -> None:
    """Two posts covering Cambodia on the same days counted a mission there for both in
    the annual report's figures by post."""
    hanoi = api.create("posts")  # VN, KH, LA from 2005-09-01
    phnom_penh = {
        **CREATE["posts"],
        "name": "SSI Phnom Penh",
        "city": "Phnom Penh",
        "host_country": "KH",
        "covered_countries": ["KH"],
        "opened_on": "2014-01-01",
    }
    position = api.position()

    refusal = problem(api.post("/api/police/posts", phnom_penh), 409, "country-covered")

    assert (refusal["field"], refusal["rule"], refusal["holder"]) == (
        "covered_countries",
        "country-covered",
        hanoi.id,
    )
    assert "KH is covered by 'SSI Hanoï'" in refusal["detail"]
    assert api.position() == position
    handover = {"covered_countries": ["VN", "LA"], "effective_on": "2014-01-01"}
    assert api.post(f"{hanoi.path}/coverage", handover, version=1).status_code == 200
    assert api.post("/api/police/posts", phnom_penh).status_code == 201
    gendarmerie = api.post("/api/gendarmerie/posts", CREATE["posts"], "gendarmerie-recorder")
    assert gendarmerie.status_code == 201, gendarmerie.text  # one network per directorate


@pytest.mark.opens_posts
def test_a_post_of_the_past_is_recorded_with_its_closing_day(api: Api) -> None:
    """Vientiane (1998 to 2005) could not be recorded once Hanoï covered Laos: an open
    post covers its countries until it closes, so its opening was a 409."""
    api.create("posts")  # Hanoï: VN, KH, LA from 2005-09-01
    vientiane = {
        **CREATE["posts"],
        "name": "SSI Vientiane",
        "city": "Vientiane",
        "host_country": "LA",
        "covered_countries": ["LA"],
        "opened_on": "1998-01-01",
        "closed_on": "2005-09-02",
    }
    position = api.position()

    overlapping = problem(api.post("/api/police/posts", vientiane), 409, "country-covered")

    assert "from 2005-09-01 until it closes" in overlapping["detail"]
    assert api.position() == position
    recorded = api.post("/api/police/posts", {**vientiane, "closed_on": "2005-09-01"})
    assert recorded.status_code == 201, recorded.text
    read = api.get(f"/api/police/posts/{recorded.json()['id']}").json()
    assert (read["status"], read["closed_on"], read["version"]) == ("closed", "2005-09-01", 2)
    same_day = {**vientiane, "name": "SSI Luang Prabang", "closed_on": "1998-01-01"}
    refused = problem(api.post("/api/police/posts", same_day), 422, "dates-in-order")
    assert refused["field"] == "closed_on"


@pytest.mark.opens_posts
def test_the_post_that_collected_a_request_is_corrected_under_the_request_s_rules(
    api: Api,
) -> None:
    """A redated coverage could leave a mission under a post that no longer covered its
    country the day it was requested, and post_id was not correctable."""
    hanoi = api.create("posts")  # VN, KH, LA from 2005-09-01
    mission = api.create("missions")  # VN, requested 2013-03-14, no post
    senegal = api.create("missions", countries=["SN"])
    position = api.position()

    def correct(record: Any, post_id: Any, version: int | None = None) -> Any:
        body = {"changes": {"post_id": post_id}, "reason": "Fiche", "corrected_on": "2013-04-01"}
        return api.post(f"{record.path}/corrections", body, version=version or record.version)

    for record, post_id, rule in [
        (senegal, hanoi.id, "post-not-covering"),
        (mission, "0b5f2f8e-3c1d-4f7a-9a63-2f1e5d8c7b6a", "unknown-post"),
        (mission, "Hanoï", "invalid"),
        (mission, 7, "type"),
    ]:
        refusal = problem(correct(record, post_id), 422, rule)
        assert refusal["field"] == "changes.post_id", refusal
    assert api.position() == position

    named = correct(mission, hanoi.id.upper())

    assert named.status_code == 200, named.text
    assert api.get(mission.path).json()["post_id"] == hanoi.id
    cleared = correct(mission, None, version=mission.version + 1)
    assert cleared.status_code == 200, cleared.text
    assert api.get(mission.path).json()["post_id"] is None


@pytest.mark.opens_posts
def test_corrected_countries_stay_ones_the_collecting_post_covered(api: Api) -> None:
    hanoi = api.create("posts")  # VN, KH, LA from 2005-09-01
    mission = api.create("missions", post_id=hanoi.id)  # VN, requested 2013-03-14
    position = api.position()

    def correct(countries: list[str], version: int) -> Any:
        body = {"changes": {"countries": countries}, "reason": "Pays", "corrected_on": "2013-04-01"}
        return api.post(f"{mission.path}/corrections", body, version=version)

    refusal = problem(correct(["SN"], mission.version), 422, "post-not-covering")

    assert refusal["field"] == "changes.countries"
    assert api.position() == position
    assert correct(["KH", "SN"], mission.version).status_code == 200
    assert api.get(mission.path).json()["countries"] == ["KH", "SN"]


@pytest.mark.opens_posts
def test_a_corrected_request_day_is_one_the_collecting_post_was_open(api: Api) -> None:
    """Received 14 March 2013, typed 2015: the board's order and the days it waited were
    wrong for good, and requested_on was not correctable."""
    hanoi = api.create("posts")  # VN, KH, LA from 2005-09-01
    mission = api.create("missions", post_id=hanoi.id)  # VN, requested 2013-03-14
    position = api.position()

    def correct(day: str) -> Any:
        body = {
            "changes": {"requested_on": day},
            "reason": "Courrier",
            "corrected_on": "2013-04-01",
        }
        return api.post(f"{mission.path}/corrections", body, version=mission.version)

    before = problem(correct("2005-08-31"), 422, "post-not-open")
    assert before["field"] == "changes.requested_on", before
    after = problem(correct("2013-04-02"), 422, "dates-in-order")
    assert after["field"] == "changes.requested_on", after
    assert api.position() == position

    assert correct("2013-03-04").status_code == 200
    read = api.get(mission.path).json()
    assert read["requested_on"] == "2013-03-04"
    history = api.get(f"{mission.path}/history").json()
    assert history["events"][-1]["data"]["changes"] == {"requested_on": "2013-03-04"}


@pytest.mark.opens_posts
def test_a_post_may_not_close_or_give_up_a_country_before_a_request_it_collected(
    api: Api,
) -> None:
    """Closed as of a day before requests it collected, a post left them naming a post
    closed the day they came (probe 9); a coverage change or a redating dated back did
    the same for the country it gave up."""
    post = api.create("posts")  # SSI Hanoï: VN, KH, LA since 2005
    body = {**CREATE["missions"], "post_id": post.id, "countries": ["KH"]}
    mission = api.post("/api/police/missions", {**body, "requested_on": "2013-03-14"})
    assert mission.status_code == 201, mission.text
    position = api.position()

    closed = api.post(f"{post.path}/closure", {"closed_on": "2013-01-01"}, version=1)
    moved = api.post(
        f"{post.path}/coverage",
        {"covered_countries": ["VN", "LA"], "effective_on": "2013-01-01"},
        version=1,
    )

    refusal = problem(closed, 422, "collected-requests")
    assert refusal["field"] == "closed_on"
    assert f"mission {mission.json()['id']} on 2013-03-14 (KH)" in refusal["detail"]
    assert problem(moved, 422, "collected-requests")["field"] == "effective_on"
    assert api.position() == position
    later = {"covered_countries": ["VN", "LA"], "effective_on": "2014-01-01"}
    assert api.post(f"{post.path}/coverage", later, version=1).status_code == 200
    redating = {"effective_on": "2013-02-01", "reason": "Arrêté", "corrected_on": "2014-02-01"}
    redated = api.post(f"{post.path}/coverage-correction", redating, version=2)
    assert problem(redated, 422, "collected-requests")["field"] == "effective_on"
    reopening = {"opened_on": "2013-06-01", "reason": "Décret", "corrected_on": "2014-02-01"}
    before_reopening = api.position()
    reopened = api.post(f"{post.path}/opening-correction", reopening, version=2)
    assert problem(reopened, 422, "collected-requests")["field"] == "opened_on"
    assert api.position() == before_reopening
    other = {**CREATE["missions"], "countries": ["KH"], "requested_on": "2013-03-14"}
    assert api.post("/api/police/missions", other).status_code == 201  # collected by no post
    assert (
        api.post(f"{post.path}/closure", {"closed_on": "2014-06-01"}, version=2).status_code == 200
    )
