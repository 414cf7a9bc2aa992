"""HEAD answered wherever GET is (RFC 9110, 9.3.2): the GET's status and headers, no body.

Why: FastAPI routes a GET for GET only, so ``HEAD /healthz`` (how many load
balancers and uptime probes look) and ``HEAD`` of any read answered 405. The
request runs as the GET it stands for, so it is authorized (and an auditor's read
access-logged) exactly as that GET; only the body is left out.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    """ASGI middleware: a HEAD request served as its GET, the body dropped."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return  # a streamed body's chunks: none is sent
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)
