"""The projector's Prometheus metrics.

Counted after each committed batch (``ProjectionObserver``), so a batch that
rolled back counts nothing:

- ``entente_projector_events_applied_total{tenant,topic,partition}``
- ``entente_projector_duplicates_skipped_total{tenant,topic,partition}``
- ``entente_projector_messages_parked_total{tenant,topic,partition,kind}``

Read at each scrape:

- ``entente_projector_lag{tenant,topic,partition}``: end offset - tracked offset;
- ``entente_projector_end_offset`` and ``entente_projector_tracked_offset``, same labels;
- ``entente_projector_last_pass_timestamp_seconds``: end of the last successful pass;
- ``entente_projector_stopped``: 1 once a projection error stopped it (a version gap),
  whole or for one tenant; ``entente_projector_tenant_stopped{tenant}``: 1 for that tenant;
- ``entente_projector_status_up``: 0 when the offsets could not be read (database
  or broker down), in which case the offset series are left out of that scrape.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily, Metric

from services.projector.status import PartitionStatus
from shared.views.projector import BatchReport
from shared.views.runner import ProjectorThread

log = logging.getLogger("entente.projector")
PARTITION_LABELS = ["tenant", "topic", "partition"]


class ProjectorMetrics:
    """The counters (fed as an observer) and the gauges read at scrape time."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.applied = Counter(
            "entente_projector_events_applied",
            "Events applied to the views",
            PARTITION_LABELS,
            registry=self.registry,
        )
        self.duplicates = Counter(
            "entente_projector_duplicates_skipped",
            "Redelivered events recognised and skipped",
            PARTITION_LABELS,
            registry=self.registry,
        )
        self.parked = Counter(
            "entente_projector_messages_parked",
            "Poison messages parked as dead letters",
            [*PARTITION_LABELS, "kind"],
            registry=self.registry,
        )

    def committed(self, report: BatchReport) -> None:
        labels = (report.tenant, report.topic, str(report.partition))
        if report.applied:
            self.applied.labels(*labels).inc(report.applied)
        if report.duplicates:
            self.duplicates.labels(*labels).inc(report.duplicates)
        for letter in report.parked:
            self.parked.labels(*labels, letter.kind).inc()

    def watch(
        self, runner: ProjectorThread, partitions: Callable[[], list[PartitionStatus]]
    ) -> None:
        """Adds the gauges read at each scrape (call once, when the runner exists)."""
        self.registry.register(_ScrapeTime(runner, partitions))


class _ScrapeTime:
    def __init__(
        self, runner: ProjectorThread, partitions: Callable[[], list[PartitionStatus]]
    ) -> None:
        self.runner = runner
        self.partitions = partitions

    def collect(self) -> Iterable[Metric]:
        stopped = GaugeMetricFamily(
            "entente_projector_stopped", "1 once a projection error stopped the projector"
        )
        stopped.add_metric([], 1.0 if self.runner.stopped_by_error else 0.0)
        yield stopped
        by_tenant = GaugeMetricFamily(
            "entente_projector_tenant_stopped",
            "1 for a tenant whose projection an error stopped (the others go on)",
            labels=["tenant"],
        )
        for tenant in self.runner.stopped_tenants:
            by_tenant.add_metric([tenant], 1.0)
        yield by_tenant
        if self.runner.last_pass_at is not None:
            last = GaugeMetricFamily(
                "entente_projector_last_pass_timestamp_seconds",
                "Unix time at which the last successful pass ended",
            )
            last.add_metric([], self.runner.last_pass_at)
            yield last
        yield from self._offsets()

    def _offsets(self) -> Iterable[Metric]:
        up = GaugeMetricFamily(
            "entente_projector_status_up", "1 when the offsets could be read for this scrape"
        )
        try:
            partitions = self.partitions()
        except Exception:  # reported as status_up 0; the scrape itself must still answer
            log.warning("cannot read the projector's offsets for /metrics", exc_info=True)
            up.add_metric([], 0.0)
            yield up
            return
        up.add_metric([], 1.0)
        yield up
        families = {
            "lag": ("Records (offsets) between the tracked offset and the end", "lag"),
            "end_offset": ("Offset of the last record of the partition", "end_offset"),
            "tracked_offset": ("Offset of the last record the views consumed", "tracked_offset"),
        }
        for name, (documentation, attribute) in families.items():
            family = GaugeMetricFamily(
                f"entente_projector_{name}", documentation, labels=PARTITION_LABELS
            )
            for p in partitions:
                labels = [p.tenant, p.topic, str(p.partition)]
                family.add_metric(labels, float(getattr(p, attribute)))
            yield family
