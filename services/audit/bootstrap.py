"""The audit service's composition root: settings in, a wired service out, nothing at import.

It reads every configured tenant's event store (read-only: it records no
event, and on PostgreSQL it creates no schema or table, so its database role
needs only USAGE and SELECT on the tenants' schemas) and writes only the
access log.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from shared.access_log import AccessLog, access_log_for
from shared.application.ledger import CooperationLedger
from shared.application.stores import EventStoreConfig, PostgresStore
from shared.audit.ledgers import audit_ledger
from shared.audit.settings import AuditSettings
from shared.audit.views_as_of import AsOfViews
from shared.auth.dev_issuer import DevIssuer
from shared.auth.jwks import CachedJwks, http_jwks
from shared.auth.tokens import TokenPolicy, TokenVerifier
from shared.errors import ConfigurationError, NotFoundError, NotReadyError, first_line
from shared.pg_probe import answers
from shared.tenancy import check_slug, served_tenant

#: How long a store that could not be opened is answered for from memory (seconds):
#: opening one that does not answer takes the pool's whole connect timeout (30 s).
RETRY_OPEN_AFTER = 30.0
#: Seconds one direct connection attempt may take before a ledger is opened.
CONNECT_TIMEOUT = 5


class StoreUnavailableError(NotReadyError):
    """Raised (503) for a tenant whose event store could not be opened."""


@dataclass
class AuditService:
    """The tenants' ledgers (read, each opened on first use), the token verifier and the
    access log.

    Why lazily: opening a PostgreSQL ledger connects at once (the library registers
    its types), so one tenant's unreachable or misnamed store made the whole service
    fail at start-up, after the pool's 30 s timeout, naming no tenant. Now the others
    are audited, readiness names the one that cannot be read, and its reads are 503.
    """

    settings: AuditSettings
    stores: dict[str, EventStoreConfig]
    verifier: TokenVerifier
    issuer: DevIssuer | None
    access: AccessLog
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    _opened: dict[str, CooperationLedger] = field(default_factory=dict)
    _failed: dict[str, tuple[float, str]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    #: The views as of past recorded times, replayed on demand (``shared.audit.views_as_of``).
    as_of_views: AsOfViews = field(default_factory=AsOfViews)

    @property
    def tenants(self) -> list[str]:
        return list(self.stores)

    def ledger(self, tenant: str) -> CooperationLedger:
        """The tenant's ledger: NotFoundError (404) for a tenant not served here,
        StoreUnavailableError (503) while its store cannot be opened."""
        tenant = served_tenant(tenant, self.tenants)
        with self._lock:  # one opening per tenant at a time
            if tenant in self._opened:
                return self._opened[tenant]
            failed = self._failed.get(tenant)
            if failed is not None and time.monotonic() - failed[0] < RETRY_OPEN_AFTER:
                raise StoreUnavailableError(failed[1])
            try:
                ledger = self._open(tenant)
            except Exception as error:
                detail = (
                    f"the event store of {tenant!r} cannot be read "
                    f"({type(error).__name__}: {first_line(error)}); {self.where(tenant)}"
                )
                self._failed[tenant] = (time.monotonic(), detail)
                raise StoreUnavailableError(detail) from None
            self._failed.pop(tenant, None)
            self._opened[tenant] = ledger
            return ledger

    def where(self, tenant: str) -> str:
        """The setting that says where ``tenant``'s store is: what to check when it
        cannot be read."""
        if isinstance(self.stores[tenant], PostgresStore):
            return "its URL: ENTENTE_POSTGRES_URLS, else ENTENTE_POSTGRES_URL"
        return "its folder: ENTENTE_DATA_DIR"

    def _open(self, tenant: str) -> CooperationLedger:
        store = self.stores[tenant]
        if isinstance(store, PostgresStore):
            # The library's pool retries for 30 s and then says only that.
            answers(store.url, CONNECT_TIMEOUT)
        elif not store.path(tenant).is_file():  # opened read-only, it is never made here
            raise NotFoundError(
                f"no event store at {store.path(tenant)}: the tenant's service makes it "
                "when it starts"
            )
        return audit_ledger(tenant, store, self.clock)

    def start(self) -> None:
        self.access.setup()

    def stop(self) -> None:
        self.access.dispose()
        self.as_of_views.close()
        with self._lock:
            for ledger in self._opened.values():
                ledger.close()
            self._opened.clear()


def bootstrap(
    settings: AuditSettings, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> AuditService:
    tenants = [check_slug(t) for t in settings.tenants]
    if not tenants:
        raise ConfigurationError("ENTENTE_TENANTS names no tenant")
    # A tenant whose store is in a cluster of its own has its URL in ENTENTE_POSTGRES_URLS.
    stores = {t: settings.event_store(t) for t in tenants}
    issuer, verifier = _auth(settings, tenants)
    return AuditService(settings, stores, verifier, issuer, access_log_for(settings, clock), clock)


def _auth(settings: AuditSettings, tenants: list[str]) -> tuple[DevIssuer | None, TokenVerifier]:
    """The same verification as every service: the dev issuer's keys, or the realm's JWKS."""
    policy = TokenPolicy(settings.issuer, settings.audience)
    if settings.auth == "dev":
        issuer = DevIssuer(settings.data_dir, settings.issuer, settings.audience, tenants)
        return issuer, TokenVerifier(policy, CachedJwks(issuer.jwks))
    if not settings.jwks_url:
        raise ConfigurationError("ENTENTE_JWKS_URL is required when ENTENTE_AUTH=jwks")
    return None, TokenVerifier(
        policy, CachedJwks(http_jwks(settings.jwks_url), max_age=settings.jwks_max_age)
    )
