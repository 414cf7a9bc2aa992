"""Bearer token verification, the one path every service and the dev issuer use.

Everything is explicit, because library defaults accept tokens they must not
(see the brief's pitfalls): an allow-list of asymmetric algorithms, the
expected issuer and audience, expiry and not-before with a small leeway,
required claims, and the token type (an ID or refresh token is no bearer).
The issuer of the token never chooses the keys: the configured JWKS does.

A token that passed every check is remembered by its exact text (a bounded LRU)
until it expires, so a client's next request skips the signature arithmetic.
A hit is re-checked against the clock (expiry, with the same leeway) and
against the key set (its key must still be the one it was verified with); a
forged or altered token is other text, so it never hits and is verified in full.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
from jwt import PyJWK

from shared.auth.jwks import JwksSource
from shared.auth.roles import Principal
from shared.errors import AuthenticationError

ALLOWED_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA")
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]


#: NumericDate claims (RFC 7519 §2): a JSON number, never text PyJWT would convert.
TIME_CLAIMS = ("exp", "iat", "nbf")
#: Characters an identity may not hold: controls (line breaks forge log lines), surrogates,
#: and bidirectional controls (an override makes a logged name read as another text;
#: names in right-to-left scripts need none of them).
_NOT_IN_IDENTITY = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)


def _identity_text(claims: dict[str, Any], claim: str) -> str | None:
    """A text claim naming the caller; None when absent or blank; refused when malformed."""
    value = claims.get(claim)
    if value is None:
        return None
    if not isinstance(value, str) or _NOT_IN_IDENTITY.search(value):
        raise AuthenticationError(
            f"the token's {claim!r} claim must be text without control characters "
            "(bidirectional ones included)"
        )
    return value if value.strip() else None


@dataclass(frozen=True)
class TokenPolicy:
    issuer: str
    audience: str
    leeway_seconds: int = 30
    #: The longest life (``exp`` - ``iat``) an access token may have: a day, as the dev
    #: issuer's longest (the realm's are 5 minutes). A leaked token signed to live for
    #: years (``exp`` 1e300 was accepted) stays usable only that long.
    max_lifetime_seconds: int = 86_400


@dataclass(frozen=True)
class _Verified:
    """A token that passed every check: who it names, when it expires, its key."""

    principal: Principal
    expires: float
    kid: str
    key: PyJWK


class TokenVerifier:
    """Turns a bearer token into a Principal, or raises AuthenticationError."""

    def __init__(
        self,
        policy: TokenPolicy,
        keys: JwksSource,
        cache_size: int = 1024,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.policy = policy
        self.keys = keys
        self._cache_size = cache_size
        self._clock = clock
        self._verified: OrderedDict[str, _Verified] = OrderedDict()
        self._lock = threading.Lock()

    def verify(self, token: str) -> Principal:
        cached = self.verified(token)
        if cached is not None:
            return cached
        claims, kid, key = self._claims(token)
        principal = self._principal(claims)
        lifetime = claims["exp"] - claims["iat"]  # both numbers (``_principal``)
        if lifetime > self.policy.max_lifetime_seconds:
            raise AuthenticationError(
                f"the token lives {lifetime:.3g} s, longer than the "
                f"{self.policy.max_lifetime_seconds} s accepted: ask for a shorter-lived one"
            )
        if self._cache_size > 0:
            entry = _Verified(principal, float(claims["exp"]), kid, key)
            with self._lock:
                self._verified[token] = entry
                self._verified.move_to_end(token)
                while len(self._verified) > self._cache_size:
                    self._verified.popitem(last=False)
        return principal

    def verified(self, token: str) -> Principal | None:
        """The Principal of a token verified before and still valid, else None.

        Never raises and never fetches keys: a None means "verify it in full".
        """
        with self._lock:
            entry = self._verified.get(token)
            if entry is None:
                return None
            # PyJWT's rule: expired when exp <= now - leeway.
            if entry.expires <= self._clock() - self.policy.leeway_seconds:
                del self._verified[token]
                return None
            self._verified.move_to_end(token)
        if not self._still_published(entry):
            with self._lock:
                self._verified.pop(token, None)
            return None
        return entry.principal

    def _still_published(self, entry: _Verified) -> bool:
        """The key the token was verified with is still the one the key set serves."""
        return self.keys.published(entry.kid) is entry.key

    @staticmethod
    def _principal(claims: dict[str, Any]) -> Principal:
        """Who the token names, from claims of the types RFC 7519 and Keycloak give them.

        The signature proves who issued the claims, not that they are well formed:
        a misconfigured mapper can sign ``realm_access: ["auditor"]`` (a 500
        before), an ``exp`` spelt as text (PyJWT reads it as a number), or an
        empty or multi-line subject, which the access log would then record as
        the reader's identity.
        """
        if claims.get("typ") != "Bearer":
            raise AuthenticationError("only access tokens (typ Bearer) are accepted")
        for claim in TIME_CLAIMS:
            value = claims.get(claim)
            if value is not None and (type(value) not in (int, float)):
                raise AuthenticationError(f"the token's {claim!r} claim is not a number")
        realm_access = claims.get("realm_access", {})
        if not isinstance(realm_access, dict):
            raise AuthenticationError("the token's roles are malformed")
        roles = realm_access.get("roles", [])
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise AuthenticationError("the token's roles are malformed")
        subject = _identity_text(claims, "sub")
        if subject is None:
            raise AuthenticationError("the token's 'sub' claim is empty")
        name = _identity_text(claims, "name")
        username = _identity_text(claims, "preferred_username")  # checked even when unused
        name = name or username
        return Principal(subject=subject, name=name or subject, roles=frozenset(roles))

    def _claims(self, token: str) -> tuple[dict[str, Any], str, PyJWK]:
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
        return claims, kid, key
