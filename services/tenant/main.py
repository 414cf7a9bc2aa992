"""Entry point of the tenant service: settings in, ASGI application out."""

from __future__ import annotations

from fastapi import FastAPI

from services.tenant.app import create_app
from services.tenant.bootstrap import bootstrap
from shared.settings import Settings


def build(settings: Settings | None = None) -> FastAPI:
    return create_app(bootstrap(settings or Settings()))
