"""The embedded default's token issuer: Keycloak's claims, signed with a local key.

It exists so that ``make run`` needs nothing but Python, while the services
verify its tokens through exactly the same ``TokenVerifier`` as Keycloak's.
The key is generated on first use into the data directory (never the repo).
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.auth.roles import AUDITOR, PLATFORM_ADMIN, REPORTING_READER, tenant_role
from shared.errors import ConfigurationError
from shared.private_dirs import create_private_file


@dataclass(frozen=True)
class DemoUser:
    username: str
    name: str
    roles: tuple[str, ...]


def demo_users(tenants: list[str]) -> dict[str, DemoUser]:
    """One demo user per role of the architecture brief, per tenant."""
    users: dict[str, DemoUser] = {}
    for tenant in tenants:
        for role in ("recorder", "validator", "reader"):
            username = f"{tenant}-{role}"
            users[username] = DemoUser(
                username, f"Demo {tenant} {role}", (tenant_role(tenant, role),)
            )
    users["reporting"] = DemoUser("reporting", "Demo reporting officer", (REPORTING_READER,))
    users["auditor"] = DemoUser("auditor", "Demo auditor", (AUDITOR,))
    users["admin"] = DemoUser("admin", "Demo platform administrator", (PLATFORM_ADMIN,))
    return users


def known_user(users: dict[str, DemoUser], username: str) -> DemoUser:
    """The demo user named ``username``, else ConfigurationError listing the known ones."""
    user = users.get(username)
    if user is None:
        raise ConfigurationError(
            f"no demo user {username!r}; known users: {', '.join(sorted(users))}"
        )
    return user


#: The signing key's file in the data folder.
DEV_KEY_FILE = "dev-issuer-key.pem"


class DevIssuer:
    """Signs demo users' access tokens with an RSA key kept in ``directory``."""

    def __init__(self, directory: Path, issuer: str, audience: str, tenants: list[str]) -> None:
        self.issuer = issuer
        self.audience = audience
        self.users = demo_users(tenants)
        self._key = _load_or_create_key(directory / DEV_KEY_FILE)
        public = self._key.public_key()
        self.kid = uuid.uuid5(
            uuid.NAMESPACE_URL,
            public.public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            ).hex(),
        ).hex[:16]

    def jwks(self) -> dict[str, Any]:
        """The public key as a JWKS document, like Keycloak's ``certs`` endpoint."""
        jwk: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key()))
        jwk.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        return {"keys": [jwk]}

    def token(self, username: str, ttl_seconds: int = 3600) -> str:
        """An access token for a demo user, with Keycloak's claim layout."""
        user = known_user(self.users, username)
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, f"entente-demo:{username}")),
            "typ": "Bearer",
            "azp": "entente-cli",
            "iat": now,
            "nbf": now,
            "exp": now + ttl_seconds,
            "jti": str(uuid.uuid4()),
            "preferred_username": username,
            "name": user.name,
            "realm_access": {"roles": list(user.roles)},
        }
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid})


def _load_or_create_key(path: Path) -> rsa.RSAPrivateKey:
    """The dev issuer's key in ``path``, made there the first time.

    Made whole or not at all (written beside, then linked in place, which fails if
    another process made it meanwhile: that one is read), so a server and a token
    command starting together never read half a key, nor sign with two.
    """
    if not path.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        create_private_file(path, pem)
    return _read_key(path)


def _read_key(path: Path) -> rsa.RSAPrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as error:  # not a key, or one with a password
        raise ConfigurationError(
            f"{path} is not the dev issuer's key ({str(error).splitlines()[0]}): put the "
            "right one back, or delete it and a new one is made (tokens signed with the "
            "old one are then refused)"
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigurationError(f"{path} does not hold an RSA private key")
    return key
