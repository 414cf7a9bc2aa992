"""The audit service's composition root: settings in, a wired service out, nothing at import.

It reads every configured tenant's event store (read-only: it records no
event, and on PostgreSQL it creates no schema or table, so its database role
needs only USAGE and SELECT on the tenants' schemas) and writes only the
access log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from shared.access_log import AccessLog, access_log_for
from shared.application.ledger import CooperationLedger
from shared.audit.ledgers import audit_ledger
from shared.audit.settings import AuditSettings
from shared.auth.dev_issuer import DevIssuer
from shared.auth.jwks import CachedJwks, http_jwks
from shared.auth.tokens import TokenPolicy, TokenVerifier
from shared.errors import ConfigurationError
from shared.tenancy import check_slug, served_tenant


@dataclass
class AuditService:
    """The tenants' ledgers (read), the token verifier and the access log."""

    settings: AuditSettings
    ledgers: dict[str, CooperationLedger]
    verifier: TokenVerifier
    issuer: DevIssuer | None
    access: AccessLog

    @property
    def tenants(self) -> list[str]:
        return list(self.ledgers)

    def ledger(self, tenant: str) -> CooperationLedger:
        """The tenant's ledger, or NotFoundError (404) for a tenant not served here."""
        return self.ledgers[served_tenant(tenant, self.tenants)]

    def start(self) -> None:
        self.access.setup()

    def stop(self) -> None:
        self.access.dispose()
        for ledger in self.ledgers.values():
            ledger.close()


def bootstrap(
    settings: AuditSettings, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> AuditService:
    tenants = [check_slug(t) for t in settings.tenants]
    if not tenants:
        raise ConfigurationError("ENTENTE_TENANTS names no tenant")
    # A tenant whose store is in a cluster of its own has its URL in ENTENTE_POSTGRES_URLS.
    ledgers = {t: audit_ledger(t, settings.event_store(t), clock) for t in tenants}
    issuer, verifier = _auth(settings, tenants)
    return AuditService(settings, ledgers, verifier, issuer, access_log_for(settings, clock))


def _auth(settings: AuditSettings, tenants: list[str]) -> tuple[DevIssuer | None, TokenVerifier]:
    """The same verification as every service: the dev issuer's keys, or the realm's JWKS."""
    policy = TokenPolicy(settings.issuer, settings.audience)
    if settings.auth == "dev":
        issuer = DevIssuer(settings.data_dir, settings.issuer, settings.audience, tenants)
        return issuer, TokenVerifier(policy, CachedJwks(issuer.jwks))
    if not settings.jwks_url:
        raise ConfigurationError("ENTENTE_JWKS_URL is required when ENTENTE_AUTH=jwks")
    return None, TokenVerifier(policy, CachedJwks(http_jwks(settings.jwks_url)))
