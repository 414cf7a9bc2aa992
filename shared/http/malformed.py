"""Requests uvicorn cannot parse are answered with a problem document too.

A non-ASCII byte in the target, ``Content-Length: abc``, two different lengths,
oversized headers or a garbage request line never reach the application:
uvicorn's HTTP/1.1 parser answers them itself, with a plain-text 400 ("Invalid
HTTP request received."), against the rule that every error is RFC 9457 problem
details (probe 7). ``ProblemH11Protocol`` is uvicorn's own h11 protocol with
that one answer replaced; every ``entente`` server runs it (``http=`` of
``uvicorn.Config``).
"""

from __future__ import annotations

import json

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from shared.http.problems import PROBLEM_BASE, PROBLEM_JSON

#: The body of every such answer: nothing of the request is echoed.
MALFORMED = json.dumps(
    {
        "type": PROBLEM_BASE + "malformed-request",
        "title": "Malformed request",
        "status": 400,
        "detail": "the request is not valid HTTP/1.1 (its request line, a header or its "
        "length could not be read): nothing was done",
    }
).encode()


class ProblemH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, answering an unparseable request with a problem document."""

    def send_400_response(self, msg: str) -> None:
        headers = [
            (b"content-type", PROBLEM_JSON.encode()),
            (b"content-length", str(len(MALFORMED)).encode()),
            (b"connection", b"close"),
        ]
        response = h11.Response(status_code=400, headers=headers, reason=b"Bad Request")
        self.transport.write(self.conn.send(response))
        self.transport.write(self.conn.send(h11.Data(data=MALFORMED)))
        self.transport.write(self.conn.send(h11.EndOfMessage()))
        self.transport.close()
