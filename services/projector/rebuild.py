"""``entente projections rebuild``: a tenant's views replayed from offset 0 and swapped in.

An operator's command (no token: the views' database credentials guard it), run
where the view store and the log are reachable with the service's own settings;
the live views keep serving until the swap (``shared.views.rebuild``). Progress is
reported per page read.

A tenant's views share one tracking position and are swapped as one set, so
naming one view rebuilds the set it belongs to: rebuilding a table alone would
leave it at another position than its neighbours, and the swap would no longer
be one atomic step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from services.projector.settings import ProjectorSettings
from services.projector.sources import open_sources
from shared.errors import EntenteError
from shared.log.ports import EventLog, LogRecord
from shared.views.dead_letters import parked_count
from shared.views.rebuild import rebuild
from shared.views.store import open_view_store
from shared.views.tables import tables_for
from shared.views.tracking import ViewPosition

Echo = Callable[[str], None]


class UnknownRebuildTargetError(EntenteError):
    """Raised when a rebuild names a tenant these settings do not serve, or an unknown view."""

    title = "Unknown rebuild target"


@dataclass(frozen=True)
class RebuildResult:
    tenant: str
    position: ViewPosition
    parked: int


def view_names() -> list[str]:
    """The tables of a tenant's views (tracking excluded), as an operator names them."""
    tables = tables_for(None)
    return sorted(t.name for t in tables.metadata.sorted_tables if t is not tables.tracking)


def rebuild_tenant(
    settings: ProjectorSettings, tenant: str, view: str | None, echo: Echo
) -> RebuildResult:
    """Replays ``tenant`` from offset 0 into fresh tables and swaps them in."""
    check_target(settings, tenant, view)
    if view is not None:
        echo(f"{tenant}'s views share one position: rebuilding all of them, {view} included")
    sources = open_sources(settings, [tenant])
    store = open_view_store(settings.views_url, settings.data_dir, [tenant])
    try:
        store.setup()
        position = rebuild(store, ProgressLog(sources.log, echo), tenant)
        with store.read(tenant) as session:
            parked = parked_count(session)
    finally:
        store.dispose()
        sources.close()
    return RebuildResult(tenant, position, parked)


def check_target(settings: ProjectorSettings, tenant: str, view: str | None) -> None:
    if tenant not in settings.tenants:
        served = ", ".join(settings.tenants) or "none"
        raise UnknownRebuildTargetError(f"no tenant {tenant!r} here (ENTENTE_TENANTS: {served})")
    if view is not None and view not in view_names():
        raise UnknownRebuildTargetError(
            f"no view {view!r}; the views are: {', '.join(view_names())}"
        )


class ProgressLog:
    """An ``EventLog`` that reports how far each partition has been read."""

    def __init__(self, log: EventLog, echo: Echo) -> None:
        self._log = log
        self._echo = echo
        self._ends: dict[tuple[str, int], int] = {}

    def topics(self) -> list[str]:
        return self._log.topics()

    def partitions(self, topic: str) -> list[int]:
        return self._log.partitions(topic)

    def end_offset(self, topic: str, partition: int) -> int:
        return self._log.end_offset(topic, partition)

    def read(self, topic: str, partition: int, after: int, limit: int) -> list[LogRecord]:
        records = self._log.read(topic, partition, after, limit)
        if records:
            end = self._ends.get((topic, partition), -1)
            if records[-1].offset > end:  # records arrived since: look at the end again
                end = self._ends[topic, partition] = self._log.end_offset(topic, partition)
            done = 100 * (records[-1].offset + 1) // max(end + 1, 1)
            self._echo(f"  {topic}[{partition}]: offset {records[-1].offset} of {end} ({done}%)")
        return records
