"""The API documentation pages, with Swagger UI and ReDoc served by the service itself.

Why: FastAPI's own ``/docs`` page loads Swagger UI's script and style from a public
CDN (cdn.jsdelivr.net). On a ministry network without Internet access, or behind a
proxy that filters it, the page stays blank, and every page view tells a third party
that someone opened the ministry's API. ``fastapi-offline`` ships the same Swagger UI
(version 5, which reads the OpenAPI 3.1 documents FastAPI writes) and ReDoc as package
files; the service serves them under ``<docs_url>/assets``, with the page itself.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline


def documented_app(*, docs_url: str, redoc_url: str | None = None, **settings: Any) -> FastAPI:
    """A FastAPI app (``settings`` are FastAPI's) whose docs pages need nothing outside it.

    No redirect for a trailing slash: Starlette's answered ``/api/police/missions/``,
    before any token was checked, with a 307 to a URL built from the request's Host
    header (``http://evil.example/…``) and no problem document; a path we do not
    serve is a 404 problem like any other.
    """
    settings.setdefault("redirect_slashes", False)
    app = FastAPIOffline(
        docs_url=docs_url, redoc_url=redoc_url, static_url=f"{docs_url}/assets", **settings
    )
    # FastAPIOffline routes the page itself and leaves FastAPI's own setting empty;
    # the tenant service's root redirect, and readers of the app, find the page here.
    app.docs_url = docs_url
    app.redoc_url = redoc_url
    return app


def documentation_paths(app: FastAPI) -> set[str]:
    """The paths the API documentation takes (the OpenAPI document, its two viewers, the
    OAuth redirect, the viewers' files): public by construction, no policy of ours."""
    paths = {app.openapi_url, app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url}
    if app.docs_url:
        paths.add(f"{app.docs_url}/assets")
    return {path for path in paths if path}
