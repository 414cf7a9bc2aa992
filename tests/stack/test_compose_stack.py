"""The docker compose stack end to end, through its one entry point, as each user.

A desk officer's command goes through the gateway to the tenant service, into the
PostgreSQL event store, out through the relay to Kafka, and back through the projector
into the views and the reporting projector into the consolidated figures; the auditor
reads its history and verifies the chain. Tokens are Keycloak's, fetched by password
grant; every refusal is checked for its status and problem document.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from .conftest import Stack

TENANTS = ("police", "gendarmerie", "civil-protection")
PROBLEM_JSON = "application/problem+json"
REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("shared", "services")
#: Run by the image's Python: the SHA-256 of every module of the installed packages.
#: Where the Dockerfile puts the realm file (the chart's keycloak-provision Job reads it there).
IMAGE_REALM = Path("/opt/entente/realm-entente.json")
INSTALLED_MODULES = f"""
import hashlib, json, pathlib
found = {{}}
for name in {PACKAGES!r}:
    package = pathlib.Path(__import__(name).__path__[0])
    for module in package.rglob("*.py"):
        digest = hashlib.sha256(module.read_bytes()).hexdigest()
        found[str(module.relative_to(package.parent))] = digest
print(json.dumps(found))
"""


def _mission(title: str) -> dict[str, Any]:
    return {
        "title": title,
        "mission_type": "training-course",
        "countries": ["VN"],
        "themes": ["narcotics"],
        "requested_by": "Ministère de la Sécurité publique",
        "requested_on": "2026-11-02",
        "classification": "internal",
    }


def _record(stack: Stack, tenant: str, body: dict[str, Any], key: str) -> httpx.Response:
    return stack.gateway.post(
        f"/api/{tenant}/missions",
        json=body,
        headers={**stack.as_user(f"{tenant}-recorder"), "Idempotency-Key": key},
    )


def _problem(answer: httpx.Response, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith(PROBLEM_JSON)
    problem: dict[str, Any] = answer.json()
    assert problem["status"] == status
    return problem


def test_the_gateway_and_every_tenant_service_are_ready(stack: Stack) -> None:
    assert stack.gateway.get("/healthz").status_code == 200
    for tenant in TENANTS:
        ready = stack.gateway.get(f"/readyz/{tenant}")
        assert ready.status_code == 200, (tenant, ready.text)


def test_the_front_page_leads_to_the_documentation(stack: Stack) -> None:
    front = stack.gateway.get("/")
    assert front.status_code == 307
    assert front.headers["location"] == "/docs"
    assert "swagger" in stack.gateway.get("/docs").text.lower()
    # The pages' scripts come through the gateway too (no CDN on a closed network).
    for asset in (
        "/docs/assets/swagger-ui-bundle.js",
        "/docs/assets/redoc.standalone.js",
        "/api/reporting/docs/assets/swagger-ui.css",
        "/api/audit/docs/assets/swagger-ui-bundle.js",
    ):
        answer = stack.gateway.get(asset)
        assert answer.status_code == 200, asset
        assert len(answer.content) > 100_000, asset


def test_the_image_runs_this_tree_s_code(stack: Stack) -> None:
    """Every module the running services import is the tree's, byte for byte: a build
    that reused an older wheel from its cache would ship yesterday's code."""
    done = subprocess.run(
        [*stack.compose, "exec", "-T", "audit", "python", "-c", INSTALLED_MODULES],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    installed = json.loads(done.stdout)
    tree = {
        str(module.relative_to(REPO)): hashlib.sha256(module.read_bytes()).hexdigest()
        for name in PACKAGES
        for module in (REPO / name).rglob("*.py")
    }

    assert installed == tree


def test_the_image_carries_the_realm_the_provisioning_job_applies(stack: Stack) -> None:
    """The chart's Job runs `keycloak provision` on the realm file baked into the image."""
    read = "import hashlib; print(hashlib.sha256(open(%r, 'rb').read()).hexdigest())"
    done = subprocess.run(
        [*stack.compose, "exec", "-T", "audit", "python", "-c", read % str(IMAGE_REALM)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    realm = REPO / "deploy" / "keycloak" / "realm-entente.json"
    assert done.stdout.strip() == hashlib.sha256(realm.read_bytes()).hexdigest()


def test_a_command_travels_the_whole_pipeline(stack: Stack) -> None:
    title = f"Stage de formation {uuid.uuid4().hex[:8]}"
    key = str(uuid.uuid4())
    created = _record(stack, "police", _mission(title), key)
    assert created.status_code == 201, created.text
    mission = created.json()

    # The same Idempotency-Key answers the same, and records nothing more.
    again = _record(stack, "police", _mission(title), key)
    assert again.status_code in (200, 201), again.text
    assert (again.json()["id"], again.json()["replayed"]) == (mission["id"], True)

    # Read-your-writes: the views wait until they hold the command's position
    # (tenant service -> event store -> relay -> Kafka -> projector -> views).
    # (Until 2026-12-05 this read the record itself, which comes from the event store
    # and takes no min_position: the parameter was ignored and the views never waited.)
    board = stack.gateway.get(
        "/api/police/missions",
        params={
            "min_position": mission["position"],
            "wait_ms": 10_000,
            "status": "requested",
            "country": "VN",
            "theme": "narcotics",
            "limit": 200,
        },
        headers=stack.as_user("police-reader"),
    )
    assert board.status_code == 200, board.text
    (row,) = [m for m in board.json()["items"] if m["id"] == mission["id"]]
    assert row["title"] == title
    seen = stack.gateway.get(
        f"/api/police/missions/{mission['id']}", headers=stack.as_user("police-reader")
    )
    assert seen.status_code == 200, seen.text
    assert seen.json()["title"] == title

    # A validator (not the recorder) records the decision, with the version last seen.
    validated = stack.gateway.post(
        f"/api/police/missions/{mission['id']}/validation",
        json={
            "decided_on": "2026-11-10",
            "decided_by": "Ministère de l'Europe et des Affaires étrangères",
            "decision_reference": "MEAE-2026-1142",
        },
        headers={**stack.as_user("police-validator"), "If-Match": '"1"'},
    )
    assert validated.status_code == 200, validated.text
    assert validated.json()["version"] == 2

    # The consolidated reporting view reflects police's log up to the validation.
    reporting = stack.as_user("reporting")
    deadline = time.monotonic() + 60
    while True:
        status = stack.gateway.get("/api/reporting/status", headers=reporting)
        assert status.status_code == 200, status.text
        reached = status.json()["positions"].get("police") or 0
        if reached >= validated.json()["position"] or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert reached >= validated.json()["position"], status.json()
    assert status.json()["running"] is True

    # The auditor reads both events, with who recorded them.
    history = stack.gateway.get(
        f"/api/audit/police/records/{mission['id']}/history", headers=stack.as_user("auditor")
    )
    assert history.status_code == 200, history.text
    events = history.json()["events"]
    assert [event["version"] for event in events] == [1, 2]
    assert events[0]["recorded_by"]["name"] == "Demo police recorder"
    assert events[1]["recorded_by"]["name"] != events[0]["recorded_by"]["name"]


def test_the_auditor_verifies_the_chain_with_the_read_only_role(stack: Stack) -> None:
    """`entente audit verify` in the audit container, whose role may only read."""
    created = _record(stack, "gendarmerie", _mission("Audit d'un centre"), str(uuid.uuid4()))
    assert created.status_code == 201, created.text

    done = subprocess.run(
        [*stack.compose, "exec", "-T", "audit", "entente", "audit", "verify", "gendarmerie"],
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK: nothing altered, missing, inserted or reordered" in done.stdout
    # ENTENTE_EVENT_LOG=kafka there: the published topic is read as a witness too.
    assert "no witness outside the store" not in done.stdout


def test_each_directorate_sees_and_writes_only_its_own(stack: Stack) -> None:
    read = stack.gateway.get("/api/police/missions", headers=stack.as_user("gendarmerie-reader"))
    write = stack.gateway.post(
        "/api/gendarmerie/missions",
        json=_mission("Hors de son périmètre"),
        headers={**stack.as_user("police-recorder"), "Idempotency-Key": str(uuid.uuid4())},
    )

    _problem(read, 403)
    _problem(write, 403)


@pytest.mark.parametrize("user", ["reporting", "auditor"])
def test_reporting_staff_and_auditors_change_nothing(stack: Stack, user: str) -> None:
    answer = stack.gateway.post(
        "/api/police/missions",
        json=_mission("Tentative"),
        headers={**stack.as_user(user), "Idempotency-Key": str(uuid.uuid4())},
    )

    _problem(answer, 403)


def test_a_forged_token_is_refused(stack: Stack) -> None:
    """A genuine token's claims, signed with a key the realm never published."""
    genuine = stack.token("police-reader")
    header = jwt.get_unverified_header(genuine)
    claims = jwt.decode(genuine, options={"verify_signature": False})
    forged = jwt.encode(
        claims,
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        algorithm="RS256",
        headers={"kid": header["kid"]},
    )
    payload = genuine.split(".")[1]
    claims["realm_access"] = {"roles": ["police:recorder"]}
    tampered_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
    tampered = genuine.replace(payload, tampered_payload.decode())

    for token in (forged, tampered):
        answer = stack.gateway.get(
            "/api/police/missions", headers={"Authorization": f"Bearer {token}"}
        )
        _problem(answer, 401)
    assert (
        stack.gateway.get("/api/police/missions", headers=stack.as_user("police-reader"))
    ).status_code == 200


def test_bad_input_gets_a_precise_problem_and_records_nothing(stack: Stack) -> None:
    title = f"Pays inconnu {uuid.uuid4().hex[:8]}"
    refused = _record(stack, "police", {**_mission(title), "countries": ["XX"]}, str(uuid.uuid4()))

    problem = _problem(refused, 422)
    assert problem["field"] == "countries[0]"
    board = stack.gateway.get(
        "/api/police/missions", params={"limit": 200}, headers=stack.as_user("police-reader")
    )
    assert board.status_code == 200, board.text
    assert title not in board.text


def test_an_unknown_tenant_is_a_404_problem(stack: Stack) -> None:
    answer = stack.gateway.get("/api/nowhere/missions", headers=stack.as_user("police-reader"))

    _problem(answer, 404)


def test_commands_accepted_while_the_relay_is_down_arrive_once_it_is_back(stack: Stack) -> None:
    """The event store is the outbox: a stopped relay delays the views, loses nothing."""
    subprocess.run([*stack.compose, "stop", "relay-civil-protection"], check=True, timeout=120)
    try:
        titles = [f"Exercice pendant l'arrêt {n} {uuid.uuid4().hex[:6]}" for n in range(3)]
        positions = []
        for title in titles:
            created = _record(stack, "civil-protection", _mission(title), str(uuid.uuid4()))
            assert created.status_code == 201, created.text
            positions.append(created.json()["position"])
        reader = stack.as_user("civil-protection-reader")
        behind = stack.gateway.get(
            "/api/civil-protection/views/position",
            params={"min_position": max(positions), "wait_ms": 1000},
            headers=reader,
        )
        _problem(behind, 503)
    finally:
        subprocess.run([*stack.compose, "start", "relay-civil-protection"], check=True, timeout=120)

    caught_up = stack.gateway.get(
        "/api/civil-protection/missions",
        params={"min_position": max(positions), "wait_ms": 30_000, "limit": 200},
        headers=reader,
    )
    assert caught_up.status_code == 200, caught_up.text
    for title in titles:
        assert title in caught_up.text
