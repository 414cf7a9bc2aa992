"""The composition root: reads settings, wires adapters, nothing at import time.

Tests call ``bootstrap`` with their own settings (a temporary directory, a
PostgreSQL URL), so the code under test is wired exactly as in production.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from shared.application.ledger import CooperationLedger
from shared.auth.dev_issuer import DevIssuer
from shared.auth.jwks import CachedJwks, http_jwks
from shared.auth.tokens import TokenPolicy, TokenVerifier
from shared.errors import ConfigurationError
from shared.settings import Settings
from shared.tenancy import check_slug


@dataclass
class Platform:
    """Everything a tenant service needs, built once per process."""

    settings: Settings
    ledgers: dict[str, CooperationLedger]
    verifier: TokenVerifier
    issuer: DevIssuer | None
    wake_projector: threading.Event = field(default_factory=threading.Event)

    def ledger(self, tenant: str) -> CooperationLedger:
        return self.ledgers[tenant]


def bootstrap(
    settings: Settings, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> Platform:
    tenants = [check_slug(t) for t in settings.tenants]
    if not tenants:
        raise ConfigurationError("ENTENTE_TENANTS names no tenant")
    store = settings.event_store()
    ledgers = {t: CooperationLedger(t, store, clock) for t in tenants}
    issuer, verifier = _auth(settings, tenants)
    return Platform(settings, ledgers, verifier, issuer)


def _auth(settings: Settings, tenants: list[str]) -> tuple[DevIssuer | None, TokenVerifier]:
    policy = TokenPolicy(settings.issuer, settings.audience)
    if settings.auth == "dev":
        issuer = DevIssuer(settings.data_dir, settings.issuer, settings.audience, tenants)
        return issuer, TokenVerifier(policy, CachedJwks(issuer.jwks))
    if not settings.jwks_url:
        raise ConfigurationError("ENTENTE_JWKS_URL is required when ENTENTE_AUTH=jwks")
    return None, TokenVerifier(policy, CachedJwks(http_jwks(settings.jwks_url)))
