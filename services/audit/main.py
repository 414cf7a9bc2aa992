"""Entry point of the audit service: settings in, ASGI application out."""

from __future__ import annotations

from fastapi import FastAPI

from services.audit.app import create_app
from services.audit.bootstrap import bootstrap
from shared.audit.settings import AuditSettings
from shared.settings import Settings


def build(settings: Settings | None = None) -> FastAPI:
    """The audit app; the platform's ``Settings`` are read as audit settings."""
    if settings is None:
        settings = AuditSettings()
    if not isinstance(settings, AuditSettings):
        settings = AuditSettings(**settings.model_dump())
    return create_app(bootstrap(settings))
