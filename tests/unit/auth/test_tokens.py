"""Forged and misused tokens are refused; a good one gives its roles.

Each case is a way a library default has been seen to accept a bad token
(see the brief's pitfalls).
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.auth.jwks import KEYS_UNAVAILABLE, CachedJwks
from shared.auth.tokens import TokenPolicy, TokenVerifier
from shared.errors import AuthenticationError, NotReadyError

ISSUER = "http://127.0.0.1:8000/dev-issuer"
AUDIENCE = "entente-api"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _jwks(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": kid, "use": "sig", "alg": "RS256"})
    return {"keys": [jwk]}


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "user-1",
        "typ": "Bearer",
        "iat": now,
        "exp": now + 300,
        "name": "Agent Dupont",
        "realm_access": {"roles": ["police:recorder"]},
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _token(key: rsa.RSAPrivateKey = KEY, kid: str = "k1", **overrides: Any) -> str:
    return jwt.encode(_claims(**overrides), key, algorithm="RS256", headers={"kid": kid})


@pytest.fixture
def verifier() -> TokenVerifier:
    return TokenVerifier(TokenPolicy(ISSUER, AUDIENCE), CachedJwks(lambda: _jwks(KEY, "k1")))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_a_valid_access_token_gives_the_subject_name_and_roles(verifier: TokenVerifier) -> None:
    principal = verifier.verify(_token())
    assert (principal.subject, principal.name) == ("user-1", "Agent Dupont")
    assert principal.roles == frozenset({"police:recorder"})


def _alg_none() -> str:
    header = _b64(json.dumps({"alg": "none", "kid": "k1", "typ": "JWT"}).encode())
    return f"{header}.{_b64(json.dumps(_claims()).encode())}."


def _hs256_with_public_key() -> str:
    public_pem = KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = _b64(json.dumps({"alg": "HS256", "kid": "k1", "typ": "JWT"}).encode())
    payload = _b64(json.dumps(_claims()).encode())
    import hashlib
    import hmac

    signature = hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def _tampered() -> str:
    header, _, signature = _token().split(".")
    payload = _b64(json.dumps(_claims(realm_access={"roles": ["platform:admin"]})).encode())
    return f"{header}.{payload}.{signature}"


BAD_TOKENS: dict[str, Callable[[], str]] = {
    "alg none": _alg_none,
    "HS256 signed with the public key": _hs256_with_public_key,
    "tampered payload": _tampered,
    "signed by another key under our kid": lambda: _token(OTHER_KEY),
    "an allowed algorithm that is not its key's": lambda: jwt.encode(
        _claims(), KEY, algorithm="PS256", headers={"kid": "k1"}
    ),
    "unknown kid": lambda: _token(OTHER_KEY, kid="k-unknown"),
    "expired": lambda: _token(exp=int(time.time()) - 120, iat=int(time.time()) - 600),
    "not yet valid": lambda: _token(nbf=int(time.time()) + 600),
    "missing exp": lambda: _token(exp=None),
    "missing iat": lambda: _token(iat=None),
    "missing sub": lambda: _token(sub=None),
    "wrong issuer": lambda: _token(iss="http://127.0.0.1:8080/realms/other"),
    "wrong audience": lambda: _token(aud="another-client"),
    "ID token": lambda: _token(typ="ID"),
    "refresh token": lambda: _token(typ="Refresh"),
    "no token type": lambda: _token(typ=None),
    "not a JWT": lambda: "not-a-token",
    "roles not a list": lambda: _token(realm_access={"roles": "platform:admin"}),
    # Signed by the issuer, but malformed: a misconfigured mapper (realm_access a list was a 500).
    "realm_access a list": lambda: _token(realm_access=["auditor"]),
    "realm_access text": lambda: _token(realm_access="auditor"),
    "exp as text": lambda: _token(exp=str(int(time.time()) + 300)),
    "iat as text": lambda: _token(iat=str(int(time.time()))),
    "nbf as text": lambda: _token(nbf=str(int(time.time()) - 10)),
    "exp true": lambda: _token(exp=True),
    "empty sub": lambda: _token(sub=""),
    "blank sub": lambda: _token(sub="  "),
    "sub not text": lambda: _token(sub=42),
    "sub with NUL": lambda: _token(sub="a\x00b"),
    "name with a line break": lambda: _token(name="Agent\nINJECTED line"),
    "name with a line separator": lambda: _token(name="Agent\u2028INJECTED line"),
    "name not text": lambda: _token(name={"x": 1}),
    "preferred_username not text": lambda: _token(name=None, preferred_username=["x"]),
    # Checked even beside a good name (it was only read, and checked, without one).
    "preferred_username with NUL": lambda: _token(name="Agent", preferred_username="a\x00b"),
    "preferred_username with ESC": lambda: _token(name="Agent", preferred_username="\x1b[31m"),
    "name with a bidi override": lambda: _token(name="Agent \u202egnp.exe"),
    "name with a right-to-left mark": lambda: _token(name="Agent\u200f"),
    "username with an isolate": lambda: _token(name="A", preferred_username="\u2066x\u2069"),
    # Signed by the issuer to live for ever: usable for ever once leaked.
    "lives a day and a second": lambda: _token(exp=int(time.time()) + 86_401),
    "lives 1e300 seconds": lambda: _token(exp=1e300),
}


def test_a_token_living_a_day_is_accepted(verifier: TokenVerifier) -> None:
    """The dev issuer's longest (``entente token --ttl 86400``)."""
    assert verifier.verify(_token(exp=int(time.time()) + 86_400)).subject == "user-1"


def test_a_name_falls_back_to_the_username_then_the_subject(verifier: TokenVerifier) -> None:
    assert verifier.verify(_token(name=None, preferred_username="jdupont")).name == "jdupont"
    arabic = "\u0639\u0644\u064a \u062d\u0633\u0646"  # right to left, no control needed
    assert verifier.verify(_token(name=arabic)).name == arabic
    assert verifier.verify(_token(name="", preferred_username=None)).name == "user-1"


@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
def test_a_bad_token_is_refused(verifier: TokenVerifier, case: str) -> None:
    with pytest.raises(AuthenticationError):
        verifier.verify(BAD_TOKENS[case]())


def test_an_unknown_kid_refreshes_the_keys_at_most_once_per_interval() -> None:
    fetches: list[int] = []
    now = [0.0]

    def fetch() -> dict[str, Any]:
        fetches.append(1)
        return _jwks(KEY, "k1")

    verifier = TokenVerifier(
        TokenPolicy(ISSUER, AUDIENCE),
        CachedJwks(fetch, min_refresh_interval=10, clock=lambda: now[0]),
    )
    verifier.verify(_token())
    for _ in range(5):
        with pytest.raises(AuthenticationError):
            verifier.verify(_token(OTHER_KEY, kid="rotated"))
    assert len(fetches) == 1
    now[0] = 11.0
    with pytest.raises(AuthenticationError):
        verifier.verify(_token(OTHER_KEY, kid="rotated"))
    assert len(fetches) == 2


def test_a_key_removed_from_the_realm_is_refused_once_the_key_set_is_max_age_old() -> None:
    """Fetched once and kept, a removed (leaked) key stayed trusted while the process
    ran: a token forged with it recorded a mission (probe 5)."""
    keys = {"doc": _jwks(KEY, "k1")}
    now = [0.0]
    verifier = TokenVerifier(
        TokenPolicy(ISSUER, AUDIENCE),
        CachedJwks(lambda: keys["doc"], clock=lambda: now[0], max_age=60),
    )
    used = _token()
    verifier.verify(used)
    keys["doc"] = _jwks(OTHER_KEY, "k2")  # k1 removed from the realm

    now[0] = 59.0
    assert verifier.verified(used) is not None  # within max_age: the keys held
    now[0] = 60.0
    assert verifier.verified(used) is None  # the remembered token is not served
    for token in (used, _token(name="forged with the removed key")):
        with pytest.raises(AuthenticationError, match="unknown key"):
            verifier.verify(token)
    assert verifier.verify(_token(OTHER_KEY, kid="k2")).subject == "user-1"


def _latest(answers: list[dict[str, Any] | None]) -> Callable[[], dict[str, Any]]:
    """A fetch answering the last of ``answers``; None: Keycloak does not answer."""

    def fetch() -> dict[str, Any]:
        answer = answers[-1]
        if answer is None:
            raise NotReadyError(KEYS_UNAVAILABLE)
        return answer

    return fetch


def test_a_key_set_that_cannot_be_read_again_keeps_the_keys_held() -> None:
    """Keycloak down must not refuse every token: the keys held stay, and are read
    again after max_age."""
    answers: list[dict[str, Any] | None] = [_jwks(KEY, "k1")]
    now = [0.0]

    jwks = CachedJwks(_latest(answers), clock=lambda: now[0], max_age=60)
    verifier = TokenVerifier(TokenPolicy(ISSUER, AUDIENCE), jwks)
    verifier.verify(_token())
    answers.append(None)
    now[0] = 61.0

    assert verifier.verify(_token(name="during the outage")).subject == "user-1"
    fetched = jwks.fetch_count
    now[0] = 100.0
    verifier.verify(_token(name="again"))
    assert jwks.fetch_count == fetched  # not tried at every request: after max_age
    now[0] = 122.0
    answers.append(_jwks(OTHER_KEY, "k2"))
    with pytest.raises(AuthenticationError):
        verifier.verify(_token(name="k1 removed meanwhile"))


def test_a_rotated_key_is_picked_up_on_its_first_use() -> None:
    keys = {"doc": _jwks(KEY, "k1")}
    verifier = TokenVerifier(
        TokenPolicy(ISSUER, AUDIENCE), CachedJwks(lambda: keys["doc"], min_refresh_interval=0)
    )
    verifier.verify(_token())
    keys["doc"] = _jwks(OTHER_KEY, "k2")

    assert verifier.verify(_token(OTHER_KEY, kid="k2")).subject == "user-1"


def test_a_verified_token_is_remembered_by_its_exact_text(verifier: TokenVerifier) -> None:
    token = _token()
    assert verifier.verified(token) is None
    principal = verifier.verify(token)
    assert verifier.verified(token) == principal
    assert verifier.verify(token) == principal


@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
def test_a_bad_token_is_refused_after_a_good_one_was_cached(
    verifier: TokenVerifier, case: str
) -> None:
    verifier.verify(_token())
    bad = BAD_TOKENS[case]()
    assert verifier.verified(bad) is None
    with pytest.raises(AuthenticationError):
        verifier.verify(bad)


def test_a_tampered_copy_of_a_cached_token_is_refused(verifier: TokenVerifier) -> None:
    good = _token()
    verifier.verify(good)
    header, payload, signature = good.split(".")
    # One character of the signature changed, in the middle: at its end a change can
    # touch only base64's padding bits and decode to the very same signature. The old
    # forgery, ``signature[:-2] + "AA"``, did that whenever the signature ended in "A"
    # and a character of A-P (1 in 256 by count); it failed a run on 2026-12-05.
    flipped = "B" if signature[10] == "A" else "A"
    for forged in (
        f"{header}.{_b64(json.dumps(_claims(sub='someone-else')).encode())}.{signature}",
        f"{header}.{payload}.{signature[:10]}{flipped}{signature[11:]}",
        f"{good} ",
    ):
        assert verifier.verified(forged) is None
        with pytest.raises(AuthenticationError):
            verifier.verify(forged)


def test_a_cached_token_still_expires_with_the_clock() -> None:
    now = [time.time()]
    verifier = TokenVerifier(
        TokenPolicy(ISSUER, AUDIENCE),
        CachedJwks(lambda: _jwks(KEY, "k1")),
        clock=lambda: now[0],
    )
    exp = int(now[0]) + 60
    token = _token(exp=exp)
    verifier.verify(token)
    now[0] = exp + 29  # within the 30 s leeway, as PyJWT would accept it
    assert verifier.verified(token) is not None
    now[0] = exp + 30
    assert verifier.verified(token) is None  # so the full check (PyJWT's clock) runs again


def test_a_cached_token_whose_key_was_withdrawn_is_verified_again() -> None:
    keys = {"doc": _jwks(KEY, "k1")}
    jwks = CachedJwks(lambda: keys["doc"], min_refresh_interval=0)
    verifier = TokenVerifier(TokenPolicy(ISSUER, AUDIENCE), jwks)
    token = _token()
    verifier.verify(token)
    keys["doc"] = _jwks(OTHER_KEY, "k2")
    verifier.verify(_token(OTHER_KEY, kid="k2"))  # an unknown kid: the key set is refetched
    assert verifier.verified(token) is None
    with pytest.raises(AuthenticationError):
        verifier.verify(token)


def test_the_cache_is_bounded() -> None:
    verifier = TokenVerifier(
        TokenPolicy(ISSUER, AUDIENCE), CachedJwks(lambda: _jwks(KEY, "k1")), cache_size=2
    )
    tokens = [_token(sub=f"user-{i}") for i in range(3)]
    for token in tokens:
        verifier.verify(token)
    assert verifier.verified(tokens[0]) is None
    assert verifier.verified(tokens[1]) is not None
    assert verifier.verified(tokens[2]) is not None


def test_readiness_holds_while_keys_are_held_and_fails_when_none_can_be_read() -> None:
    """A service started while Keycloak was down refused every token with 503 while its
    /readyz said ready (probe 5)."""
    answers: list[dict[str, Any] | None] = [None]
    now = [0.0]

    jwks = CachedJwks(_latest(answers), min_refresh_interval=10, clock=lambda: now[0])
    with pytest.raises(NotReadyError, match="cannot be fetched"):
        jwks.check_available()  # started with Keycloak down: no key, none readable
    answers.append(_jwks(KEY, "k1"))
    with pytest.raises(NotReadyError):
        jwks.check_available()  # within the refresh interval: the last failure stands
    assert jwks.fetch_count == 1
    now[0] = 10.0
    jwks.check_available()  # Keycloak back: the keys read, ready
    answers.append(None)
    now[0] = 100.0
    jwks.check_available()  # Keycloak down again, keys held: tokens still verify
