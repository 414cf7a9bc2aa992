"""The OpenAPI document: a summary for every operation, examples for every body field."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from shared.auth.dev_issuer import DevIssuer
from shared.cli.main import platform_app
from shared.domain.agreement import Agreement
from shared.domain.delegation import DelegationVisit
from shared.domain.mission import Mission
from shared.domain.post import PostAbroad
from shared.domain.vocabulary import MissionStatus, Theme
from shared.settings import Settings


def test_every_operation_has_a_summary_and_every_body_field_an_example(client: TestClient) -> None:
    spec: dict[str, Any] = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    gaps: list[str] = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if not operation.get("summary"):
                gaps.append(f"{method} {path}: no summary")
            body = operation.get("requestBody")
            if body is None:
                continue
            ref = body["content"]["application/json"]["schema"]["$ref"]
            schema = schemas[ref.rsplit("/", 1)[-1]]
            if "examples" in schema:
                continue
            gaps.extend(
                f"{method} {path}: {name} has no example"
                for name, field in schema.get("properties", {}).items()
                if not ({"examples", "$ref"} & field.keys())
                and not any("$ref" in option for option in field.get("anyOf", []))
            )
    assert len(spec["paths"]) >= 35
    assert gaps == []


def test_the_document_states_the_bearer_scheme_and_every_error_as_a_problem(
    client: TestClient,
) -> None:
    spec: dict[str, Any] = client.get("/openapi.json").json()

    scheme = spec["components"]["securitySchemes"]["bearer"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            label = f"{method.upper()} {path}"
            secured = operation.get("security") == [{"bearer": []}]
            assert secured == path.startswith("/api/"), label  # probes and keys are public
            errors = {k: v for k, v in operation["responses"].items() if int(k) >= 400}
            assert "500" in errors, label
            for status, response in errors.items():
                problem_content = {"application/problem+json": {"schema": problem_ref}}
                assert response["content"] == problem_content, f"{label} {status}"
            if secured:
                assert {"401", "403"} <= errors.keys(), label
                assert "WWW-Authenticate" in errors["401"]["headers"], label
            if "requestBody" in operation:
                assert {"400", "413", "415", "422"} <= errors.keys(), label
            if any(p["name"] == "if-match" for p in operation.get("parameters", [])):
                assert {"409", "412", "428"} <= errors.keys(), label


def test_the_front_page_leads_to_the_documentation(client: TestClient) -> None:
    """Opening the platform's address in a browser shows the API, not a 404 problem."""
    answer = client.get("/", follow_redirects=False)

    assert answer.status_code == 307
    assert answer.headers["location"] == "/docs"  # relative: right behind any host or port
    page = client.get("/")
    assert page.status_code == 200
    assert "swagger" in page.text.lower()


@pytest.fixture(scope="module")
def whole_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """``entente serve`` as ``make run`` starts it: tenants, reporting and audit on one server."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("docs"), store="sqlite", auth="dev")
    with TestClient(platform_app(settings)) as client:
        yield client


@pytest.mark.parametrize(
    "page",
    [
        "/docs",
        "/redoc",
        "/api/reporting/docs",
        "/api/reporting/redoc",  # the README promised it; it was a 404
        "/api/audit/docs",
        "/api/audit/redoc",
    ],
)
def test_documentation_pages_load_nothing_from_outside_the_platform(
    whole_platform: TestClient, page: str
) -> None:
    """A ministry network without Internet access shows the pages (no CDN, no web fonts)."""
    answer = whole_platform.get(page)
    assert answer.status_code == 200
    sources = re.findall(r"""(?:src|href)\s*[=:]\s*['"]([^'"]+)['"]""", answer.text)
    scripts = [s for s in sources if s.endswith(".js")]
    assert scripts, answer.text
    outside = [s for s in sources if not s.startswith("/")]
    assert outside == [], outside
    assert "https://" not in answer.text.replace("https://fastapi.tiangolo.com", "")
    for source in sources:
        asset = whole_platform.get(source)
        assert asset.status_code == 200, source
        assert len(asset.content) > 1000 or source.endswith(".png"), source


def test_swagger_ui_served_reads_openapi_3_1(whole_platform: TestClient) -> None:
    """FastAPI writes OpenAPI 3.1, which Swagger UI reads from version 5 on."""
    bundle = whole_platform.get("/docs/assets/swagger-ui-bundle.js")
    assert bundle.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    major = re.search(r'PACKAGE_VERSION:"(\d+)\.\d+\.\d+"', bundle.text)
    assert major is not None
    assert int(major.group(1)) >= 5
    assert whole_platform.get("/openapi.json").json()["openapi"].startswith("3.1")


@pytest.mark.parametrize(
    ("collection", "record"),
    [
        ("agreements", Agreement),
        ("missions", Mission),
        ("delegations", DelegationVisit),
        ("posts", PostAbroad),
    ],
)
def test_each_correction_operation_names_the_fields_it_may_correct(
    client: TestClient, collection: str, record: Any
) -> None:
    """The body is a map of any names: without the list, a client found them by 422s."""
    spec = client.get("/openapi.json").json()
    operation = spec["paths"][f"/api/{{tenant}}/{collection}/{{record_id}}/corrections"]["post"]

    named = set(re.findall(r"`([a-z_]+)`", operation["description"]))

    assert named == {*record.correctable, "classification"} - record.decision_fields


def test_the_view_filters_state_the_codes_they_take(client: TestClient) -> None:
    """Documented as any text, a client (or schemathesis) learnt the codes from 422s."""
    spec = client.get("/openapi.json").json()
    parameters = {
        p["name"]: p["schema"] for p in spec["paths"]["/api/{tenant}/missions"]["get"]["parameters"]
    }
    register = {
        p["name"]: p["schema"]
        for p in spec["paths"]["/api/{tenant}/agreements"]["get"]["parameters"]
    }

    assert parameters["status"]["enum"] == [status.value for status in MissionStatus]
    assert parameters["theme"]["enum"] == [theme.value for theme in Theme]
    assert parameters["country"]["pattern"] == "^[A-Z]{2}$"
    assert register["status"]["enum"][-1] == "expired"  # derived, not recorded


def test_headers_and_counts_state_the_forms_the_api_checks(client: TestClient) -> None:
    """Enforced but not stated, they were learnt from 422s (probe 7)."""
    spec = client.get("/openapi.json").json()
    operation = spec["paths"]["/api/{tenant}/missions/{record_id}/schedule"]["post"]
    headers = {p["name"]: p["schema"] for p in operation["parameters"] if p["in"] == "header"}
    schedule = spec["components"]["schemas"]["ScheduleMission"]["properties"]
    evaluation = spec["components"]["schemas"]["EvaluateMission"]["properties"]

    assert re.fullmatch(headers["if-match"]["pattern"], '"3"')
    assert not re.fullmatch(headers["if-match"]["pattern"], "3")
    assert re.fullmatch(headers["idempotency-key"]["pattern"], "import-2026-11-001")
    assert re.fullmatch(headers["x-correlation-id"]["pattern"], "req-42")
    assert (schedule["expert_count"]["minimum"], schedule["expert_count"]["maximum"]) == (0, 500)
    assert (evaluation["rating"]["minimum"], evaluation["rating"]["maximum"]) == (1, 5)


DOCUMENTS = ["/openapi.json", "/api/reporting/openapi.json", "/api/audit/openapi.json"]


def test_every_operation_states_the_422_of_a_query_parameter_it_does_not_take(
    whole_platform: TestClient,
) -> None:
    """Every route refuses an unknown query parameter (``shared.http.query``), those that
    take none too; their documents left the 422 out (probe 12)."""
    missing = [
        f"{method.upper()} {path}"
        for document in DOCUMENTS
        for path, operations in whole_platform.get(document).json()["paths"].items()
        for method, operation in operations.items()
        if "422" not in operation["responses"]
    ]
    assert missing == []


@pytest.mark.parametrize(
    ("path", "user"),
    [
        ("/healthz", None),
        ("/readyz", None),
        ("/dev-issuer/protocol/openid-connect/certs", None),
        ("/api/reporting/healthz", None),
        ("/api/reporting/status", "reporting"),
        ("/api/reporting/vocabularies", "reporting"),
        ("/api/audit/tenants", "auditor"),
    ],
)
def test_an_operation_taking_no_parameter_refuses_one_as_its_document_says(
    whole_platform: TestClient, path: str, user: str | None
) -> None:
    settings: Settings = whole_platform.app.state.platform.settings  # type: ignore[attr-defined]
    headers = {}
    if user is not None:
        issuer = DevIssuer(settings.data_dir, settings.issuer, settings.audience, settings.tenants)
        headers = {"Authorization": f"Bearer {issuer.token(user, 600)}"}

    answer = whole_platform.get(path, params={"x": "1"}, headers=headers)

    assert answer.status_code == 422, answer.text
    assert (answer.json()["field"], answer.json()["rule"]) == ("x", "unknown-parameter")
    service = path.split("/")[2] if path.startswith("/api/") else None
    document = "/openapi.json" if service is None else f"/api/{service}/openapi.json"
    assert "422" in whole_platform.get(document).json()["paths"][path]["get"]["responses"]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/docs", 200),
        ("/redoc", 200),
        ("/openapi.json", 200),
        ("/api/reporting/docs", 200),
        ("/api/audit/docs", 200),
        ("/api/police/missions", 401),
        ("/api/reporting/figures", 401),
        ("/nowhere", 404),
        ("/healthz", 200),
        ("/" + "x" * 9000, 414),  # answered before any route
    ],
)
def test_every_answer_forbids_framing_and_type_sniffing_once(
    whole_platform: TestClient, path: str, status: int
) -> None:
    """Any site could frame the documentation pages, whose "try it out" sends the
    user's token, and a browser could sniff an answer into HTML (probe 13)."""
    answer = whole_platform.get(path)

    assert answer.status_code == status
    for name, value in [
        ("x-content-type-options", "nosniff"),
        ("content-security-policy", "frame-ancestors 'none'"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
    ]:
        assert answer.headers.get_list(name) == [value], name  # once, nested apps too
