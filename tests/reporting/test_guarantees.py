"""The consolidated projection's guarantees, on both backends.

The tenant views' discipline holds here too: a republished event changes
nothing, a topic split over partitions gives the same figures, a batch that
fails half-way leaves neither rows nor offsets, a missing or unknown event
(or one of another tenant) stops the projection where it is, and events
reporting does not use are read and passed knowingly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from shared.domain.delegation import DelegationVisit
from shared.domain.vocabulary import Classification
from shared.events.envelope import EventEnvelope
from shared.log.ports import LogRecord, topic_for
from shared.reporting import queries
from shared.reporting.handlers import HANDLERS
from shared.reporting.projector import ReportingProjector
from shared.reporting.sqlite import SqliteReportingStore
from shared.reporting.store import ReportingStore
from shared.views.errors import (
    AggregateVersionGapError,
    TenantMismatchError,
    UnknownEventTypeError,
)
from shared.views.handlers.common import event_type
from shared.views.tracking import tracked_offset
from tests.reporting.support import CRISIS, TENANTS, World, record_scenario

Filters = queries.Filters


class ListLog:
    """An ``EventLog`` over given records: republished, reordered, forged or partitioned ones."""

    def __init__(self, records: Mapping[str, Sequence[LogRecord]]) -> None:
        self.records = {topic: list(found) for topic, found in records.items()}

    def topics(self) -> list[str]:
        return sorted(self.records)

    def partitions(self, topic: str) -> list[int]:
        return sorted({r.partition for r in self.records.get(topic, [])}) or [0]

    def read(self, topic: str, partition: int, after: int, limit: int) -> list[LogRecord]:
        found = [r for r in self.records.get(topic, []) if r.partition == partition]
        return [r for r in found if r.offset > after][:limit]

    def end_offset(self, topic: str, partition: int) -> int:
        found = [r.offset for r in self.records.get(topic, []) if r.partition == partition]
        return max(found, default=-1)


def partitioned(records: Sequence[LogRecord], count: int) -> list[LogRecord]:
    """The records spread over ``count`` partitions by record, keeping each record's order.

    Kafka picks a record's partition from a hash of its key; here records take
    the partitions in turn, so even a few records fill every partition.
    """
    partitions: dict[str, int] = {}
    offsets = [0] * count
    spread = []
    for record in records:
        partition = partitions.setdefault(record.event.aggregate_id, len(partitions) % count)
        spread.append(replace(record, partition=partition, offset=offsets[partition]))
        offsets[partition] += 1
    return spread


def _records(world: World, tenant: str) -> list[LogRecord]:
    return world.log.read(topic_for(tenant), 0, -1, 10_000)


def _count(store: ReportingStore, tenant: str) -> int:
    with store.read() as session:
        m = session.tables.missions
        return int(
            session.connection.execute(
                select(func.count()).select_from(m).where(m.c.tenant == tenant)
            ).scalar_one()
        )


def test_a_republished_stretch_of_the_log_changes_nothing(
    world: World, store: ReportingStore
) -> None:
    record_scenario(world)
    police = _records(world, "police")
    again = [replace(r, offset=r.offset + 10_000) for r in police]
    ReportingProjector(store, world.log, TENANTS).catch_up()
    before = queries.figures(store, TENANTS, Filters())

    ReportingProjector(store, ListLog({topic_for("police"): police + again}), ["police"]).catch_up()

    after = queries.figures(store, TENANTS, Filters())
    assert after["cells"] == before["cells"]
    assert after["positions"] == before["positions"]  # the position only ever goes up
    with store.read() as session:
        assert tracked_offset(session, topic_for("police"), 0) == again[-1].offset


def test_topics_of_several_partitions_give_the_same_figures(
    world: World, store: ReportingStore, tmp_path: Path
) -> None:
    record_scenario(world)
    reference = SqliteReportingStore(tmp_path / "one-partition.sqlite3")
    ReportingProjector(reference, world.log, TENANTS).catch_up()
    log = ListLog({topic_for(t): partitioned(_records(world, t), 3) for t in TENANTS})

    ReportingProjector(store, log, TENANTS, page_size=2).catch_up()

    found, expected = (queries.figures(s, TENANTS, Filters()) for s in (store, reference))
    assert found["cells"] == expected["cells"]
    assert found["positions"] == expected["positions"]
    assert len(log.partitions(topic_for("police"))) == 3
    with store.read() as session:
        for partition in log.partitions(topic_for("police")):
            end = log.end_offset(topic_for("police"), partition)
            assert tracked_offset(session, topic_for("police"), partition) == end
    reference.dispose()


def test_a_batch_that_fails_half_way_leaves_neither_rows_nor_offset(
    world: World, store: ReportingStore
) -> None:
    record_scenario(world)

    def boom(session: Any, event: EventEnvelope) -> None:
        raise RuntimeError("the database went away")

    failing = {**HANDLERS, event_type("mission", "completed"): boom}
    with pytest.raises(RuntimeError):
        ReportingProjector(store, world.log, ["police"], handlers=failing).catch_up()

    assert _count(store, "police") == 0
    with store.read() as session:
        assert tracked_offset(session, topic_for("police"), 0) == -1
    ReportingProjector(store, world.log, TENANTS).catch_up()
    assert queries.figures(store, TENANTS, Filters(), [])["totals"]["actions"] == 4


def test_a_missing_event_stops_the_projection_before_it(
    world: World, store: ReportingStore
) -> None:
    world.mission("police", "m1", until="launched")
    records = _records(world, "police")
    gap = [r for r in records if r.event.event_name != "validated"]

    with pytest.raises(AggregateVersionGapError):
        ReportingProjector(store, ListLog({topic_for("police"): gap}), ["police"]).catch_up()

    with store.read() as session:
        assert tracked_offset(session, topic_for("police"), 0) == -1


def test_an_unknown_event_type_or_a_foreign_tenant_stops_it(
    world: World, store: ReportingStore
) -> None:
    world.mission("police", "m1", until="requested")
    (record,) = _records(world, "police")
    newer = replace(record, event=replace(record.event, type=record.event.type[:-3] + ".v9"))
    foreign = replace(record, event=replace(record.event, tenant="gendarmerie"))

    with pytest.raises(UnknownEventTypeError):
        ReportingProjector(store, ListLog({topic_for("police"): [newer]}), ["police"]).catch_up()
    with pytest.raises(TenantMismatchError):
        ReportingProjector(store, ListLog({topic_for("police"): [foreign]}), ["police"]).catch_up()


def test_delegations_are_read_and_knowingly_left_out(world: World, store: ReportingStore) -> None:
    ctx = world.context("civil-protection")
    world.create(
        "civil-protection",
        "d1",
        lambda id_: DelegationVisit.plan(
            ctx,
            id=id_,
            country="VN",
            organisation=None,
            head_of_delegation="Général A",
            size=5,
            start_date=date(2025, 9, 1),
            end_date=date(2025, 9, 3),
            host_site="Aix-en-Provence",
            topics=[CRISIS],
            classification=Classification.INTERNAL,
        ),
    )

    assert ReportingProjector(store, world.log, TENANTS).catch_up() == 1
    assert queries.figures(store, TENANTS, Filters())["positions"]["civil-protection"] > 0
