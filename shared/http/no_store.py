"""Answers to an authenticated request are never kept by a cache.

Records, views, reporting figures and their CSV or XLSX exports are official
and partly sensitive: a browser's disk cache or a shared proxy keeping them
would serve them after the token that read them has expired, or to whoever
uses the machine next. ``Cache-Control: no-store`` (RFC 9111 §5.2.2.5) is added
to every answer to a request carrying ``Authorization``, unless the route set
its own; health probes, the public keys and the API documents are untouched.

Plain ASGI, like the tenant service's other middleware: ``@app.middleware``
costs a task and streams per request.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

NO_STORE = (b"cache-control", b"no-store")


class NoStoreForAuthenticated:
    """ASGI middleware adding ``Cache-Control: no-store`` to authenticated answers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not any(
            name == b"authorization" for name, _ in scope["headers"]
        ):
            await self.app(scope, receive, send)
            return

        async def send_no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                if not any(name.lower() == b"cache-control" for name, _ in headers):
                    message = {**message, "headers": [*headers, NO_STORE]}
            await send(message)

        await self.app(scope, receive, send_no_store)
