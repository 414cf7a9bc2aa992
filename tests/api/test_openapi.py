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
