"""Requests uvicorn cannot parse get a problem document, not a plain-text 400 (probe 7).

A real uvicorn server, with the protocol every ``entente`` server runs, on a
socket of its own; raw bytes are sent, since no HTTP client sends such requests.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi import FastAPI

from shared.http.malformed import ProblemH11Protocol


@pytest.fixture(scope="module")
def address() -> Iterator[tuple[str, int]]:
    app = FastAPI()

    @app.get("/ok")
    def ok() -> dict[str, str]:
        return {"status": "ok"}

    listener = socket.create_server(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="critical", lifespan="off", http=ProblemH11Protocol)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    yield listener.getsockname()[:2]
    server.should_exit = True
    thread.join(10)


def _exchange(address: tuple[str, int], raw: bytes) -> bytes:
    with socket.create_connection(address, timeout=5) as connection:
        connection.sendall(raw)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


@pytest.mark.parametrize(
    "raw",
    [
        b"GET /api/police/missions/\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST /ok HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        b"POST /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        b"NONSENSE\r\n\r\n",
        b"GET /ok HTTP/1.1\r\nHost: x\r\nA header without its colon\r\n\r\n",
    ],
    ids=["non-ascii-target", "length-not-a-number", "two-lengths", "garbage", "no-colon"],
)
def test_a_request_that_is_not_http_gets_a_problem_document(
    address: tuple[str, int], raw: bytes
) -> None:
    answer = _exchange(address, raw)

    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert b"content-type: application/problem+json" in head.lower()
    assert body.startswith(
        b'{"type": "https://entente.interieur.gouv.fr/problems/malformed-request"'
    )


def test_a_well_formed_request_is_served_as_before(address: tuple[str, int]) -> None:
    answer = _exchange(address, b"GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")

    assert answer.startswith(b"HTTP/1.1 200 ")
    assert answer.endswith(b'{"status":"ok"}')
