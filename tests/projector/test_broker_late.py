"""A projector started before its broker waits for it, not ready and saying why, then projects.

It gave up after 30 s and the process exited (probe 5), where the relay waits.
The broker is put out of reach by a TCP relay in front of the real one
(``tests.tcp_cut``): the service bootstraps through it, cut at start, restored later.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.projector.app import create_app
from services.projector.bootstrap import bootstrap
from services.projector.settings import ProjectorSettings
from shared.events import wire
from shared.kafka.producer import KafkaPublisher
from shared.kafka.settings import KafkaSettings
from shared.views.tracking import tracked_offsets
from tests.tcp_cut import Cut

from .support import TENANT, TOPIC, Recording, record_some, wait_until

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(180)]


@pytest.fixture
def cut(kafka: KafkaSettings) -> Iterator[Cut]:
    host, port = kafka.bootstrap_servers.split(",")[0].rsplit(":", 1)
    relay = Cut((host, int(port)))
    relay.sever()  # the broker is out of reach when the service starts
    yield relay
    relay.close()


def test_a_projector_started_before_its_broker_waits_and_then_projects(
    kafka: KafkaSettings, cut: Cut, recording: Recording, tmp_path: Path
) -> None:
    record_some(recording)
    messages = [wire.encode(r.event, "0" * 64) for r in recording.records()]
    publisher = KafkaPublisher(kafka)
    try:
        publisher.publish(TOPIC, messages)
    finally:
        publisher.close()
    late = kafka.model_copy(update={"bootstrap_servers": f"127.0.0.1:{cut.port}"})
    settings = ProjectorSettings(
        data_dir=tmp_path, tenants=[TENANT], event_log="kafka", auth="dev", poll_interval=0.01
    )
    service = bootstrap(settings, kafka=late)

    def projected() -> int:
        with service.views.read(TENANT) as session:
            return sum(offset + 1 for offset in tracked_offsets(session).values())

    with TestClient(create_app(service)) as client:  # the lifespan starts the projector
        waiting = client.get("/readyz")
        assert waiting.status_code == 503
        assert "has not reached its log yet" in waiting.json()["detail"]
        assert wait_until(lambda: service.runner.failure is not None, timeout=30)
        assert "broker" in client.get("/readyz").json()["detail"].lower()
        assert client.get("/healthz").status_code == 200  # alive: nothing restarts it
        assert projected() == 0

        cut.restore()

        assert wait_until(lambda: projected() == len(messages), timeout=60)
        assert client.get("/readyz").status_code == 200
