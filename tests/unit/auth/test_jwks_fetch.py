"""Keycloak unreachable is a 503 with Retry-After, never a 401 that blames the token.

Served by a real local HTTP server (and a closed port), not a stub of httpx.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from services.tenant.app import create_app
from services.tenant.bootstrap import bootstrap
from shared.auth.jwks import KEYS_UNAVAILABLE, CachedJwks, http_jwks
from shared.errors import AuthenticationError, NotReadyError
from shared.settings import Settings

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ISSUER = "http://127.0.0.1:1/realms/entente"


def _jwks() -> dict[str, Any]:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key()))
    jwk.update({"kid": "k1", "use": "sig", "alg": "RS256"})
    return {"keys": [jwk]}


class _Keys(BaseHTTPRequestHandler):
    """Serves the JWKS while ``up`` is set, a 502 otherwise."""

    up = threading.Event()

    def do_GET(self) -> None:
        body = json.dumps(_jwks()).encode() if self.up.is_set() else b"<html>bad gateway</html>"
        self.send_response(200 if self.up.is_set() else 502)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        return None


@pytest.fixture
def keys_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Keys)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    _Keys.up.set()
    yield f"http://127.0.0.1:{server.server_address[1]}/realms/entente/protocol/openid-connect/certs"
    server.shutdown()
    server.server_close()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_an_unreachable_keycloak_is_not_ready_and_names_no_url() -> None:
    fetch = http_jwks(f"http://127.0.0.1:{_closed_port()}/certs", timeout=1)

    with pytest.raises(NotReadyError) as raised:
        fetch()

    assert raised.value.detail == KEYS_UNAVAILABLE


def test_a_keycloak_answering_an_error_page_is_not_ready(keys_url: str) -> None:
    _Keys.up.clear()

    with pytest.raises(NotReadyError):
        http_jwks(keys_url)()


def test_while_the_last_fetch_failed_an_unknown_key_is_not_ready_then_recovers(
    keys_url: str,
) -> None:
    now = [0.0]
    keys = CachedJwks(http_jwks(keys_url), min_refresh_interval=10, clock=lambda: now[0])
    _Keys.up.clear()

    with pytest.raises(NotReadyError):
        keys.key("k1")
    with pytest.raises(NotReadyError):  # within the interval: no new fetch, still not ready
        keys.key("k1")
    assert keys.fetch_count == 1

    _Keys.up.set()
    now[0] = 10.0
    assert keys.key("k1").key_id == "k1"
    with pytest.raises(AuthenticationError):  # keys at hand again: an unknown kid is the token's
        keys.key("forged")


def test_the_api_answers_503_with_retry_after_when_keycloak_is_down(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        tenants=["police"],
        auth="jwks",
        issuer=ISSUER,
        jwks_url=f"http://127.0.0.1:{_closed_port()}/certs",
        embedded_projector=False,
    )
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": "entente-api", "sub": "u", "typ": "Bearer", "iat": now}
    token = jwt.encode(
        {**claims, "exp": now + 60, "realm_access": {"roles": ["police:reader"]}},
        KEY,
        algorithm="RS256",
        headers={"kid": "k1"},
    )
    platform = bootstrap(settings)
    try:
        with TestClient(create_app(platform)) as client:
            response = client.get(
                "/api/police/missions", headers={"Authorization": f"Bearer {token}"}
            )
    finally:
        for ledger in platform.ledgers.values():
            ledger.close()

    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == "1"
    assert response.json()["detail"] == KEYS_UNAVAILABLE
