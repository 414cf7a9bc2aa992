"""Entry point of the projector service: settings in, ASGI application out."""

from __future__ import annotations

from fastapi import FastAPI

from services.projector.app import create_app
from services.projector.bootstrap import bootstrap
from services.projector.settings import ProjectorSettings


def build(settings: ProjectorSettings | None = None) -> FastAPI:
    return create_app(bootstrap(settings or ProjectorSettings()))
