"""Real Keycloak tokens against the tenant app.

The session fixture ``keycloak`` applies deploy/keycloak/realm-entente.json
(plus the test-only objects of ``realms/entente-test-extras.json``, and the
tiny second realm ``realms/entente-other.json``) with the code behind
``entente keycloak provision``, so provisioning is tested on every run. Tokens
come from Keycloak's token endpoint by password grant for the demo users.

``tenant_client`` is the tenant service wired by its composition root with
``ENTENTE_AUTH=jwks`` against that realm: the one verification path, fed by
Keycloak's JWKS, nothing mocked.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from services.tenant.app import create_app
from services.tenant.bootstrap import Platform, bootstrap
from shared.keycloak.provision import AdminAccess, Report, load_realm, provision
from shared.settings import Settings
from shared.tenancy import DEFAULT_TENANTS
from tests.conftest import KeycloakServer
from tests.tokens import PasswordGrants

REPO = Path(__file__).resolve().parents[2]
REALM_FILE = REPO / "deploy" / "keycloak" / "realm-entente.json"
REALMS = Path(__file__).parent / "realms"
REALM = "entente"
OTHER_REALM = "entente-other"
AUDIENCE = "entente-api"
#: For tests only: the realm file holds no password, provisioning sets this one.
DEMO_PASSWORD = os.environ.get("ENTENTE_DEMO_PASSWORD") or "entente-tests-only-demo-password"


def realm_with_test_extras() -> dict[str, Any]:
    """The realm file plus the test-only client and users (never in the deploy file)."""
    realm = load_realm(REALM_FILE)
    extras = load_realm(REALMS / "entente-test-extras.json")
    return {
        **realm,
        "clients": realm["clients"] + extras["clients"],
        "users": realm["users"] + extras["users"],
    }


@dataclass
class Keycloak:
    """The provisioned Keycloak: its realm's URLs, tokens, and the admin REST API."""

    server: KeycloakServer
    access: AdminAccess
    first_run: Report
    grants: PasswordGrants

    def issuer(self, realm: str = REALM) -> str:
        return f"{self.server.url}/realms/{realm}"

    def jwks_url(self, realm: str = REALM) -> str:
        return f"{self.issuer(realm)}/protocol/openid-connect/certs"

    def jwks(self, realm: str = REALM) -> dict[str, Any]:
        document: dict[str, Any] = httpx.get(self.jwks_url(realm), timeout=10).json()
        return document

    def provision(self, realm: dict[str, Any], reset_passwords: bool = False) -> Report:
        return provision(
            realm, self.access, demo_password=DEMO_PASSWORD, reset_passwords=reset_passwords
        )

    def password_grant(
        self, username: str, client_id: str = "entente-test", realm: str = REALM
    ) -> dict[str, Any]:
        """Keycloak's token response (access, ID and refresh tokens), reused a while."""
        return self.grants.grant(username, client_id, realm)

    def token(self, username: str, client_id: str = "entente-test", realm: str = REALM) -> str:
        return self.grants.token(username, client_id, realm)

    def auth(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(username)}"}

    def admin_api(self) -> httpx.Client:
        """Keycloak's admin REST API as the master realm's admin (drift and key set-up)."""
        response = httpx.post(
            f"{self.server.url}/realms/master/protocol/openid-connect/token",
            data={
                "grant_type": "password",
                "client_id": "admin-cli",
                "username": self.server.admin,
                "password": self.server.admin_password,
            },
            timeout=30,
        )
        response.raise_for_status()
        return httpx.Client(
            base_url=f"{self.server.url}/admin/realms",
            headers={"Authorization": f"Bearer {response.json()['access_token']}"},
            timeout=30,
        )


@pytest.fixture(scope="session")
def keycloak(keycloak_server: KeycloakServer) -> Keycloak:
    """Keycloak with the realm provisioned once per run (passwords set to the tests' one)."""
    access = AdminAccess(
        keycloak_url=keycloak_server.url,
        keycloak_admin=keycloak_server.admin,
        keycloak_admin_password=keycloak_server.admin_password,
    )
    first = provision(
        realm_with_test_extras(), access, demo_password=DEMO_PASSWORD, reset_passwords=True
    )
    provision(
        load_realm(REALMS / "entente-other.json"),
        access,
        demo_password=DEMO_PASSWORD,
        reset_passwords=True,
    )
    return Keycloak(
        keycloak_server, access, first, PasswordGrants(keycloak_server.url, DEMO_PASSWORD)
    )


@dataclass(frozen=True)
class RealmTestKey:
    """An RSA key of ours that the realm publishes in its JWKS (passive: never signs)."""

    private_key: rsa.RSAPrivateKey
    kid: str

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers={"kid": self.kid})


@pytest.fixture(scope="session")
def realm_test_key(keycloak: Keycloak) -> Iterator[RealmTestKey]:
    """Crafted tokens (expired, not yet valid, no exp, other issuer) signed by a key the
    realm's JWKS really publishes, so each is refused for its claims and for nothing else.

    Keycloak never issues such tokens itself; a key under an unknown kid would be
    refused for the key before its claims were looked at. The key provider is
    passive (Keycloak publishes it but never signs with it) and removed afterwards.
    """
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    with keycloak.admin_api() as admin:
        realm_id = admin.get(f"/{REALM}").json()["id"]
        created = admin.post(
            f"/{REALM}/components",
            json={
                "name": f"entente-tests-{uuid.uuid4().hex[:8]}",
                "providerId": "rsa",
                "providerType": "org.keycloak.keys.KeyProvider",
                "parentId": realm_id,
                "config": {
                    "privateKey": [pem],
                    "priority": ["-100"],
                    "enabled": ["true"],
                    "active": ["false"],
                    "algorithm": ["RS256"],
                },
            },
        )
        assert created.status_code == 201, created.text
        component = created.headers["Location"].rsplit("/", 1)[-1]
        try:
            yield RealmTestKey(key, _published_kid(keycloak, key))
        finally:
            admin.delete(f"/{REALM}/components/{component}")


def _published_kid(keycloak: Keycloak, key: rsa.RSAPrivateKey) -> str:
    ours = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))["n"]
    published = [k["kid"] for k in keycloak.jwks()["keys"] if k.get("n") == ours]
    assert len(published) == 1, "the realm does not publish the test key"
    kid: str = published[0]
    return kid


@pytest.fixture(scope="session")
def tenant_platform(
    keycloak: Keycloak, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Platform]:
    """The tenant service's Platform, verifying tokens against the realm's JWKS."""
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("entente-keycloak"),
        tenants=list(DEFAULT_TENANTS),
        store="sqlite",
        auth="jwks",
        issuer=keycloak.issuer(),
        audience=AUDIENCE,
        jwks_url=keycloak.jwks_url(),
        embedded_projector=True,
    )
    platform = bootstrap(settings)
    yield platform
    for ledger in platform.ledgers.values():
        ledger.close()


@pytest.fixture(scope="session")
def tenant_client(tenant_platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(tenant_platform)) as client:
        yield client
