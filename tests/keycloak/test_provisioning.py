"""The declarative realm, applied to a real Keycloak: idempotent, self-healing, as declared.

The ``keycloak`` fixture has already provisioned the realm once this run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from shared.auth.dev_issuer import demo_users
from shared.auth.jwks import CachedJwks, http_jwks
from shared.auth.tokens import TokenPolicy, TokenVerifier
from shared.keycloak.provision import load_realm
from shared.tenancy import DEFAULT_TENANTS

from .conftest import AUDIENCE, REALM, REALM_FILE, Keycloak, realm_with_test_extras

DEMO_USERS = demo_users(list(DEFAULT_TENANTS))
ENTENTE_ROLES = {r["name"] for r in load_realm(REALM_FILE)["roles"]["realm"]}


def test_a_second_run_changes_nothing_and_says_so(keycloak: Keycloak) -> None:
    again = keycloak.provision(realm_with_test_extras())
    realm_file_alone = keycloak.provision(load_realm(REALM_FILE))

    assert again.changes == []
    assert again.summary() == "realm entente: up to date, 0 changes"
    assert realm_file_alone.changes == []


def test_the_cli_applies_the_realm_file_and_says_it_is_up_to_date(keycloak: Keycloak) -> None:
    environment = {
        **os.environ,
        "ENTENTE_KEYCLOAK_URL": keycloak.server.url,
        "ENTENTE_KEYCLOAK_ADMIN": keycloak.server.admin,
        "ENTENTE_KEYCLOAK_ADMIN_PASSWORD": keycloak.server.admin_password,
        "ENTENTE_DEMO_PASSWORD": "unused-as-every-user-has-a-password",
    }
    entente = str(Path(sys.executable).with_name("entente"))
    command = [entente, "keycloak", "provision", "--realm-file", str(REALM_FILE)]

    done = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=120)

    assert (done.returncode, done.stdout) == (0, "realm entente: up to date, 0 changes\n")


def _drift(admin: httpx.Client) -> None:
    """What an administrator might change by hand in the console."""
    assert admin.put(f"/{REALM}", json={"accessTokenLifespan": 3600}).status_code == 204
    readers = admin.get(f"/{REALM}/group-by-path/police/readers").json()["id"]
    recorder = admin.get(f"/{REALM}/roles/police:recorder").json()
    granted = admin.post(f"/{REALM}/groups/{readers}/role-mappings/realm", json=[recorder])
    assert granted.status_code == 204
    test_client = _client(admin, "entente-test")
    smuggled = {
        "name": "smuggled admin",
        "protocol": "openid-connect",
        "protocolMapper": "oidc-hardcoded-role-mapper",
        "config": {"role": "platform:admin"},
    }
    added = admin.post(
        f"/{REALM}/clients/{test_client['id']}/protocol-mappers/models", json=smuggled
    )
    assert added.status_code == 201
    web = _client(admin, "entente-web")
    opened = admin.put(
        f"/{REALM}/clients/{web['id']}", json={**web, "directAccessGrantsEnabled": True}
    )
    assert opened.status_code == 204
    user = admin.get(f"/{REALM}/users", params={"username": "test-police-gendarmerie-reader"})
    gendarmerie = admin.get(f"/{REALM}/group-by-path/gendarmerie/readers").json()["id"]
    left = admin.delete(f"/{REALM}/users/{user.json()[0]['id']}/groups/{gendarmerie}")
    assert left.status_code == 204


def _client(admin: httpx.Client, client_id: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = admin.get(
        f"/{REALM}/clients", params={"clientId": client_id}
    ).json()
    return found[0]


@pytest.fixture
def drifted(keycloak: Keycloak) -> Iterator[None]:
    with keycloak.admin_api() as admin:
        _drift(admin)
    try:
        yield
    finally:  # whatever the test found, leave the realm as declared
        keycloak.provision(realm_with_test_extras())


@pytest.mark.usefixtures("drifted")
def test_provisioning_puts_back_what_was_changed_by_hand(keycloak: Keycloak) -> None:
    repaired = keycloak.provision(realm_with_test_extras())
    again = keycloak.provision(realm_with_test_extras())

    assert sorted(repaired.changes) == [
        "client entente-test: removed undeclared mapper 'smuggled admin'",
        "group /police/readers: revoked police:recorder",
        "updated client entente-web: directAccessGrantsEnabled",
        "updated realm settings: accessTokenLifespan",
        "user test-police-gendarmerie-reader: joined /gendarmerie/readers",
    ]
    assert again.changes == []


def _verifier(keycloak: Keycloak) -> TokenVerifier:
    return TokenVerifier(
        TokenPolicy(keycloak.issuer(), AUDIENCE), CachedJwks(http_jwks(keycloak.jwks_url()))
    )


@pytest.mark.parametrize("username", sorted(DEMO_USERS))
def test_a_demo_users_token_carries_exactly_its_roles_the_audience_and_a_short_life(
    keycloak: Keycloak, username: str
) -> None:
    token = keycloak.token(username)

    principal = _verifier(keycloak).verify(token)
    claims = jwt.decode(token, options={"verify_signature": False})

    assert principal.roles & ENTENTE_ROLES == set(DEMO_USERS[username].roles)
    assert principal.name == DEMO_USERS[username].name
    assert AUDIENCE in claims["aud"]
    assert (claims["typ"], claims["azp"], claims["exp"] - claims["iat"]) == (
        "Bearer",
        "entente-test",
        300,
    )


def _authorize(keycloak: Keycloak, **pkce: str) -> httpx.Response:
    return httpx.get(
        f"{keycloak.issuer()}/protocol/openid-connect/auth",
        params={
            "client_id": "entente-web",
            "response_type": "code",
            "redirect_uri": "http://127.0.0.1:5173/callback",
            "scope": "openid",
            "state": "s1",
            **pkce,
        },
        timeout=30,
    )


def test_the_web_client_demands_pkce_with_s256(keycloak: Keycloak) -> None:
    challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

    without = _authorize(keycloak)
    plain = _authorize(keycloak, code_challenge=challenge, code_challenge_method="plain")
    s256 = _authorize(keycloak, code_challenge=challenge, code_challenge_method="S256")

    assert without.status_code == plain.status_code == 302
    assert "error=invalid_request" in without.headers["location"]
    assert "code_challenge_method" in without.headers["location"]
    assert "error=invalid_request" in plain.headers["location"]
    assert s256.status_code == 200
    assert 'id="kc-form-login"' in s256.text  # the login page: the flow may go on


def _token_request(keycloak: Keycloak, **form: str) -> httpx.Response:
    return httpx.post(f"{keycloak.issuer()}/protocol/openid-connect/token", data=form, timeout=30)


def test_the_web_client_has_no_password_grant(keycloak: Keycloak) -> None:
    response = _token_request(
        keycloak,
        grant_type="password",
        client_id="entente-web",
        username="police-reader",
        password="anything",
    )

    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"


@pytest.mark.parametrize("client_id", ["entente-tenant", "entente-reporting", "entente-audit"])
def test_a_service_client_is_confidential(keycloak: Keycloak, client_id: str) -> None:
    response = _token_request(keycloak, grant_type="client_credentials", client_id=client_id)

    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized_client"


def test_the_realm_file_imports_as_it_is_into_keycloak(keycloak: Keycloak) -> None:
    """What ``kc.sh --import-realm`` or a Helm realm import would do with the same file."""
    name = f"entente-import-{uuid.uuid4().hex[:8]}"
    realm = {**load_realm(REALM_FILE), "realm": name}

    with keycloak.admin_api() as admin:
        created = admin.post("", json=realm)
        try:
            users = admin.get(f"/{name}/users", params={"username": "police-validator"}).json()
            groups = admin.get(f"/{name}/users/{users[0]['id']}/groups").json()
        finally:
            admin.delete(f"/{name}")

    assert created.status_code == 201, created.text
    assert [g["path"] for g in groups] == ["/police/validators"]
