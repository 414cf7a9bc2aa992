"""Every Helm value is documented: in values.schema.json and in docs/deployment.md."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "entente"
DOCS = ROOT / "docs" / "deployment.md"
# Values documented as a whole (maps handed to Kubernetes as they are).
WHOLE = {
    "resources",
    "annotations",
    "namespaceSelector",
    "podSelector",
    "podSecurityContext",
    "securityContext",
    "podLabels",
    "podAnnotations",
    "nodeSelector",
    "affinity",
}

# Lists of Kubernetes objects (NetworkPolicyPeer, EnvVar): Kubernetes documents their fields.
KUBERNETES_TYPED = {"to", "extraEnv"}


def _paths(value: Any, path: str = "") -> Iterator[str]:
    """Every documented path of values.yaml: `kafka.partitions`, `tenants[].slug`…"""
    if path == "tenants":
        yield path
        for tenant in value:
            for key in tenant:
                yield f"tenants[].{key}"
        return
    if isinstance(value, dict) and value and path.rsplit(".", 1)[-1] not in WHOLE:
        for key, child in value.items():
            yield from _paths(child, f"{path}.{key}" if path else key)
        return
    yield path


def _undescribed(schema: dict[str, Any], path: str = "") -> Iterator[str]:
    for key, child in schema.get("properties", {}).items():
        where = f"{path}.{key}" if path else key
        if "description" not in child:
            yield where
        if key not in WHOLE | KUBERNETES_TYPED:
            yield from _undescribed(child, where)
    items = schema.get("items")
    if isinstance(items, dict):
        yield from _undescribed(items, f"{path}[]")


def test_every_value_in_values_yaml_is_in_the_deployment_guide() -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text(encoding="utf-8"))
    guide = DOCS.read_text(encoding="utf-8")
    missing = sorted({p for p in _paths(values) if f"| `{p}` |" not in guide})
    assert not missing, f"docs/deployment.md has no row for: {missing}"


def test_every_value_in_the_schema_has_a_description() -> None:
    schema = json.loads((CHART / "values.schema.json").read_text(encoding="utf-8"))
    assert schema["additionalProperties"] is False
    missing = sorted(set(_undescribed(schema)))
    assert not missing, f"values.schema.json describes nothing for: {missing}"


def test_the_schema_and_values_yaml_name_the_same_values() -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text(encoding="utf-8"))
    schema = json.loads((CHART / "values.schema.json").read_text(encoding="utf-8"))
    assert set(values) == set(schema["properties"])
