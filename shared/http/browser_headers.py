"""Headers that keep a browser from misreading or framing the platform's answers.

Desk officers and reporting staff open the API documentation and the exports in a
browser. Without these headers (probe 13) a browser could sniff an answer into
another type than the one sent (a CSV export, a text field, read as HTML), and any
site could frame the documentation pages, whose "try it out" sends the user's token
(clickjacking). So every answer carries:

- ``X-Content-Type-Options: nosniff``: the declared type is the type;
- ``Content-Security-Policy: frame-ancestors 'none'`` and its older form
  ``X-Frame-Options: DENY``: no page may frame an answer;
- ``Referrer-Policy: no-referrer``: a link followed from the documentation does not
  carry the platform's URL (record ids, filters) to another site.

A header the route set itself is kept. Plain ASGI, as ``no_store``: nested apps (the
platform's reporting and audit, served beside the tenant services) add nothing twice.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HARDENING: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)


class BrowserHardening:
    """ASGI middleware adding ``HARDENING`` to every HTTP answer that lacks them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_hardened(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                missing = [header for header in HARDENING if header[0] not in present]
                if missing:
                    message = {**message, "headers": [*headers, *missing]}
            await send(message)

        await self.app(scope, receive, send_hardened)
