"""SIGKILL the relay, and separately the projector, at 20 random points while 20,000 events flow.

Two writers record 20,000 events into the real PostgreSQL store; the relay
process publishes them to the real broker and the projector process projects
the topic into the PostgreSQL views. One of the two is SIGKILLed whenever
its progress (the relay's saved count, the views' consumed count) reaches
each of 20 seeded random points, plus a random fraction of a second, and is
started again at once. Once everything has caught up, the checker compares
store, topic and views: nothing lost, nothing applied twice, nothing out of
order per record, views equal to a clean rebuild from the store. Republished
copies (a page acknowledged but not yet saved when the relay died) may be on
the topic; readers skip them by record version, and the report counts them.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from multiprocessing.context import ForkServerContext
from pathlib import Path

import pytest

from services.projector.settings import ProjectorSettings
from shared.relay.relay import RelayOptions
from shared.settings import Settings
from tests.faults.processes import Restartable, projector_process, relay_process
from tests.faults.support import (
    EVENTS,
    KILLS,
    KillPlan,
    Tenant,
    kill_points,
    log_path,
    logs_of,
    run_plans,
    wait_for,
    writers_healthy,
    written,
)

pytestmark = [pytest.mark.faults, pytest.mark.kafka, pytest.mark.postgres]

SEED = 20140601
#: The whole flow, kills and catch-up included, must end within this many seconds.
BUDGET = 200
RELAY_OPTIONS = RelayOptions(poll_interval=0.05, max_backoff=1.0)


def relay_of(ctx: ForkServerContext, tenant: Tenant, logs: Path) -> Restartable:
    settings = Settings(store="postgres", postgres_url=tenant.postgres_url)
    args = (settings, tenant.name, tenant.kafka, RELAY_OPTIONS)
    return Restartable(ctx, "relay", relay_process, args, log_path(logs, "relay"))


def projector_of(ctx: ForkServerContext, tenant: Tenant, logs: Path) -> Restartable:
    settings = ProjectorSettings(
        tenants=[tenant.name],
        event_log="kafka",
        views_url=tenant.postgres_url,
        data_dir=logs / "projector-data",
        auth="dev",
        poll_interval=0.05,
    )
    args = (settings, tenant.kafka)
    return Restartable(ctx, "projector", projector_process, args, log_path(logs, "projector"))


@pytest.mark.timeout(BUDGET + 60)
def test_sigkill_of_relay_and_projector_at_random_points_loses_duplicates_reorders_nothing(
    tenant: Tenant, forkserver: ForkServerContext, tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    relay, projector = (
        relay_of(forkserver, tenant, tmp_path),
        projector_of(forkserver, tenant, tmp_path),
    )
    started = time.monotonic()
    deadline = started + BUDGET
    relay.start()
    projector.start()
    writers = tenant.writers(EVENTS, seed=SEED)
    watch = [relay.check_alive, projector.check_alive, writers_healthy(writers)]
    plans = [
        KillPlan(relay, tenant.on_topic, kill_points(rng), 0.2, lambda: idle(tenant.on_topic), rng),
        KillPlan(
            projector, tenant.consumed, kill_points(rng), 0.5, lambda: idle(tenant.consumed), rng
        ),
    ]

    def idle(progress: Callable[[], int]) -> bool:
        return all(not writer.is_alive() for writer in writers) and progress() >= EVENTS

    try:
        run_plans(plans, deadline, watch)
        killed_at = time.monotonic() - started
        wait_for(lambda: written(writers) == EVENTS, "the writers are done", deadline, watch)
        wait_for(lambda: tenant.published() == EVENTS, "the relay published all", deadline, watch)
        wait_for(tenant.projected_to_the_end, "the views are at the end", deadline, watch)
        caught_up = time.monotonic() - started
        relay.stop()
        projector.stop()
    except AssertionError as error:
        raise AssertionError(f"{error}\n{logs_of(relay, projector)}") from None
    finally:
        for writer in writers:
            writer.stop()
        relay.ensure_gone()
        projector.ensure_gone()

    report = tenant.check()
    checked = time.monotonic() - started
    print(*(_kills(plan) for plan in plans), sep="\n")
    print(
        f"kills done at {killed_at:.1f}s, caught up at {caught_up:.1f}s, checked at {checked:.1f}s"
    )
    print(report.summary())
    assert [relay.kills, projector.kills] == [KILLS, KILLS]
    assert report.stored == EVENTS
    assert (report.lost, report.duplicated, report.reordered) == (0, 0, 0), report.summary()
    assert report.topic is not None
    assert report.topic.altered == report.topic.unknown == report.topic.undecodable == 0
    assert report.topic.messages == EVENTS + report.republished
    assert report.views is not None
    assert report.views.equal_to_rebuild, report.summary()
    assert report.ok


def _kills(plan: KillPlan) -> str:
    points = ", ".join(f"{k.aimed_at}→{k.progress}" for k in plan.kills)
    return f"{len(plan.kills)} kills of the {plan.service.name} (aimed → seen): {points}"
