"""The declarative realm file, checked without a server: the role model, no secrets,
the same demo users as the dev issuer, and what production leaves out.

The same file applied to a real Keycloak is tested in tests/keycloak.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.auth.dev_issuer import demo_users
from shared.auth.roles import AUDITOR, PLATFORM_ADMIN, REPORTING_READER, tenant_role
from shared.errors import ConfigurationError
from shared.keycloak.provision import DEFAULT_REALM_FILE, load_realm, without_demo
from shared.tenancy import DEFAULT_TENANTS

REPO = Path(__file__).resolve().parents[2]
REALM = load_realm(REPO / DEFAULT_REALM_FILE)
TENANTS = list(DEFAULT_TENANTS)
SECRET_KEYS = {"credentials", "secret", "password", "privateKey", "value", "hashedSaltedValue"}


def _keys(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from _keys(value)
    elif isinstance(node, list):
        for item in node:
            yield from _keys(item)


def _groups(groups: list[dict[str, Any]], parent: str = "") -> Iterator[tuple[str, list[str]]]:
    for group in groups:
        path = f"{parent}/{group['name']}"
        yield path, group.get("realmRoles", [])
        yield from _groups(group.get("subGroups", []), path)


def _clients(realm: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["clientId"]: c for c in realm["clients"]}


def test_the_realm_file_holds_no_secret() -> None:
    assert set(_keys(REALM)) & SECRET_KEYS == set()


def test_the_roles_are_the_architectures_and_tenant_scoped() -> None:
    expected = {tenant_role(t, r) for t in TENANTS for r in ("recorder", "validator", "reader")}
    expected |= {REPORTING_READER, AUDITOR, PLATFORM_ADMIN}

    assert {r["name"] for r in REALM["roles"]["realm"]} == expected


def test_a_group_per_directorate_grants_its_roles_through_subgroups() -> None:
    groups = dict(_groups(REALM["groups"]))

    for tenant in TENANTS:
        assert groups[f"/{tenant}"] == []
        for role in ("recorder", "validator", "reader"):
            assert groups[f"/{tenant}/{role}s"] == [tenant_role(tenant, role)]


def test_the_demo_users_are_the_dev_issuers_with_the_same_roles_and_names() -> None:
    groups = dict(_groups(REALM["groups"]))
    expected = demo_users(TENANTS)

    declared = {
        u["username"]: (sorted(r for g in u["groups"] for r in groups[g]), f"Demo {u['lastName']}")
        for u in REALM["users"]
    }

    assert declared == {n: (sorted(u.roles), u.name) for n, u in expected.items()}


def _audience(client: dict[str, Any]) -> list[str]:
    return [
        m["config"]["included.custom.audience"]
        for m in client.get("protocolMappers", [])
        if m["protocolMapper"] == "oidc-audience-mapper"
        and m["config"]["access.token.claim"] == "true"
    ]


def test_every_client_puts_the_api_in_the_access_tokens_audience() -> None:
    assert {name: _audience(c) for name, c in _clients(REALM).items()} == {
        name: ["entente-api"] for name in _clients(REALM)
    }


def test_service_clients_are_confidential_and_the_web_client_public_with_pkce() -> None:
    clients = _clients(REALM)
    web = clients["entente-web"]

    for name in ("entente-tenant", "entente-reporting", "entente-audit"):
        assert (clients[name]["publicClient"], clients[name]["directAccessGrantsEnabled"]) == (
            False,
            False,
        )
    assert (web["publicClient"], web["directAccessGrantsEnabled"]) == (True, False)
    assert web["attributes"]["pkce.code.challenge.method"] == "S256"
    assert web["implicitFlowEnabled"] is False


def test_access_tokens_live_five_minutes_at_most() -> None:
    assert REALM["accessTokenLifespan"] <= 300


def test_production_leaves_out_the_password_grant_client_and_the_demo_users() -> None:
    production = without_demo(REALM)
    clients = _clients(production)

    assert production["users"] == []
    assert set(clients) == {"entente-tenant", "entente-reporting", "entente-audit", "entente-web"}
    assert [n for n, c in clients.items() if c.get("directAccessGrantsEnabled")] == []
    assert "entente-test" in _clients(REALM)  # the dev/test realm keeps it


def test_a_realm_file_with_a_password_or_direct_roles_is_refused(tmp_path: Path) -> None:
    for user in (
        {"username": "x", "credentials": [{"type": "password", "value": "secret"}]},
        {"username": "x", "realmRoles": ["platform:admin"]},
    ):
        path = tmp_path / "realm.json"
        path.write_text(json.dumps({"realm": "entente", "users": [user]}), encoding="utf-8")

        with pytest.raises(ConfigurationError, match="no credentials in the file"):
            load_realm(path)


def _entente(environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    entente = str(Path(sys.executable).with_name("entente"))
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ENTENTE_")}
    return subprocess.run(
        [entente, "keycloak", "provision", "--realm-file", str(REPO / DEFAULT_REALM_FILE)],
        env={**clean, **environment},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_provisioning_an_unreachable_keycloak_fails_with_a_clear_message() -> None:
    url = f"http://127.0.0.1:{_closed_port()}"

    done = _entente(
        {
            "ENTENTE_KEYCLOAK_URL": url,
            "ENTENTE_KEYCLOAK_ADMIN": "admin",
            "ENTENTE_KEYCLOAK_ADMIN_PASSWORD": "admin",
            "ENTENTE_DEMO_PASSWORD": "demo",
        }
    )

    assert done.returncode == 2
    assert done.stderr == (
        f"entente: cannot reach Keycloak at {url} (ENTENTE_KEYCLOAK_URL): is it running?\n"
    )


def test_provisioning_names_the_missing_settings() -> None:
    done = _entente({"ENTENTE_KEYCLOAK_ADMIN": "admin"})

    assert done.returncode == 2
    assert done.stderr == (
        "entente: set ENTENTE_KEYCLOAK_URL, ENTENTE_KEYCLOAK_ADMIN_PASSWORD "
        "to reach Keycloak's admin API\n"
    )


@pytest.mark.parametrize(
    ("url", "said"),
    [
        (
            "http://admin:s3cr3t@127.0.0.1:1",
            "holds credentials: give them in ENTENTE_KEYCLOAK_ADMIN",
        ),
        ("not-a-url", "not a Keycloak URL: it needs http:// or https:// and a host"),
        ("http://127.0.0.1:99999", "not a usable URL: Port out of range 0-65535"),
    ],
)
def test_a_keycloak_url_that_cannot_be_one_is_named_without_its_credentials(
    url: str, said: str
) -> None:
    """A URL with a password printed it ("cannot reach Keycloak at http://admin:s3cr3t@…");
    a malformed one read "is it running?"."""
    done = _entente(
        {
            "ENTENTE_KEYCLOAK_URL": url,
            "ENTENTE_KEYCLOAK_ADMIN": "admin",
            "ENTENTE_KEYCLOAK_ADMIN_PASSWORD": "admin",
        }
    )

    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("entente: ENTENTE_KEYCLOAK_URL: ")
    assert said in line
    assert "s3cr3t" not in done.stdout + done.stderr
