"""Where the projector stands: per tenant its position, per partition its offsets and lag.

Read fresh on each request: the tracked offsets and parked count from the
views (one read snapshot per tenant), the end offsets from the log. Lag is
``end offset - tracked offset``: with the embedded log, offsets are
notification ids, which have holes, so there it bounds the records to go
rather than counting them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from shared.errors import EntenteError
from shared.log.ports import EventLog, topic_for
from shared.views.dead_letters import parked_count
from shared.views.errors import ProjectionError
from shared.views.runner import ProjectorThread
from shared.views.store import ViewSession, ViewStore
from shared.views.tracking import ViewPosition, view_position


@dataclass(frozen=True)
class PartitionStatus:
    """How far one partition is consumed (offset -1: nothing yet)."""

    tenant: str
    topic: str
    partition: int
    tracked_offset: int
    end_offset: int

    @property
    def lag(self) -> int:
        return max(self.end_offset - self.tracked_offset, 0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "partition": self.partition,
            "tracked_offset": self.tracked_offset,
            "end_offset": self.end_offset,
            "lag": self.lag,
        }


@dataclass(frozen=True)
class TenantStatus:
    tenant: str
    position: ViewPosition
    parked: int
    partitions: tuple[PartitionStatus, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "position": self.position.as_dict(),
            "parked": self.parked,
            "lag": sum(p.lag for p in self.partitions),
            "partitions": [p.as_dict() for p in self.partitions],
        }


def tenant_status(store: ViewStore, log: EventLog, tenant: str) -> TenantStatus:
    """The views' side first, then the log's: a lag read this way is never negative."""
    topic = topic_for(tenant)
    with store.read(tenant) as session:
        position, parked = view_position(session), parked_count(session)
        tracked = _tracked(session, topic)
    partitions = tuple(
        PartitionStatus(tenant, topic, p, tracked.get(p, -1), log.end_offset(topic, p))
        for p in log.partitions(topic)
    )
    return TenantStatus(tenant, position, parked, partitions)


def partitions_of(store: ViewStore, log: EventLog, tenants: Sequence[str]) -> list[PartitionStatus]:
    """Every partition of every tenant (what the lag gauges show)."""
    return [p for tenant in tenants for p in tenant_status(store, log, tenant).partitions]


def runner_state(runner: ProjectorThread) -> dict[str, Any]:
    """``running``, ``retrying`` (after an infrastructure error) or ``stopped``, and why;
    ``stopped_tenants``: those whose projection an error stopped while the others go on."""
    failure = runner.failure
    state = "stopped"
    if runner.is_alive():
        state = "running" if failure is None else "retrying"
    last = runner.last_pass_at
    return {
        "state": state,
        "last_pass_at": None if last is None else datetime.fromtimestamp(last, UTC).isoformat(),
        "failure": None if failure is None else describe(failure),
        "stopped_tenants": {
            tenant: describe(error) for tenant, error in runner.stopped_tenants.items()
        },
    }


def describe(failure: BaseException) -> dict[str, Any]:
    """A failure as JSON: its class, title and detail, and where it stopped if it did."""
    found: dict[str, Any] = {"error": type(failure).__name__}
    if isinstance(failure, EntenteError):
        found.update(title=failure.title, detail=failure.detail)
    else:
        found["detail"] = str(failure)
    if isinstance(failure, ProjectionError):
        found.update(topic=failure.topic, partition=failure.partition, offset=failure.offset)
    return found


def _tracked(session: ViewSession, topic: str) -> dict[int, int]:
    table = session.tables.tracking
    rows = session.connection.execute(
        select(table.c.partition, table.c.offset).where(table.c.topic == topic)
    )
    return {int(row.partition): int(row.offset) for row in rows}
