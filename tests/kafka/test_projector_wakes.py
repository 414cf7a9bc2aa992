"""A caught-up projector on Kafka waits on the broker, so new events reach the views at once."""

from __future__ import annotations

import time
from pathlib import Path

from shared.application.ledger import CooperationLedger
from shared.application.stores import PostgresStore
from shared.kafka.log import KafkaEventLog
from shared.kafka.producer import KafkaPublisher
from shared.kafka.topics import KafkaTopicAdmin
from shared.relay.state import relay_state_store
from shared.views.projector import Projector
from shared.views.runner import ProjectorThread
from shared.views.sqlite import SqliteViewStore
from shared.views.waiting import current_position
from tests.kafka.conftest import sign
from tests.kafka.test_relay import relay_of


def test_new_events_reach_the_views_well_within_the_poll_interval(
    ledger: CooperationLedger,
    pg_store: PostgresStore,
    publisher: KafkaPublisher,
    event_log: KafkaEventLog,
    topic_admin: KafkaTopicAdmin,
    tenant: str,
    tmp_path: Path,
) -> None:
    topic_admin.ensure_tenant_topics(tenant)
    views = SqliteViewStore(tmp_path / "views", [tenant])
    state = relay_state_store(pg_store, tenant)
    relay = relay_of(ledger, publisher, state)
    sign(ledger, "A-1")
    relay.catch_up()
    runner = ProjectorThread(Projector(views, event_log, [tenant]), poll_interval=60)
    runner.start()
    try:
        deadline = time.monotonic() + 20
        while runner.last_pass_at is None or current_position(views, tenant).position == 0:
            assert time.monotonic() < deadline, "the first pass did not project A-1"
            time.sleep(0.05)
        time.sleep(0.3)  # caught up: the runner now waits (60 s at most between looks)

        sign(ledger, "A-2")
        relay.catch_up()
        expected = ledger.last_event_position()  # A-2's reference claim follows it
        published = time.monotonic()
        while current_position(views, tenant).position < expected:
            assert time.monotonic() - published < 10, "the projector slept instead of waiting"
            time.sleep(0.02)
    finally:
        runner.stop()
        views.dispose()
        state.close()
    assert runner.failure is None
    assert not runner.is_alive()  # stop() was seen while waiting on the broker
