"""Partitions a projection error stopped, while the other tenants' go on.

Why: one projector process serves every tenant (and reporting consolidates them
all). A ``ProjectionError`` on one directorate's event (a version gap, a value
the database refuses) stopped the whole projector, so every directorate's views
stopped moving for one directorate's broken event. A projector given a
``PartitionHalts`` stops that partition only: its tracking stays before the
batch (nothing skipped, nothing lost), the error is kept for readiness,
``/status`` and the metrics, and the other partitions are projected as before.
A restart tries the stopped partition again (after a fix, it resumes there).

Without one (rebuilds, tests, ``catch_up``) the error is raised as before: a
rebuild must never swap in views that silently stopped short.
"""

from __future__ import annotations

import logging
import threading

from shared.log.turns import Batch
from shared.views.errors import ProjectionError


class PartitionHalts:
    """The stopped partitions of one projector, each with its tenant and error.

    Written by the projector's thread, read by the HTTP threads (a lock between).
    """

    def __init__(self, logger: logging.Logger) -> None:
        self._log = logger
        self._lock = threading.Lock()
        self._stopped: dict[tuple[str, int], tuple[str, ProjectionError]] = {}

    def guard(self, batch: Batch) -> Batch:
        """``batch``, skipping stopped partitions and stopping one whose batch raises a
        ProjectionError (0 records consumed, as for a partition at its end)."""

        def guarded(tenant: str, topic: str, partition: int, limit: int) -> int:
            if self.stopped(topic, partition):
                return 0
            try:
                return batch(tenant, topic, partition, limit)
            except ProjectionError as error:
                self.stop(tenant, topic, partition, error)
                return 0

        return guarded

    def stopped(self, topic: str, partition: int) -> bool:
        with self._lock:
            return (topic, partition) in self._stopped

    def stop(self, tenant: str, topic: str, partition: int, error: ProjectionError) -> None:
        """Stops ``tenant``'s partition for ``error`` (kept for readiness and /status)."""
        with self._lock:
            self._stopped[(topic, partition)] = (tenant, error)
        self._log.error(
            "the projection of %s stopped (the other tenants go on): %s", tenant, error.detail
        )

    def by_tenant(self) -> dict[str, ProjectionError]:
        """Each stopped tenant's first error (a tenant's topic has one partition today)."""
        with self._lock:
            found: dict[str, ProjectionError] = {}
            for tenant, error in self._stopped.values():
                found.setdefault(tenant, error)
            return found

    def __bool__(self) -> bool:
        with self._lock:
            return bool(self._stopped)
