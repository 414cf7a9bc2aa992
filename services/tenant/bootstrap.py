"""The composition root: reads settings, wires adapters, nothing at import time.

Tests call ``bootstrap`` with their own settings (a temporary directory, a
PostgreSQL URL), so the code under test is wired exactly as in production.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from services.tenant.preflight import no_store_made_over_views, stores_reach_views, views_open
from shared.access_log import AccessLog, access_log_for
from shared.application.ledger import CooperationLedger
from shared.application.store_presence import store_absent
from shared.auth.dev_issuer import DevIssuer
from shared.auth.jwks import CachedJwks, http_jwks
from shared.auth.tokens import TokenPolicy, TokenVerifier
from shared.errors import ConfigurationError
from shared.log.embedded import EmbeddedEventLog
from shared.sample_data.loader import load as load_sample_data
from shared.settings import Settings
from shared.tenancy import check_slug
from shared.views.halts import PartitionHalts
from shared.views.notifications import ViewChangeListener
from shared.views.passes import PassSignal
from shared.views.postgres import PostgresViewStore
from shared.views.projector import Projector
from shared.views.runner import ProjectorThread
from shared.views.store import ViewStore, open_view_store

log = logging.getLogger("entente.tenant")


@dataclass
class Platform:
    """Everything a tenant service needs, built once per process."""

    settings: Settings
    ledgers: dict[str, CooperationLedger]
    verifier: TokenVerifier
    issuer: DevIssuer | None
    views: ViewStore
    #: Where auditors' reads of this tenant's records are recorded (who read what, when).
    access: AccessLog
    projector: ProjectorThread | None = None
    #: Hears a projector in another process commit (PostgreSQL views only).
    listener: ViewChangeListener | None = None
    #: Whether ``preflight`` passed (``entente serve`` runs it before listening).
    preflown: bool = False

    @property
    def passes(self) -> PassSignal | None:
        """What read-your-writes waits sleep on; None means they poll."""
        if self.projector is not None:
            return self.projector.passes
        return None if self.listener is None else self.listener.signal

    def ledger(self, tenant: str) -> CooperationLedger:
        return self.ledgers[tenant]

    def preflight(self) -> None:
        """Before serving: the views open, and no store ends before its views
        (``preflight``). ``entente serve`` calls it before listening, for one line and
        exit 2; ``start`` calls it when no one did (any other host of the app)."""
        views_open(self.views)
        if self.projector is not None:  # the views' positions are the stores' own
            stores_reach_views(self.views, self.ledgers)
        self.preflown = True

    def start(self) -> None:
        """Creates the view tables, loads sample data if asked, starts projecting."""
        if not self.preflown:
            self.preflight()
        self.access.setup()
        if self.settings.sample_data:
            counts = load_sample_data(self.ledgers, today=self.ledgers[self.tenants[0]].today())
            log.info("sample data: %s commands (replayed ones record nothing)", counts)
        if self.projector is not None:
            self.projector.start()
        if self.listener is not None:
            self.listener.start()

    def stop(self) -> None:
        if self.projector is not None:
            self.projector.stop()
        if self.listener is not None:
            self.listener.stop()
        self.views.dispose()
        self.access.dispose()

    def written(self) -> None:
        """A command committed: project it now rather than at the next poll."""
        if self.projector is not None:
            self.projector.wake()

    @property
    def tenants(self) -> list[str]:
        return list(self.ledgers)


def bootstrap(
    settings: Settings, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> Platform:
    tenants = [check_slug(t) for t in settings.tenants]
    if not tenants:
        raise ConfigurationError("ENTENTE_TENANTS names no tenant")
    views = open_view_store(settings.views_url, settings.data_dir, tenants)
    if settings.embedded_projector:  # the views' positions are the stores' own
        stores = {t: settings.event_store(t) for t in tenants}
        absent = {t: store for t, store in stores.items() if store_absent(store, t)}
        if absent:
            no_store_made_over_views(views, absent)
    ledgers = {t: CooperationLedger(t, settings.event_store(t), clock) for t in tenants}
    issuer, verifier = _auth(settings, tenants)
    projector = None
    if settings.embedded_projector:
        log_ = EmbeddedEventLog(ledgers)
        halts = PartitionHalts(logging.getLogger("entente.views"))  # one tenant's stop
        projector = ProjectorThread(Projector(views, log_, tenants, halts=halts))
    access = access_log_for(settings, clock)
    listener = None
    if projector is None and isinstance(views, PostgresViewStore):
        schemas = [views.schema(tenant) for tenant in tenants]
        listener = ViewChangeListener(str(settings.views_url), schemas)
    return Platform(settings, ledgers, verifier, issuer, views, access, projector, listener)


def _auth(settings: Settings, tenants: list[str]) -> tuple[DevIssuer | None, TokenVerifier]:
    policy = TokenPolicy(settings.issuer, settings.audience)
    if settings.auth == "dev":
        issuer = DevIssuer(settings.data_dir, settings.issuer, settings.audience, tenants)
        return issuer, TokenVerifier(policy, CachedJwks(issuer.jwks))
    if not settings.jwks_url:
        raise ConfigurationError("ENTENTE_JWKS_URL is required when ENTENTE_AUTH=jwks")
    return None, TokenVerifier(
        policy, CachedJwks(http_jwks(settings.jwks_url), max_age=settings.jwks_max_age)
    )
