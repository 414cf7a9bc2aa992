"""Bad input gets a precise problem (field and rule) and records nothing.

One test per class of mistake a client makes; each checks the problem's media
type, status, field and rule, and that the log position did not move.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient

from services.tenant.app import create_app
from services.tenant.bootstrap import bootstrap
from shared.settings import Settings

from .conftest import CHANGE, CREATE, MAX_BODY, problem

if TYPE_CHECKING:
    from .conftest import Api

#: Rules of the domain's own checks; the others are the schema's (pydantic error types),
#: all reported as the "invalid-input" problem type.
DOMAIN_RULES = {
    "unknown-country",
    "iso-3166-alpha-2",
    "unknown-currency",
    "vocabulary",
    "required",
    "range",
    "scale",
    "not-money",
    "abroad",
    "host-covered",
}


def _slug(rule: str) -> str:
    return rule if rule in DOMAIN_RULES else "invalid-input"


# (collection, changes to its create body, field, rule)
INVALID_CREATES: list[tuple[str, dict[str, Any], str, str]] = [
    ("missions", {"colour": "blue"}, "colour", "extra_forbidden"),
    ("missions", {"title": "\u200b\ufeff"}, "title", "required"),  # zero-width: nothing shown
    ("missions", {"title": "\ufe0f"}, "title", "required"),  # a variation selector alone
    ("missions", {"title": "\u2800\U000e0100"}, "title", "required"),  # braille blank
    ("missions", {"title": " \u0301\u20dd"}, "title", "required"),  # marks on nothing
    ("posts", {"budget": {"amount": "1"}}, "budget", "extra_forbidden"),
    ("missions", {"countries": "KH"}, "countries", "list_type"),
    # One place, one name: the schema's check said countries.0, the domain's countries[0].
    ("missions", {"countries": [5]}, "countries[0]", "string_type"),
    ("missions", {"themes": ["narcotics", 7]}, "themes[1]", "string_type"),
    ("missions", {"title": 42}, "title", "string_type"),
    ("delegations", {"size": "eight"}, "size", "int_type"),
    ("delegations", {"size": True}, "size", "int_type"),
    # Read as 1 month, 3 months, 1 month before: the agreement's expiry was altered silently.
    ("agreements", {"duration_months": True}, "duration_months", "int_type"),
    ("agreements", {"duration_months": "3"}, "duration_months", "int_type"),
    ("agreements", {"duration_months": 1.0}, "duration_months", "int_type"),
    ("missions", {"post_id": "SSI-Hanoi"}, "post_id", "uuid_parsing"),
    ("missions", {"classification": "secret"}, "classification", "enum"),
    ("missions", {"title": None}, "title", "string_type"),
    ("missions", {"requested_on": "2023-02-30"}, "requested_on", "date_from_datetime_parsing"),
    ("posts", {"opened_on": "30/01/2005"}, "opened_on", "value_error"),  # not ISO 8601
    ("agreements", {"signed_on": "2023-02-29"}, "signed_on", "date_from_datetime_parsing"),
    # Digits are Unix seconds to pydantic: "86400" would be recorded as 2 January 1970.
    ("missions", {"requested_on": "86400"}, "requested_on", "value_error"),
    ("missions", {"requested_on": 86400}, "requested_on", "value_error"),
    ("delegations", {"start_date": "0"}, "start_date", "value_error"),
    # A day, not an instant: the time and its offset were dropped (2 November at -10:00
    # is the 3rd in UTC), the day kept as if that were what was meant.
    ("missions", {"requested_on": "2026-11-02T00:00:00-10:00"}, "requested_on", "value_error"),
    ("delegations", {"start_date": "2024-06-10T09:00:00Z"}, "start_date", "value_error"),
    ("agreements", {"signed_on": "2012-01-10 "}, "signed_on", "value_error"),
    ("missions", {"countries": ["VN", "ZZ"]}, "countries[1]", "unknown-country"),
    ("missions", {"countries": ["ZZ"]}, "countries[0]", "unknown-country"),
    ("missions", {"countries": ["KHM"]}, "countries[0]", "iso-3166-alpha-2"),
    ("agreements", {"partner_countries": ["ZZ"]}, "partner_countries[0]", "unknown-country"),
    ("posts", {"host_country": "ZZ"}, "host_country", "unknown-country"),
    ("posts", {"covered_countries": ["VN", "QQ"]}, "covered_countries[1]", "unknown-country"),
    ("delegations", {"country": "ZZ"}, "country", "unknown-country"),
    ("missions", {"themes": ["astrology"]}, "themes[0]", "vocabulary"),
    ("missions", {"mission_type": "holiday"}, "mission_type", "vocabulary"),
    ("missions", {"countries": []}, "countries", "required"),
    ("missions", {"title": "   "}, "title", "required"),
    (
        "agreements",
        {"funding": {"amount": "1000.00", "currency": "XYZ"}},
        "funding.currency",
        "unknown-currency",
    ),
    ("agreements", {"funding": {"amount": "1.001", "currency": "EUR"}}, "funding.amount", "scale"),
    # Finer than the currency's ISO 4217 minor unit: CFA francs and yen have none,
    # the Tunisian dinar three (10.50 JPY was accepted until 2026-12-06).
    (
        "agreements",
        {"funding": {"amount": "1500000.5", "currency": "XOF"}},
        "funding.amount",
        "scale",
    ),
    ("agreements", {"funding": {"amount": "10.50", "currency": "JPY"}}, "funding.amount", "scale"),
    ("agreements", {"funding": {"amount": "1.2555", "currency": "TND"}}, "funding.amount", "scale"),
    # A unit of account, no money a budget is counted in.
    (
        "agreements",
        {"funding": {"amount": "10", "currency": "XDR"}},
        "funding.currency",
        "not-money",
    ),
    # ISO 4217 codes, but no money: "no currency", the testing code, gold.
    (
        "agreements",
        {"funding": {"amount": "10", "currency": "XXX"}},
        "funding.currency",
        "not-money",
    ),
    (
        "agreements",
        {"funding": {"amount": "10", "currency": "XAU"}},
        "funding.currency",
        "not-money",
    ),
    # The services abroad: a post in France, or covering it, is a slip.
    ("posts", {"host_country": "FR", "covered_countries": ["FR"]}, "host_country", "abroad"),
    ("posts", {"covered_countries": ["VN", "FR"]}, "covered_countries[1]", "abroad"),
    # Partners, visitors and the countries a mission serves are foreign: France typed
    # there counted among the partners in every figure by country (probe 8).
    ("agreements", {"partner_countries": ["VN", "FR"]}, "partner_countries[1]", "abroad"),
    ("missions", {"countries": ["FR"]}, "countries[0]", "abroad"),
    ("delegations", {"country": "FR"}, "country", "abroad"),
    ("agreements", {"funding": {"amount": "-5", "currency": "EUR"}}, "funding.amount", "range"),
    # PostgreSQL cannot hold U+0000 (it stopped the projection), XLSX no other C0 control.
    ("missions", {"title": "Stage\u0000"}, "title", "control-character"),
    ("missions", {"requested_by": "Ministère \u001b[31m"}, "requested_by", "control-character"),
    ("missions", {"description": "Une ligne\u000bune autre"}, "description", "control-character"),
    ("agreements", {"funder": "Fonds\u0007"}, "funder", "control-character"),
    ("delegations", {"host_site": "Asni\u0085ères"}, "host_site", "control-character"),  # C1 NEL
    ("missions", {"title": "Rapport \u202egnp.exe"}, "title", "control-character"),  # override
    # Noncharacters are no text either; XLSX cannot hold U+FFFE or U+FFFF (probe 9).
    ("missions", {"title": "Mission A\uffffB"}, "title", "noncharacter"),
    ("agreements", {"funder": "Fonds \ufdd0"}, "funder", "noncharacter"),
    ("delegations", {"host_site": "Reyk\U0010fffejavik"}, "host_site", "noncharacter"),
    # Business dates are 1900 to 2199: "9024" for "2024" is a slip, and a term computed
    # from 9999 cannot be a date (a renewal on 9999-01-01 broke every read of its record).
    ("missions", {"requested_on": "9999-01-01"}, "requested_on", "date-range"),
    ("agreements", {"signed_on": "1899-12-31"}, "signed_on", "date-range"),
    ("delegations", {"end_date": "2200-01-01"}, "end_date", "date-range"),
    # At the end too: refused before whitespace is trimmed, as the documented pattern says.
    ("posts", {"city": "Hanoï\u0085"}, "city", "control-character"),
    # A code holding one is no code of its vocabulary: refused as such.
    ("missions", {"countries": ["VN\u0000"]}, "countries[0]", "iso-3166-alpha-2"),
    ("missions", {"themes": ["narcotics\u0000"]}, "themes[0]", "vocabulary"),
]


@pytest.mark.parametrize(("collection", "changes", "field", "rule"), INVALID_CREATES)
def test_an_invalid_create_is_refused_with_422_naming_field_and_rule(
    api: Api, collection: str, changes: dict[str, Any], field: str, rule: str
) -> None:
    position = api.position()

    response = api.post(f"/api/police/{collection}", {**CREATE[collection], **changes})

    body = problem(response, 422, _slug(rule))
    assert (body["field"], body["rule"]) == (field, rule)
    assert api.position() == position


@pytest.mark.parametrize("missing", ["title", "requested_on", "countries"])
def test_a_missing_field_is_refused_naming_it(api: Api, missing: str) -> None:
    position = api.position()
    body = {k: v for k, v in CREATE["missions"].items() if k != missing}

    response = api.post("/api/police/missions", body)

    refusal = problem(response, 422, "invalid-input")
    assert (refusal["field"], refusal["rule"]) == (missing, "missing")
    assert api.position() == position


# (command, changes to its body, field, rule)
INVALID_CHANGES: list[tuple[tuple[str, str], dict[str, Any], str, str]] = [
    (
        ("missions", "schedule"),
        {"budget": {"amount": "100.00", "currency": "ZZZ"}},
        "budget.currency",
        "unknown-currency",
    ),
    (("missions", "schedule"), {"expert_count": 501}, "expert_count", "range"),
    (("missions", "schedule"), {"expert_count": 2.5}, "expert_count", "int_type"),
    (("agreements", "renewals"), {"duration_months": True}, "duration_months", "int_type"),
    (("agreements", "renewals"), {"duration_months": "24"}, "duration_months", "int_type"),
    (
        ("missions", "schedule"),
        {"end_date": "2013-10-32"},
        "end_date",
        "date_from_datetime_parsing",
    ),
    (("missions", "schedule"), {"budget": {"amount": "1000"}}, "budget.currency", "missing"),
    (
        ("missions", "schedule"),
        {"budget": {"amount": "1_000", "currency": "EUR"}},
        "budget.amount",
        "decimal_parsing",
    ),
    (
        ("missions", "schedule"),
        {"budget": {"amount": "\uff11\uff12", "currency": "EUR"}},
        "budget.amount",
        "decimal_parsing",
    ),
    (("missions", "schedule"), {"place": "x" * 201}, "place", "string_too_long"),
    (("missions", "validation"), {"decided_by": ""}, "decided_by", "required"),
    (
        ("posts", "coverage"),
        {"covered_countries": ["VN", "ZZ"]},
        "covered_countries[1]",
        "unknown-country",
    ),
    (("posts", "corrections"), {"changes": {}}, "changes", "required"),
    (
        ("agreements", "corrections"),
        {"changes": {"partner_countries": ["FR"]}},
        "changes.partner_countries[0]",
        "abroad",
    ),
    (
        ("missions", "corrections"),
        {"changes": {"countries": ["KH", "FR"]}},
        "changes.countries[1]",
        "abroad",
    ),
    (
        ("delegations", "corrections"),
        {"changes": {"country": "FR"}},
        "changes.country",
        "abroad",
    ),
    (
        ("posts", "corrections"),
        {"changes": {"city": "Ha\u0000"}},
        "changes.city",
        "control-character",
    ),
    (("posts", "corrections"), {"changes": {"city": "\ud800"}}, "changes.city", "string_unicode"),
    (
        ("posts", "corrections"),
        {"changes": {"host_country": "TH"}},
        "changes.host_country",
        "host-covered",
    ),
    (
        ("posts", "corrections"),
        {"changes": {"host_country": "FR"}},
        "changes.host_country",
        "abroad",
    ),
    (("missions", "schedule"), {"place": "Lyon \udfff"}, "place", "string_unicode"),
    (("missions", "schedule"), {"place": "\u007fLyon"}, "place", "control-character"),
    (("missions", "schedule"), {"place": "Lyon\ufffe"}, "place", "noncharacter"),
    (
        ("posts", "corrections"),
        {"changes": {"city": "Ha\U0001ffff"}},
        "changes.city",
        "noncharacter",
    ),
    (("delegations", "hosting"), {"actual_size": 0}, "actual_size", "range"),
    (("agreements", "renewals"), {"renewed_on": "9999-01-01"}, "renewed_on", "date-range"),
    (
        ("agreements", "renewals"),
        {"duration_months": "24 months"},
        "duration_months",
        "int_type",
    ),
]


@pytest.mark.parametrize(("command", "changes", "field", "rule"), INVALID_CHANGES)
def test_an_invalid_change_is_refused_with_422_naming_field_and_rule(
    api: Api, command: tuple[str, str], changes: dict[str, Any], field: str, rule: str
) -> None:
    collection, segment = command
    before = {"schedule": ["validation"]}.get(segment, [])
    record = api.walk(collection, *before)
    position = api.position()
    user = "police-validator" if segment == "validation" else "police-recorder"

    response = api.post(
        f"{record.path}/{segment}", {**CHANGE[command], **changes}, user, version=record.version
    )

    body = problem(response, 422, _slug(rule))
    assert (body["field"], body["rule"]) == (field, rule)
    assert api.position() == position


@pytest.mark.parametrize(
    ("user", "path", "status", "slug"),
    [
        (None, "/api/police/missions", 401, "authentication"),
        ("auditor", "/api/police/missions", 403, "permission-denied"),
        ("police-recorder", "/api/nowhere/missions", 404, "not-found"),
    ],
    ids=["no-token", "wrong-role", "tenant-not-served"],
)
@pytest.mark.parametrize(
    "content", [b'{"title": ', b'{"title": "A", "title": "B"}'], ids=["cut-short", "key-twice"]
)
def test_the_policy_answers_before_a_malformed_body_is_looked_at(
    api: Api, user: str | None, path: str, status: int, slug: str, content: bytes
) -> None:
    """FastAPI parses the body before any dependency: a stranger got the 400 first."""
    headers = {**(api.auth(user) if user else {}), "Content-Type": "application/json"}

    response = api.client.post(path, content=content, headers=headers)

    problem(response, status, slug)


@pytest.mark.parametrize(
    ("content", "status", "slug", "rule"),
    [
        (b'{"title": ', 400, "malformed-json", "json"),
        (b"[" * 5000 + b"]" * 5000, 400, "malformed-json", "json"),  # FastAPI's own 400s
        (b"1" * 5000, 400, "malformed-json", "json"),
        (b'{"title": "\xff"}', 400, "malformed-json", "json"),
        ('{"title": "x"}'.encode("utf-16"), 400, "malformed-json", "json"),  # was read
        (b"[1, 2]", 422, "invalid-input", "model_attributes_type"),
        (b"", 422, "invalid-input", "missing"),
    ],
    ids=[
        "cut-short",
        "nested-too-deep",
        "huge-number",
        "not-utf-8",
        "utf-16",
        "not-an-object",
        "empty",
    ],
)
def test_a_body_that_is_not_a_json_object_is_refused_naming_the_body(
    api: Api, content: bytes, status: int, slug: str, rule: str
) -> None:
    position = api.position()
    headers = {**api.auth("police-recorder"), "Content-Type": "application/json"}

    response = api.client.post("/api/police/missions", content=content, headers=headers)

    body = problem(response, status, slug)
    assert (body["field"], body["rule"]) == ("body", rule)
    assert api.position() == position


@pytest.mark.parametrize(
    ("path", "content", "key"),
    [
        ("/api/police/missions", b'{"title": "A", "title": "B"}', "title"),
        (
            "/api/police/missions/imports",
            b'{"items": [{"countries": ["VN"]}, {"title": "x", "mission_type": "a", '
            b'"mission_type": "b"}]}',
            "mission_type",
        ),
        ("/api/police/agreements", b'{"budget": {"amount": "1", "amount": "9"}}', "amount"),
    ],
    ids=["top-level", "inside-an-import-item", "nested-object"],
)
def test_a_body_naming_a_key_twice_is_refused_not_read_last_wins(
    api: Api, path: str, content: bytes, key: str
) -> None:
    """``{"budget": 1, "budget": 9}`` was recorded as 9: which the client meant is unknowable."""
    position = api.position()
    headers = {**api.auth("police-recorder"), "Content-Type": "application/json"}

    response = api.client.post(path, content=content, headers=headers)

    body = problem(response, 400, "malformed-json")
    assert (body["field"], body["rule"]) == ("body", "duplicate-key")
    assert repr(key) in body["detail"]
    assert api.position() == position


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_malformed_json_not_numbers(api: Api, constant: str) -> None:
    """Python's ``json`` reads them, RFC 8259 has them not: they were read, then refused as a
    422 about the field's number, as if the client had sent JSON."""
    position = api.position()
    headers = {**api.auth("police-recorder"), "Content-Type": "application/json"}
    content = b'{"funding": {"amount": ' + constant.encode() + b', "currency": "EUR"}}'

    response = api.client.post("/api/police/agreements", content=content, headers=headers)

    body = problem(response, 400, "malformed-json")
    assert (body["field"], body["rule"]) == ("body", "json")
    assert body["detail"] == f"{constant} is not JSON (RFC 8259 has no NaN or infinity)"
    assert api.position() == position


@pytest.mark.parametrize(
    ("headers", "field"),
    [
        ({"Content-Encoding": "gzip"}, "Content-Encoding"),  # was "not valid JSON"
        ({"Content-Type": "application/json; charset=latin-1"}, "Content-Type"),  # read as UTF-8
        ({"Content-Type": 'application/json; charset="UTF-16"'}, "Content-Type"),
        # The first was read, a proxy may read the last: two are refused.
        ([("Content-Encoding", "identity"), ("Content-Encoding", "gzip")], "Content-Encoding"),
        (
            [
                ("Content-Type", "application/json; charset=utf-8"),
                ("Content-Type", "application/json; charset=latin1"),
            ],
            "Content-Type",
        ),
    ],
    ids=["gzip", "latin-1", "utf-16", "two-encodings", "two-types"],
)
def test_a_compressed_or_non_utf8_body_is_a_415_naming_the_header(
    api: Api, headers: dict[str, str] | list[tuple[str, str]], field: str
) -> None:
    position = api.position()
    given = list(headers.items()) if isinstance(headers, dict) else headers
    typed = [] if any(name == "Content-Type" for name, _ in given) else [JSON_TYPE]
    sent = [*api.auth("police-recorder").items(), *typed, *given]

    response = api.client.post(
        "/api/police/missions", content=json.dumps(CREATE["missions"]).encode(), headers=sent
    )

    body = problem(response, 415, "unsupported-media-type")
    assert body["field"] == field
    assert api.position() == position
    stranger = api.client.post("/api/police/missions", content=b"{}", headers=given)
    problem(stranger, 401, "authentication")  # the policy still answers first


JSON_TYPE = ("Content-Type", "application/json")


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["plain", "byte-order-mark"])
def test_a_body_declared_utf8_is_taken(api: Api, bom: bytes) -> None:
    """A byte order mark (PowerShell 5 writes one) is ignored, as RFC 8259 allows."""
    sent = {**api.auth("police-recorder"), "Content-Type": "application/json; charset=UTF-8"}
    response = api.client.post(
        "/api/police/missions", content=bom + json.dumps(CREATE["missions"]).encode(), headers=sent
    )
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    "declared",
    [
        True,
        False,
    ],
    ids=["content-length", "streamed"],
)
def test_an_oversized_body_is_refused_with_413(api: Api, declared: bool) -> None:
    position = api.position()
    payload = {**CREATE["missions"], "description": "x" * MAX_BODY}
    headers = {**api.auth("police-recorder"), "Content-Type": "application/json"}

    if declared:
        response = api.client.post("/api/police/missions", json=payload, headers=headers)
    else:  # streamed without Content-Length: the limit counts the bytes as they come
        chunks = iter([b'{"description": "', b"x" * MAX_BODY, b'"}'])
        response = api.client.post("/api/police/missions", content=chunks, headers=headers)

    body = problem(response, 413, "payload-too-large")
    assert body["detail"] == f"the body exceeds {MAX_BODY} bytes"
    assert (body["field"], body["rule"]) == ("body", "max-bytes")
    assert response.headers["cache-control"] == "no-store"  # as every answer to a token
    assert api.position() == position


def test_an_unknown_tenant_is_a_404_problem(api: Api) -> None:
    position = api.position()

    response = api.post("/api/customs/missions", CREATE["missions"])
    read = api.get("/api/customs/missions/0b5f2f8e-3c1d-4f7a-9a63-2f1e5d8c7b6a")

    assert problem(response, 404, "not-found")["detail"] == "no tenant 'customs' here"
    assert problem(read, 404, "not-found")["detail"] == "no tenant 'customs' here"
    assert api.position() == position


def test_an_unknown_path_is_a_404_problem(api: Api) -> None:
    response = api.get("/api/police/satellites")

    problem(response, 404, "not-found")


def test_a_record_id_that_is_not_a_uuid_is_refused(api: Api) -> None:
    response = api.get("/api/police/missions/mission-1")

    body = problem(response, 422, "invalid-input")
    assert (body["field"], body["rule"]) == ("record_id", "uuid_parsing")


def test_a_missing_record_is_a_404_problem(api: Api) -> None:
    position = api.position()
    missing = "/api/police/missions/0b5f2f8e-3c1d-4f7a-9a63-2f1e5d8c7b6a"

    read = api.get(missing)
    change = api.post(f"{missing}/launch", CHANGE["missions", "launch"], version=1)

    assert problem(read, 404, "not-found")["detail"].startswith("no mission ")
    assert problem(change, 404, "not-found")["detail"].startswith("no mission ")
    assert api.position() == position


@pytest.mark.parametrize("header", ["X-Correlation-Id", "X-Causation-Id"])
def test_a_malformed_correlation_header_is_refused(api: Api, header: str) -> None:
    position = api.position()

    response = api.post(
        "/api/police/posts", CREATE["posts"], headers={header: "not valid; has spaces"}
    )

    body = problem(response, 422, "format")
    assert (body["field"], body["rule"]) == (header, "format")
    assert api.position() == position


def test_a_query_parameter_the_operation_does_not_take_is_refused_naming_it(api: Api) -> None:
    # Ignored, a misspelt filter would answer the whole list as if it were the filtered one.
    misspelt = api.get("/api/police/missions?contry=VN")
    body = problem(misspelt, 422, "unknown-parameter")
    assert (body["field"], body["rule"]) == ("contry", "unknown-parameter")
    assert "country" in body["detail"]  # the ones it takes are named
    assert api.get("/api/police/missions?country=VN").status_code == 200
    problem(api.get("/healthz?verbose=1"), 422, "unknown-parameter")  # public routes too


def test_a_query_parameter_given_twice_is_refused_naming_it(api: Api) -> None:
    # Kept, the last value answered the scheduled missions alone, as if asked for them.
    twice = api.get("/api/police/missions?status=requested&status=scheduled")

    body = problem(twice, 422, "repeated-parameter")
    assert (body["field"], body["rule"]) == ("status", "repeated-parameter")


def test_readiness_tells_no_directorate_s_position(api: Api) -> None:
    """The probe is open: a position would tell anyone how much a directorate records."""
    ready = api.client.get("/readyz")

    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})


def test_a_date_in_a_query_is_iso_8601_not_a_number(api: Api) -> None:
    body = problem(api.get("/api/police/delegations?from=0"), 422, "invalid-input")

    assert body["field"] == "from"
    assert api.get("/api/police/delegations?from=2024-01-01").status_code == 200


def test_query_problems_name_the_parameter_as_sent(api: Api) -> None:
    """``query.limit`` for the framework's checks, ``limit`` for ours: one spelling now.
    And ``to_date`` (no parameter of the request) for dates out of order."""
    framework = problem(api.get("/api/police/missions?limit=0"), 422, "invalid-input")
    ours = problem(
        api.get("/api/police/delegations?from=2027-07-01&to=2027-06-01"), 422, "dates-in-order"
    )

    assert framework["field"] == "limit"
    assert framework["errors"][0]["field"] == "limit"
    assert (ours["field"], ours["detail"]) == ("to", "to is before from")


def test_a_post_filter_that_is_no_post_id_is_refused(api: Api) -> None:
    """``post_id=abc`` answered an empty board, as if the post had collected nothing."""
    body = problem(api.get("/api/police/missions?post_id=abc"), 422, "invalid-input")

    assert (body["field"], body["rule"]) == ("post_id", "uuid_parsing")
    post = api.create("posts")
    assert api.get(f"/api/police/missions?post_id={post.id}").status_code == 200


def test_the_query_is_looked_at_only_once_the_caller_is_verified(api: Api) -> None:
    anonymous = api.client.get("/api/police/missions?contry=VN")
    stranger = api.get("/api/police/missions?contry=VN", user="gendarmerie-reader")

    problem(anonymous, 401, "authentication")
    problem(stranger, 403, "permission-denied")


def test_a_method_the_path_does_not_take_is_a_405_naming_every_one_it_does(api: Api) -> None:
    # GET and POST /missions are two routes: Starlette's own Allow named the first only.
    response = api.client.delete("/api/police/missions", headers=api.auth("police-recorder"))
    probe = api.client.delete("/healthz")

    problem(response, 405, "method-not-allowed")
    assert response.headers["allow"] == "GET, HEAD, POST"  # RFC 9110 requires it
    problem(probe, 405, "method-not-allowed")
    assert probe.headers["allow"] == "GET, HEAD"  # HEAD is answered wherever GET is
    assert api.client.head("/healthz").status_code == 200


def test_a_read_of_the_imports_path_is_a_405_not_a_bad_mission_id(api: Api) -> None:
    """GET /missions/imports matched GET /missions/{record_id} and answered 422 on the id."""
    for method in ("GET", "HEAD", "DELETE", "PUT", "OPTIONS"):  # OPTIONS named 6 (probe 7)
        response = api.client.request(
            method, "/api/police/missions/imports", headers=api.auth("police-recorder")
        )
        assert response.status_code == 405, method
        assert response.headers["allow"] == "POST"
    problem(api.get("/api/police/missions/imports"), 405, "method-not-allowed")


def test_a_request_target_longer_than_8_kib_is_a_414_not_echoed_back(api: Api) -> None:
    """A 100,000-character filter was parsed and echoed whole in its 422 (a 100 KB answer)."""
    long = api.get("/api/police/missions?status=" + "a" * 20_000)
    at_the_limit = api.get("/api/police/missions?status=" + "a" * 8_000)

    body = problem(long, 414, "uri-too-long")
    assert (body["field"], body["rule"]) == ("uri", "max-bytes")
    assert len(long.content) < 1000
    problem(at_the_limit, 422, "vocabulary")  # served, and refused for what it says
    assert problem(api.client.get("/" + "x" * 9000), 414, "uri-too-long")


@pytest.mark.opens_posts
def test_a_control_character_is_named_with_its_place(api: Api) -> None:
    response = api.post("/api/police/missions", {**CREATE["missions"], "title": "Stage\u0000x"})

    body = problem(response, 422, "invalid-input")
    assert "U+0000 at position 6" in body["detail"]
    correction = api.walk("posts")
    deep = api.post(
        f"{correction.path}/corrections",
        {**CHANGE[("posts", "corrections")], "changes": {"city": "Ha\u0001noï"}},
        version=correction.version,
    )
    refusal = problem(deep, 422, "invalid-input")
    assert refusal["field"] == "changes.city"
    assert "contains a control character (U+0001 at position 3)" in refusal["detail"]


def test_tabs_and_line_breaks_are_text_and_kept(api: Api) -> None:
    description = "Programme :\r\n\t- balistique\n\t- traces"
    created = api.post("/api/police/missions", {**CREATE["missions"], "description": description})

    assert created.status_code == 201, created.text
    record = api.get(f"/api/police/missions/{created.json()['id']}")
    assert record.json()["description"] == description.strip()


@pytest.mark.parametrize(
    "path",
    [
        "/api/police/missions?post_id=a%00b",
        "/api/police/delegations?host_site=Asni%C3%A8res%01",
        "/api/police/agreements?kind=%1B",
    ],
)
def test_a_control_character_in_a_query_is_refused_naming_the_parameter(
    api: Api, path: str
) -> None:
    # PostgreSQL cannot compare text with U+0000: these answered 500 on its views.
    body = problem(api.get(path), 422, "control-character")

    assert body["field"] == path.split("?")[1].split("=")[0]
    assert body["rule"] == "control-character"


@pytest.mark.parametrize("path", ["/api/police/missions/", "/healthz/"])
def test_a_trailing_slash_is_a_404_problem_not_a_redirect_to_the_host_header(
    api: Api, path: str
) -> None:
    """Starlette answered 307 to http://evil.example/… before any token was checked."""
    response = api.client.get(path, headers={"Host": "evil.example"}, follow_redirects=False)

    problem(response, 404, "not-found")
    assert "location" not in response.headers


def test_head_is_answered_wherever_get_is_with_the_get_s_status_and_headers(api: Api) -> None:
    """HEAD answered 405 (RFC 9110 requires it wherever GET is served; probes use it)."""
    reader = api.auth("police-reader")
    for path, headers in [("/healthz", {}), ("/api/police/missions", reader)]:
        got = api.client.get(path, headers=headers)
        head = api.client.head(path, headers=headers)

        assert (head.status_code, head.content) == (200, b""), path
        assert head.headers["content-type"] == got.headers["content-type"]
        assert head.headers["content-length"] == got.headers["content-length"]
    assert api.client.head("/api/police/missions", headers=reader).headers["cache-control"] == (
        "no-store"
    )
    refused = api.client.head("/api/police/missions")  # authorized as its GET: no token, 401
    assert (refused.status_code, refused.content) == (401, b"")
    assert refused.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("reason", ["   ", "\u200b", "\u0301"])
def test_a_blank_reason_is_required_however_it_is_blank(api: Api, reason: str) -> None:
    """Spaces were "string_too_short" (the framework's word), zero-width spaces "required"."""
    record = api.create("missions")
    body = {"changes": {"title": "Stage"}, "reason": reason, "corrected_on": "2013-04-01"}

    response = api.post(f"{record.path}/corrections", body, version=1)

    assert response.status_code == 422, response.text
    assert (response.json()["field"], response.json()["rule"]) == ("reason", "required")


def test_every_field_a_command_gets_wrong_is_named_in_one_answer(api: Api) -> None:
    """A request with a wrong type, country and theme was refused for its type; sent
    again, for its country; then for its theme: three round trips for one form."""
    body = {
        **CREATE["missions"],
        "mission_type": "picnic",
        "countries": ["VN", "XX"],
        "themes": ["gardening"],
    }
    position = api.position()

    refused = problem(api.post("/api/police/missions", body), 422, "vocabulary")

    assert refused["field"] == "mission_type"
    assert refused["detail"].startswith("3 fields are invalid; first: mission_type: ")
    assert [(e["field"], e["rule"]) for e in refused["errors"]] == [
        ("mission_type", "vocabulary"),
        ("countries[1]", "unknown-country"),
        ("themes[0]", "vocabulary"),
    ]
    assert api.position() == position
    one = problem(
        api.post("/api/police/missions", {**CREATE["missions"], "themes": ["gardening"]}),
        422,
        "vocabulary",
    )
    assert (one["field"], "errors" in one) == ("themes[0]", False)  # one: as before


@contextmanager
def _keycloak_signed(data_dir: Path, keys_port: int) -> Iterator[TestClient]:
    """The police service where Keycloak signs (ENTENTE_AUTH=jwks), its keys at
    ``keys_port`` of this machine; nothing answers for the issuer."""
    settings = Settings(
        data_dir=data_dir,
        tenants=["police"],
        store="sqlite",
        auth="jwks",
        issuer="http://127.0.0.1:1/realms/entente",
        jwks_url=f"http://127.0.0.1:{keys_port}/realms/entente/protocol/openid-connect/certs",
        embedded_projector=False,
    )
    platform = bootstrap(settings)
    try:
        with TestClient(create_app(platform)) as client:
            yield client
    finally:
        for ledger in platform.ledgers.values():
            ledger.close()


def test_a_service_that_cannot_read_its_signing_keys_is_not_ready(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Started while Keycloak was down, it answered 503 to every token while /readyz
    said ready (probe 5)."""
    silent = socket.create_server(("127.0.0.1", 0))  # a port that answers nothing useful
    port = silent.getsockname()[1]
    silent.close()  # now refused: nothing listens there
    with _keycloak_signed(tmp_path_factory.mktemp("keys-down"), port) as client:
        response = client.get("/readyz")

    body = problem(response, 503, "not-ready")
    assert "signing keys cannot be fetched" in body["detail"]


def test_where_keycloak_signs_the_dev_issuer_keys_are_neither_served_nor_documented(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The document listed a route answering 404 "no dev issuer" (probe 13)."""
    with _keycloak_signed(tmp_path_factory.mktemp("keycloak-signs"), 1) as client:
        paths = client.get("/openapi.json").json()["paths"]
        keys = client.get("/dev-issuer/protocol/openid-connect/certs")

    assert not [path for path in paths if path.startswith("/dev-issuer")]
    problem(keys, 404, "not-found")
