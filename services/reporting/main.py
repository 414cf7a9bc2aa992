"""Entry point of the reporting service: settings in, ASGI application out.

``entente.apps`` names it ``reporting``; the tokens are verified as in every
service: the dev issuer's keys in the embedded default, the realm's JWKS
otherwise.
"""

from __future__ import annotations

from fastapi import FastAPI

from services.reporting.app import create_app
from services.reporting.bootstrap import bootstrap
from services.reporting.settings import ReportingSettings
from shared.auth.dev_issuer import DevIssuer
from shared.auth.jwks import CachedJwks, http_jwks
from shared.auth.tokens import TokenPolicy, TokenVerifier
from shared.errors import ConfigurationError
from shared.settings import Settings


def build(settings: Settings | None = None) -> FastAPI:
    reporting = ReportingSettings.model_validate(settings.model_dump()) if settings else None
    reporting = reporting or ReportingSettings()
    return create_app(bootstrap(reporting), verifier(reporting))


def verifier(settings: Settings) -> TokenVerifier:
    """The same verification as every service: the dev issuer's keys, or the realm's JWKS."""
    policy = TokenPolicy(settings.issuer, settings.audience)
    if settings.auth == "dev":
        issuer = DevIssuer(settings.data_dir, settings.issuer, settings.audience, settings.tenants)
        return TokenVerifier(policy, CachedJwks(issuer.jwks))
    if not settings.jwks_url:
        raise ConfigurationError("ENTENTE_JWKS_URL is required when ENTENTE_AUTH=jwks")
    return TokenVerifier(
        policy, CachedJwks(http_jwks(settings.jwks_url), max_age=settings.jwks_max_age)
    )
