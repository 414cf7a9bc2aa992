"""Bearer token verification, the one path every service and the dev issuer use.

Everything is explicit, because library defaults accept tokens they must not
(see the brief's pitfalls): an allow-list of asymmetric algorithms, the
expected issuer and audience, expiry and not-before with a small leeway,
required claims, and the token type (an ID or refresh token is no bearer).
The issuer of the token never chooses the keys: the configured JWKS does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jwt

from shared.auth.jwks import JwksSource
from shared.auth.roles import Principal
from shared.errors import AuthenticationError

ALLOWED_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA")
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]


@dataclass(frozen=True)
class TokenPolicy:
    issuer: str
    audience: str
    leeway_seconds: int = 30


class TokenVerifier:
    """Turns a bearer token into a Principal, or raises AuthenticationError."""

    def __init__(self, policy: TokenPolicy, keys: JwksSource) -> None:
        self.policy = policy
        self.keys = keys

    def verify(self, token: str) -> Principal:
        claims = self._claims(token)
        if claims.get("typ") != "Bearer":
            raise AuthenticationError("only access tokens (typ Bearer) are accepted")
        roles = claims.get("realm_access", {}).get("roles", [])
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise AuthenticationError("the token's roles are malformed")
        name = claims.get("name") or claims.get("preferred_username") or claims["sub"]
        return Principal(subject=str(claims["sub"]), name=str(name), roles=frozenset(roles))

    def _claims(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AuthenticationError("the token is malformed") from None
        algorithm = header.get("alg")
        if algorithm not in ALLOWED_ALGORITHMS:
            raise AuthenticationError(f"the token algorithm {algorithm!r} is not accepted")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise AuthenticationError("the token names no key id")
        key = self.keys.key(kid)
        if key.algorithm_name != algorithm:  # a key serves the one algorithm it is published for
            raise AuthenticationError(f"the token algorithm {algorithm!r} is not its key's")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key.key,
                algorithms=[algorithm],
                audience=self.policy.audience,
                issuer=self.policy.issuer,
                leeway=self.policy.leeway_seconds,
                options={"require": REQUIRED_CLAIMS, "verify_signature": True},
            )
        except jwt.ExpiredSignatureError:
            raise AuthenticationError("the token has expired") from None
        except jwt.ImmatureSignatureError:
            raise AuthenticationError("the token is not valid yet") from None
        except jwt.InvalidAudienceError:
            raise AuthenticationError("the token is for another audience") from None
        except jwt.InvalidIssuerError:
            raise AuthenticationError("the token is from another issuer") from None
        except jwt.MissingRequiredClaimError as error:
            raise AuthenticationError(f"the token lacks the {error.claim!r} claim") from None
        except jwt.PyJWTError:
            raise AuthenticationError("the token signature or claims are invalid") from None
        return claims
