"""The projector service's composition root: settings in, a wired service out.

Tests call ``bootstrap`` with their own settings and, where they need one, a
hand-made ``Sources`` (a log holding poison messages), so the code under test
is wired exactly as in production.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry

from services.projector.metrics import ProjectorMetrics
from services.projector.settings import ProjectorSettings
from services.projector.sources import Sources, open_sources
from services.projector.status import PartitionStatus, describe, runner_state, tenant_status
from shared.auth.dev_issuer import DevIssuer
from shared.auth.jwks import CachedJwks, http_jwks
from shared.auth.tokens import TokenPolicy, TokenVerifier
from shared.errors import ConfigurationError
from shared.kafka.settings import KafkaSettings
from shared.tenancy import check_slug
from shared.views.halts import PartitionHalts
from shared.views.projector import Projector
from shared.views.runner import ProjectorThread
from shared.views.store import ViewStore, open_view_store

log = logging.getLogger("entente.projector")


@dataclass
class ProjectorService:
    """The running parts: the views, the log, the projector thread and its metrics."""

    settings: ProjectorSettings
    tenants: list[str]
    views: ViewStore
    sources: Sources
    runner: ProjectorThread
    metrics: ProjectorMetrics
    verifier: TokenVerifier
    issuer: DevIssuer | None

    def start(self) -> None:
        """Creates the view tables if missing and starts projecting."""
        self.views.setup()
        self.runner.start()
        log.info("projecting %s", ", ".join(self.tenants))

    def stop(self) -> None:
        self.runner.stop()
        self.sources.close()
        self.views.dispose()

    def partitions(self) -> list[PartitionStatus]:
        """Every partition's offsets, read now (for the lag gauges)."""
        return [
            partition
            for tenant in self.tenants
            for partition in tenant_status(self.views, self.sources.status_log, tenant).partitions
        ]

    def status(self) -> dict[str, Any]:
        """The runner's state and, per tenant, position, parked count and partitions.

        A tenant whose status cannot be read (its database down) shows the
        error instead, so the others and the runner's state still answer.
        """
        tenants: dict[str, Any] = {}
        for tenant in self.tenants:
            try:
                found = tenant_status(self.views, self.sources.status_log, tenant)
            except Exception as error:  # shown, not swallowed: the endpoint reports it
                tenants[tenant] = {"error": describe(error)}
            else:
                tenants[tenant] = found.as_dict()
        return {**runner_state(self.runner), "tenants": tenants}


def bootstrap(
    settings: ProjectorSettings,
    *,
    sources: Sources | None = None,
    kafka: KafkaSettings | None = None,
    registry: CollectorRegistry | None = None,
) -> ProjectorService:
    tenants = [check_slug(t) for t in settings.tenants]
    if not tenants:
        raise ConfigurationError("ENTENTE_TENANTS names no tenant")
    views = open_view_store(settings.views_url, settings.data_dir, tenants)
    sources = sources or open_sources(settings, tenants, kafka, deferred=True)
    metrics = ProjectorMetrics(registry)
    projector = Projector(
        views,
        sources.log,
        tenants,
        page_size=settings.page_size,
        dead_letters=sources.dead_letters,
        observer=metrics,
        halts=PartitionHalts(logging.getLogger("entente.views")),  # one tenant's stop
    )
    runner = ProjectorThread(projector, poll_interval=settings.poll_interval)
    issuer, verifier = _auth(settings, tenants)
    service = ProjectorService(settings, tenants, views, sources, runner, metrics, verifier, issuer)
    metrics.watch(runner, service.partitions)
    return service


def _auth(
    settings: ProjectorSettings, tenants: list[str]
) -> tuple[DevIssuer | None, TokenVerifier]:
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
