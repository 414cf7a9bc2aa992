"""E1's load generator client: JSON in and out, kept-alive, reconnecting once when closed."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.light_client import LightClient


class Echo(BaseHTTPRequestHandler):
    """Answers what it was asked; ``close`` in the path closes the connection after."""

    protocol_version = "HTTP/1.1"
    connections: set[int] = set()

    def _answer(self, payload: object) -> None:
        Echo.connections.add(self.client_address[1])
        body = json.dumps(payload).encode()
        self.send_response(201 if self.command == "POST" else 200)
        self.send_header("Content-Length", str(len(body)))
        if "close" in self.path:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self._answer({"path": self.path, "auth": self.headers.get("Authorization")})

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        self._answer(
            {"got": json.loads(self.rfile.read(length)), "type": self.headers["Content-Type"]}
        )

    def log_message(self, *_: object) -> None:
        return None


@pytest.fixture
def base() -> Iterator[str]:
    Echo.connections = set()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_json_goes_out_and_comes_back_on_one_kept_alive_connection(base: str) -> None:
    client = LightClient(base)
    posted = client.post("/api/x", {"title": "Conférence"}, headers={"Idempotency-Key": "k"})
    got = client.get(
        "/board", params={"min_position": 3, "limit": 1}, headers={"Authorization": "B t"}
    )
    client.close()
    assert (posted.status_code, posted.json()) == (
        201,
        {"got": {"title": "Conférence"}, "type": "application/json"},
    )
    assert got.json() == {"path": "/board?min_position=3&limit=1", "auth": "B t"}
    assert len(Echo.connections) == 1


def test_a_connection_the_server_closed_is_opened_again(base: str) -> None:
    client = LightClient(base)
    assert client.get("/close").status_code == 200
    assert client.get("/after").json()["path"] == "/after"
    client.close()
    assert len(Echo.connections) == 2


def test_only_http_urls_are_taken() -> None:
    with pytest.raises(ValueError, match="http://"):
        LightClient("https://example.org")
