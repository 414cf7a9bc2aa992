"""The OpenAPI document: a summary for every operation, examples for every body field."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


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
