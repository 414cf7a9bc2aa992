"""Access tokens from a real Keycloak realm, by password grant, for the demo users.

Shared by the Keycloak suite (a Keycloak started for the run) and the compose smoke
test (the stack's own Keycloak): the realm's ``entente-test`` client allows the grant.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx

#: The realm's client that allows the password grant (docs/deployment.md).
TOKEN_CLIENT = "entente-test"


@dataclass
class PasswordGrants:
    """Token responses from ``keycloak_url``, each reused for ``reuse_s`` (well inside the
    realm's 300 s access-token lifespan) so a suite does not ask for one per request."""

    keycloak_url: str
    password: str
    reuse_s: float = 150.0
    _grants: dict[tuple[str, str, str], tuple[float, dict[str, Any]]] = field(default_factory=dict)

    def grant(
        self, username: str, client_id: str = TOKEN_CLIENT, realm: str = "entente"
    ) -> dict[str, Any]:
        """Keycloak's token response (access, ID and refresh tokens)."""
        key = (realm, client_id, username)
        cached = self._grants.get(key)
        if cached is not None and time.monotonic() - cached[0] < self.reuse_s:
            return cached[1]
        response = httpx.post(
            f"{self.keycloak_url.rstrip('/')}/realms/{realm}/protocol/openid-connect/token",
            data={
                "grant_type": "password",
                "client_id": client_id,
                "username": username,
                "password": self.password,
                "scope": "openid",
            },
            timeout=30,
        )
        assert response.status_code == 200, f"{username}@{realm}/{client_id}: {response.text}"
        grant: dict[str, Any] = response.json()
        self._grants[key] = (time.monotonic(), grant)
        return grant

    def token(self, username: str, client_id: str = TOKEN_CLIENT, realm: str = "entente") -> str:
        access_token: str = self.grant(username, client_id, realm)["access_token"]
        return access_token
