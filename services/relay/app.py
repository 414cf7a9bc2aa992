"""The relay's HTTP face: probes and metrics only, all open (they stay inside the cluster).

- ``/healthz``: the relay's loop still turns (``RelayHealth``); a loop stuck in
  a call that never returns fails it, so Kubernetes restarts the relay.
- ``/readyz``: its last look at the event store published what there was; while
  it waits out an outage (broker or database away) this answers 503 with the
  error, so compose, Kubernetes and the operator see it.
- ``/metrics``: Prometheus series read at each scrape (see ``RelayCollector``).

Nothing here reads or changes events: the relay's only writer is its own loop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from shared.errors import NotReadyError
from shared.http import problems
from shared.http.browser_headers import BrowserHardening
from shared.http.head import HeadAsGet
from shared.http.limits import TargetLimit
from shared.http.security import Public
from shared.metrics import metrics_response
from shared.relay.health import HealthSnapshot, RelayHealth

log = logging.getLogger("entente.relay")
router = APIRouter(tags=["operations"])
Open = Annotated[None, Depends(Public())]


def _health(request: Request) -> RelayHealth:
    health: RelayHealth = request.app.state.health
    return health


@router.get("/healthz", summary="The relay's loop still turns")
def healthz(_: Open, request: Request) -> dict[str, Any]:
    seen = _health(request).snapshot()
    if not seen.alive:
        silent = "has not started" if seen.silent_for is None else f"silent {seen.silent_for:.0f}s"
        raise NotReadyError(f"the relay's loop {silent} (limit {seen.stale_after:.0f}s)")
    return {"status": "ok"}


@router.get("/readyz", summary="The relay's last look published what there was")
def readyz(_: Open, request: Request) -> dict[str, Any]:
    seen = _health(request).snapshot()
    if not seen.alive:
        raise NotReadyError("the relay's loop is not turning")
    if seen.failure is not None:
        raise NotReadyError(f"the relay is retrying: {seen.failure}")
    if seen.stalled and seen.stalled_for is not None:
        raise NotReadyError(
            f"the relay's look has made no progress for {seen.stalled_for:.0f} s (limit "
            f"{seen.stalled_after:.0f} s): the broker or the event store does not answer"
        )
    if seen.looked_at is None:
        raise NotReadyError("the relay has not finished its first look yet")
    return {"status": "ready", "position": seen.position, "count": seen.count}


@router.get("/metrics", summary="Prometheus metrics: position, chain size, lag, failures")
def metrics(_: Open, request: Request) -> Response:
    registry: CollectorRegistry = request.app.state.registry
    return metrics_response(registry)


class RelayCollector(Collector):
    """The relay's series, read from its health and the event store at each scrape.

    - ``entente_relay_published_position{tenant}``: the last notification id published;
    - ``entente_relay_chain_size{tenant}``: events in the published hash chain;
    - ``entente_relay_store_position{tenant}``: the notification id of the last domain
      event stored (receipts, never published, do not count), and
      ``entente_relay_lag{tenant}``, their difference: 0 when caught up (left out, with
      ``entente_relay_store_up`` 0, when the store cannot be read);
    - ``entente_relay_last_look_timestamp_seconds{tenant}``: the last successful look;
    - ``entente_relay_retrying{tenant}``: 1 while the relay waits out a failure;
    - ``entente_relay_events_published_total`` and ``entente_relay_failures_total``.
    """

    def __init__(self, tenant: str, health: RelayHealth, store_position: Callable[[], int]):
        self._tenant = tenant
        self._health = health
        self._store_position = store_position

    def collect(self) -> Iterator[Metric]:
        seen = self._health.snapshot()
        yield from self._progress(seen)
        retrying = int(seen.failure is not None)
        yield self._gauge("retrying", "1 while the relay waits out a failure", retrying)
        yield self._counter("events_published", "Events published", seen.published_total)
        yield self._counter("failures", "Looks that failed and were retried", seen.failures_total)

    def _progress(self, seen: HealthSnapshot) -> Iterator[Metric]:
        if seen.position is not None and seen.count is not None:
            yield self._gauge("published_position", "Last notification id published", seen.position)
            yield self._gauge("chain_size", "Events in the published hash chain", seen.count)
        if seen.looked_at is not None:
            yield self._gauge(
                "last_look_timestamp_seconds", "End of the last successful look", seen.looked_at
            )
        try:
            stored = self._store_position()
        except Exception as error:  # the scrape says so; the relay's own loop retries
            log.warning("relay %s: metrics could not read the store: %s", self._tenant, error)
            yield self._gauge("store_up", "1 when the event store could be read", 0)
            return
        yield self._gauge("store_up", "1 when the event store could be read", 1)
        yield self._gauge("store_position", "Notification id of the last event stored", stored)
        if seen.position is not None:
            lag = max(stored - seen.position, 0)
            yield self._gauge("lag", "Notifications stored but not yet published", lag)

    def _gauge(self, name: str, documentation: str, value: float) -> Metric:
        gauge = GaugeMetricFamily(f"entente_relay_{name}", documentation, labels=["tenant"])
        gauge.add_metric([self._tenant], value)
        return gauge

    def _counter(self, name: str, documentation: str, value: int) -> Metric:
        counter = CounterMetricFamily(f"entente_relay_{name}", documentation, labels=["tenant"])
        counter.add_metric([self._tenant], value)
        return counter


def create_app(tenant: str, health: RelayHealth, store_position: Callable[[], int]) -> FastAPI:
    """The relay's probes and metrics over ``health`` (``Relay.health``)."""
    app = FastAPI(
        title=f"Entente — relay of {tenant}",
        version="0.1.0",
        description="Probes and metrics of one tenant's relay (event store → Kafka).",
        redirect_slashes=False,  # no redirect built from the Host header (shared.http.api_docs)
    )
    registry = CollectorRegistry()
    registry.register(RelayCollector(tenant, health, store_position))
    app.state.health = health
    app.state.registry = registry
    problems.install(app)
    app.add_middleware(HeadAsGet)
    app.add_middleware(TargetLimit)
    app.add_middleware(BrowserHardening)  # outermost: the 414 and 413 answers too
    app.include_router(router)
    return app
