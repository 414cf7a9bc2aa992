"""Forged and misused tokens against the real realm's JWKS: each a 401, and for its reason.

Every token below is sent to ``GET /api/police/missions``, which a genuine
police reader's token opens (the first test shows it). Tokens Keycloak never
issues (expired, not yet valid, without exp, from another issuer) are signed
by ``realm_test_key``, a key the realm's JWKS really publishes, so each is
refused for its claims alone; the detail of each 401 names the check that fired.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from .conftest import OTHER_REALM, Keycloak, RealmTestKey

READ = "/api/police/missions"
PROBLEM = "https://entente.interieur.gouv.fr/problems/"
LOCAL_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segments(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    header, payload, signature = token.split(".")
    decode = json.loads
    pad = "=" * (-len(payload) % 4)
    return (
        decode(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4))),
        decode(base64.urlsafe_b64decode(payload + pad)),
        signature,
    )


def _unsigned(header: dict[str, Any], claims: dict[str, Any], signature: str = "") -> str:
    encoded = (_b64(json.dumps(header).encode()), _b64(json.dumps(claims).encode()))
    return f"{encoded[0]}.{encoded[1]}.{signature}"


class Forge:
    """Makes the bad tokens from a genuine police reader's access token."""

    def __init__(self, keycloak: Keycloak, key: RealmTestKey) -> None:
        self.keycloak = keycloak
        self.key = key
        self.genuine = keycloak.token("police-reader")
        self.header, self.claims, self.signature = _segments(self.genuine)

    def fresh_claims(self, **changes: Any) -> dict[str, Any]:
        now = int(time.time())
        claims = {**self.claims, "iat": now, "exp": now + 300, **changes}
        return {k: v for k, v in claims.items() if v is not None}

    def alg_none(self) -> str:
        return _unsigned({**self.header, "alg": "none"}, self.claims)

    def hs256_with_the_realm_public_key(self) -> str:
        jwk = next(k for k in self.keycloak.jwks()["keys"] if k["kid"] == self.header["kid"])
        public = jwt.algorithms.RSAAlgorithm.from_jwk(jwk)
        assert isinstance(public, rsa.RSAPublicKey)
        pem = public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        header = _b64(json.dumps({**self.header, "alg": "HS256"}).encode())
        payload = self.genuine.split(".")[1]
        mac = hmac.new(pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        return f"{header}.{payload}.{_b64(mac)}"

    def tampered(self) -> str:
        roles = {"roles": [*self.claims["realm_access"]["roles"], "police:recorder"]}
        return _unsigned(self.header, {**self.claims, "realm_access": roles}, self.signature)

    def local_key_under_the_realm_kid(self) -> str:
        headers = {"kid": self.header["kid"]}
        return jwt.encode(self.fresh_claims(), LOCAL_KEY, algorithm="RS256", headers=headers)

    def unknown_kid(self) -> str:
        headers = {"kid": "not-a-key-of-this-realm"}
        return jwt.encode(self.fresh_claims(), LOCAL_KEY, algorithm="RS256", headers=headers)

    def expired(self) -> str:
        now = int(time.time())
        return self.key.sign(self.fresh_claims(iat=now - 900, exp=now - 120))

    def not_yet_valid(self) -> str:
        return self.key.sign(self.fresh_claims(nbf=int(time.time()) + 600))

    def missing_exp(self) -> str:
        return self.key.sign(self.fresh_claims(exp=None))

    def wrong_issuer(self) -> str:
        return self.key.sign(self.fresh_claims(iss=self.keycloak.issuer(OTHER_REALM)))

    def wrong_audience(self) -> str:
        return self.keycloak.token("police-reader", client_id="entente-test-no-audience")

    def another_realm(self) -> str:
        return self.keycloak.token("police-reader", realm=OTHER_REALM)

    def id_token(self) -> str:
        token: str = self.keycloak.password_grant("police-reader")["id_token"]
        return token

    def refresh_token(self) -> str:
        token: str = self.keycloak.password_grant("police-reader")["refresh_token"]
        return token


#: Each bad token, and the detail of its 401: the check that refused it.
CASES: dict[str, tuple[Callable[[Forge], str], str]] = {
    "alg none": (Forge.alg_none, "the token algorithm 'none' is not accepted"),
    "HS256 signed with the realm's public key": (
        Forge.hs256_with_the_realm_public_key,
        "the token algorithm 'HS256' is not accepted",
    ),
    "tampered payload": (Forge.tampered, "the token signature or claims are invalid"),
    "a local key under the realm's kid": (
        Forge.local_key_under_the_realm_kid,
        "the token signature or claims are invalid",
    ),
    "unknown kid": (Forge.unknown_kid, "the token was signed with an unknown key"),
    "expired": (Forge.expired, "the token has expired"),
    "not yet valid": (Forge.not_yet_valid, "the token is not valid yet"),
    "missing exp": (Forge.missing_exp, "the token lacks the 'exp' claim"),
    "wrong issuer": (Forge.wrong_issuer, "the token is from another issuer"),
    "wrong audience (a client without the audience mapper)": (
        Forge.wrong_audience,
        "the token is for another audience",
    ),
    "a token of another realm": (Forge.another_realm, "the token was signed with an unknown key"),
    "an ID token": (Forge.id_token, "only access tokens (typ Bearer) are accepted"),
    "a refresh token": (Forge.refresh_token, "the token algorithm 'HS512' is not accepted"),
}


@pytest.fixture(scope="module")
def forge(keycloak: Keycloak, realm_test_key: RealmTestKey) -> Forge:
    return Forge(keycloak, realm_test_key)


def _get(client: TestClient, token: str | None) -> tuple[int, dict[str, Any]]:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    response = client.get(READ, headers=headers)
    return response.status_code, response.json()


def test_the_genuine_token_and_a_well_formed_one_of_the_test_key_are_let_in(
    forge: Forge, tenant_client: TestClient
) -> None:
    assert _get(tenant_client, forge.genuine)[0] == 200
    assert _get(tenant_client, forge.key.sign(forge.fresh_claims()))[0] == 200


@pytest.mark.parametrize("case", list(CASES))
def test_a_forged_or_misused_token_is_a_401(
    forge: Forge, tenant_client: TestClient, case: str
) -> None:
    make, detail = CASES[case]

    status, body = _get(tenant_client, make(forge))

    assert (status, body["type"], body["detail"]) == (401, PROBLEM + "authentication", detail)


def test_no_token_is_a_401(tenant_client: TestClient) -> None:
    status, body = _get(tenant_client, None)

    assert (status, body["detail"]) == (401, "a bearer token is required")


@pytest.mark.parametrize(
    ("username", "method", "path"),
    [
        ("police-reader", "POST", "/api/police/posts"),  # reads, does not record
        ("police-recorder", "POST", "/api/police/missions/{id}/validation"),  # records only
        ("police-validator", "POST", "/api/police/missions"),  # decides only
        ("police-recorder", "GET", "/api/gendarmerie/missions"),  # another tenant
        ("auditor", "POST", "/api/police/missions"),  # reads everything, changes nothing
        ("reporting", "GET", "/api/police/missions"),  # consolidated figures only
        ("admin", "GET", "/api/police/missions"),  # runs the platform, reads no records
        ("test-no-role", "GET", "/api/police/missions"),  # a valid token, no role
    ],
)
def test_a_valid_token_without_the_role_is_a_403(
    keycloak: Keycloak, tenant_client: TestClient, username: str, method: str, path: str
) -> None:
    url = path.replace("{id}", "0b5f2f8e-3c1d-4f7a-9a63-2f1e5d8c7b6a")

    response = tenant_client.request(method, url, headers=keycloak.auth(username), json={})

    assert response.status_code == 403, response.text
    assert response.json()["type"] == PROBLEM + "permission-denied"
