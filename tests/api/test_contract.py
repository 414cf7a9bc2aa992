"""The OpenAPI documents are the contract: every answer is one they state.

The whole platform runs as ``entente serve`` runs it (tenant services, audit
and reporting in one app, the dev issuer). Schemathesis generates requests
from each of its three documents, both valid ones and ones that break the
schema, for every operation and as each kind of caller (each role, another
tenant's officer, no token). Every answer must be one its document states:
its status, its media type (problems as ``application/problem+json``), its
headers and its body; no request may get a 500, and an invalid one must be
refused. Generated requests reach real records too: the record ids of each
collection are put in place of the generated ones for part of the cases.
It runs twice: on the embedded default (SQLite) and with events and views in
PostgreSQL, which refuses input SQLite takes (U+0000 in a filter answered 500).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis import checks as builtin
from schemathesis.core.result import Err

from shared.auth.dev_issuer import DevIssuer
from shared.cli.main import platform_app
from shared.settings import Settings
from tests.api.conftest import CREATE, MAX_BODY, fresh_database, postgres_backend, reproducible

TENANT = "police"
DOCUMENTS = ("/openapi.json", "/api/audit/openapi.json", "/api/reporting/openapi.json")
#: Each kind of caller: the roles of one directorate, another's officer, reporting, audit, nobody.
CALLERS = (
    "police-recorder",
    "police-validator",
    "police-reader",
    "gendarmerie-recorder",
    "reporting",
    "auditor",
    None,
)
#: Cases per operation, per caller and mode: about 5,800 requests in all (measured);
#: ``ENTENTE_CONTRACT_EXAMPLES`` asks for more, for a deeper search by hand.
EXAMPLES = int(os.environ.get("ENTENTE_CONTRACT_EXAMPLES", "8"))
#: A wait for a far position answers 503 once it runs out: generated waits are cut to this (ms).
LONGEST_WAIT_MS = 20

#: No 5xx check: a 503 is a stated answer (a wait ran out); a 500 is refused below.
POSITIVE_CHECKS = [
    builtin.status_code_conformance,
    builtin.content_type_conformance,
    builtin.response_headers_conformance,
    builtin.response_schema_conformance,
]
NEGATIVE_CHECKS = [*POSITIVE_CHECKS, builtin.negative_data_rejection]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def settings_(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Settings]:
    """The embedded default, and the same platform on PostgreSQL (events and views).

    PostgreSQL refuses what SQLite takes (U+0000 in text, integers beyond 64
    bits): generated input that reaches it is the test that matters there.
    """
    data_dir = tmp_path_factory.mktemp(f"contract-{request.param}")
    if request.param == "sqlite":
        yield Settings(data_dir=data_dir, store="sqlite", auth="dev", max_body_bytes=MAX_BODY)
        return
    with fresh_database(request.getfixturevalue("postgres_url")) as url:
        yield Settings(
            data_dir=data_dir, auth="dev", max_body_bytes=MAX_BODY, **postgres_backend(url)
        )


@pytest.fixture(scope="module")
def platform(settings_: Settings) -> Iterator[TestClient]:
    with TestClient(platform_app(settings_)) as client:
        yield client


@pytest.fixture(scope="module")
def issuer(settings_: Settings, platform: TestClient) -> DevIssuer:
    """The platform's dev issuer (its key is in the data directory)."""
    s = settings_
    return DevIssuer(s.data_dir, s.issuer, s.audience, s.tenants)


@pytest.fixture(scope="module")
def records(platform: TestClient, issuer: DevIssuer) -> dict[str, str]:
    """One record id per collection of the police tenant, made through the API."""
    headers = {"Authorization": f"Bearer {issuer.token('police-recorder', 3600)}"}
    made: dict[str, str] = {}
    for collection, body in CREATE.items():
        response = platform.post(f"/api/{TENANT}/{collection}", json=body, headers=headers)
        assert response.status_code == 201, response.text
        made[collection] = response.json()["id"]
    return made


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("document", DOCUMENTS)
@pytest.mark.parametrize("caller", CALLERS)
def test_every_answer_is_one_the_document_states(
    platform: TestClient,
    issuer: DevIssuer,
    records: dict[str, str],
    document: str,
    caller: str | None,
    mode: GenerationMode,
) -> None:
    response = platform.get(document)
    assert response.status_code == 200, f"{document}: {response.status_code}"
    schema = schemathesis.openapi.from_dict(response.json())
    headers = {"Authorization": f"Bearer {issuer.token(caller, 3600)}"} if caller else {}
    checks = POSITIVE_CHECKS if mode is GenerationMode.POSITIVE else NEGATIVE_CHECKS
    failures: dict[str, str] = {}
    tried = 0
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            pytest.fail(f"{document}: an operation cannot be read: {result.err()}")
        operation = result.ok()
        check = _checker(platform, operation, records, headers, mode, checks)
        try:
            check()
        except Unsatisfiable:  # no input to break (a probe without parameters)
            assert mode is GenerationMode.NEGATIVE, operation.label
            continue
        except (AssertionError, BaseExceptionGroup) as failure:  # every operation is tried
            failures[operation.label] = str(failure)[:2000]
        tried += 1
    assert not failures, "\n\n".join(f"== {label}\n{text}" for label, text in failures.items())
    assert tried >= 3, f"{document}: only {tried} operations could be tried"


def _checker(
    platform: TestClient,
    operation: Any,
    records: dict[str, str],
    headers: dict[str, str],
    mode: GenerationMode,
    checks: list[Any],
) -> Callable[[], None]:
    """A Hypothesis test sending ``EXAMPLES`` generated requests to ``operation``."""
    path_names = {p.name for p in operation.path_parameters}
    fixed = {"tenant": TENANT} if "tenant" in path_names and mode is GenerationMode.POSITIVE else {}

    # The token is a fixed header: a negative case then never drops it, only to see it sent.
    strategy = operation.as_strategy(mode, path_parameters=fixed, headers=headers or None)

    @given(case=strategy, real=st.booleans())
    @reproducible(EXAMPLES)
    def check(case: Any, real: bool) -> None:
        parameters = case.path_parameters or {}
        if real and "record_id" in parameters and mode is GenerationMode.POSITIVE:
            parameters["record_id"] = _record_for(operation.path, records)
        query = case.query if case.query is not None else {}
        if "min_position" in query and "wait_ms" not in query:
            query["wait_ms"] = LONGEST_WAIT_MS  # not the default wait (2 s)
        if isinstance(query.get("wait_ms"), int):
            query["wait_ms"] = min(query["wait_ms"], LONGEST_WAIT_MS)
        case.query = query
        sent = case.as_transport_kwargs(base_url="http://testserver")
        request = {k: v for k, v in sent.items() if k in {"method", "url", "params"}}
        # Headers as a client puts them on the wire: a negated value outside ASCII
        # (``Bearer \x80``) as its UTF-8 bytes, which httpx refuses to encode itself.
        request["headers"] = {
            name: value.encode() if isinstance(value, str) and not value.isascii() else value
            for name, value in (sent.get("headers") or {}).items()
        }
        if "json" in sent:
            request["json"] = sent["json"]
        if "data" in sent:
            request["content"] = sent["data"]
        answer = platform.request(**request)
        assert answer.status_code != 500, f"{case.method} {case.formatted_path}: {answer.text}"
        if any(value in ("", None) for value in query.values()):
            # A null negated into a query string arrives as an empty value, which is valid:
            # ``group_by=`` asks for the totals alone (docs/reporting.md).
            wanted = [c for c in checks if c is not builtin.negative_data_rejection]
        elif answer.status_code == 413:
            # A refusal too (the body is over the limit, as documented), which Schemathesis's
            # list of rejecting statuses leaves out: found by a run at 40 examples.
            wanted = [c for c in checks if c is not builtin.negative_data_rejection]
        else:
            wanted = checks
        case.validate_response(answer, checks=wanted, headers=headers)

    return check


def _record_for(path: str, records: dict[str, str]) -> str:
    """The real record of the collection a path names (the audit's: any record)."""
    for collection, record_id in records.items():
        if f"/{collection}/" in path:
            return record_id
    return records["missions"]
