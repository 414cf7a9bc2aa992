"""The projector service over HTTP: lag and counters on /metrics, /status for admins only,
/readyz failing once a version gap stopped a tenant's views (the others go on).

The service is wired by its real composition root (SQLite views, the dev
issuer) with the log given by the test: the embedded log of a real ledger, or
a hand-made one holding a gap.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from services.projector.app import create_app
from services.projector.bootstrap import ProjectorService, bootstrap
from services.projector.settings import ProjectorSettings
from services.projector.sources import Sources
from shared.log.ports import EventLog, LogRecord, topic_for
from shared.views.dead_letters import ViewStoreDeadLetters
from tests.api.test_route_policies import routes_without_policy

from .support import TENANT, TOPIC, Item, PoisonLog, Recording, garbage, record_some, wait_until

LABELS = {"tenant": TENANT, "topic": TOPIC, "partition": "0"}


def service_over(
    log: EventLog, data_dir: Path, tenants: list[str] | None = None
) -> ProjectorService:
    settings = ProjectorSettings(
        data_dir=data_dir, tenants=tenants or [TENANT], auth="dev", poll_interval=0.01
    )
    return bootstrap(settings, sources=Sources(log, log, ViewStoreDeadLetters()))


@pytest.fixture
def service(recording: Recording, tmp_path: Path) -> Iterator[ProjectorService]:
    service = service_over(recording.log, tmp_path)
    yield service
    service.views.dispose()


@pytest.fixture
def client(service: ProjectorService) -> TestClient:
    """No lifespan: the projector thread is not started, tests drive it themselves."""
    return TestClient(create_app(service))


def sample(client: TestClient, name: str, **labels: str) -> float | None:
    """The value of one series on /metrics, or None when it is absent."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    for family in text_string_to_metric_families(response.text):
        for found in family.samples:
            if found.name == name and found.labels == labels:
                return found.value
    return None


def as_user(client: TestClient, service: ProjectorService, user: str) -> httpx.Response:
    assert service.issuer is not None
    token = service.issuer.token(user)
    response: httpx.Response = client.get("/status", headers={"Authorization": f"Bearer {token}"})
    return response


def test_lag_on_metrics_is_the_end_offset_minus_the_tracked_one(
    client: TestClient, service: ProjectorService, recording: Recording
) -> None:
    record_some(recording, records=2, amendments=1)
    end = recording.log.end_offset(TOPIC, 0)

    assert sample(client, "entente_projector_end_offset", **LABELS) == end
    assert sample(client, "entente_projector_tracked_offset", **LABELS) == -1
    assert sample(client, "entente_projector_lag", **LABELS) == end + 1

    service.runner.projector.catch_up()
    assert sample(client, "entente_projector_lag", **LABELS) == 0
    assert sample(client, "entente_projector_tracked_offset", **LABELS) == end
    assert sample(client, "entente_projector_events_applied_total", **LABELS) == 4

    record_some(recording, records=1, amendments=0)
    later = recording.log.end_offset(TOPIC, 0)
    assert later > end
    assert sample(client, "entente_projector_lag", **LABELS) == later - end
    assert sample(client, "entente_projector_status_up") == 1


def test_parked_messages_are_counted_by_kind(tmp_path: Path, scenario: Recording) -> None:
    records = scenario.records()
    items: list[Item] = [*records[:3], garbage(records[2].offset + 1)]
    service = service_over(PoisonLog(items), tmp_path)
    client = TestClient(create_app(service))

    service.runner.projector.catch_up()

    parked = sample(client, "entente_projector_messages_parked_total", **LABELS, kind="undecodable")
    assert parked == 1
    assert as_user(client, service, "admin").json()["tenants"][TENANT]["parked"] == 1
    service.views.dispose()


def test_status_is_for_platform_admins_only(client: TestClient, service: ProjectorService) -> None:
    anonymous = client.get("/status")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"
    for user in ("police-reader", "police-recorder", "auditor", "reporting"):
        assert as_user(client, service, user).status_code == 403, user
    assert as_user(client, service, "admin").status_code == 200


def test_status_shows_positions_offsets_lag_and_parked_count(
    client: TestClient, service: ProjectorService, recording: Recording
) -> None:
    record_some(recording, records=2, amendments=0)
    service.runner.projector.catch_up()
    record_some(recording, records=1, amendments=0)
    end = recording.log.end_offset(TOPIC, 0)

    status = as_user(client, service, "admin").json()

    police = status["tenants"][TENANT]
    assert police["position"]["position"] == recording.records()[1].event.position
    ((partition,),) = [police["partitions"]]
    tracked = recording.records()[1].offset
    assert partition == {
        "topic": TOPIC,
        "partition": 0,
        "tracked_offset": tracked,
        "end_offset": end,
        "lag": end - tracked,
    }
    assert (police["parked"], police["lag"]) == (0, end - tracked)
    assert (status["state"], status["failure"]) == ("stopped", None)  # thread not started


def test_a_running_projector_is_ready(service: ProjectorService, recording: Recording) -> None:
    record_some(recording, records=2, amendments=1)
    with TestClient(create_app(service)) as client:  # the lifespan starts the thread
        assert wait_until(lambda: sample(client, "entente_projector_lag", **LABELS) == 0)
        assert client.get("/readyz").status_code == 200
        assert client.get("/healthz").json() == {"status": "ok"}
        assert sample(client, "entente_projector_last_pass_timestamp_seconds") is not None
        assert as_user(client, service, "admin").json()["state"] == "running"


def test_a_version_gap_stops_that_tenant_s_views_only_and_fails_readiness(
    tmp_path: Path, scenario: Recording
) -> None:
    """One projector serves every tenant: a gap in police's topic stopped gendarmerie's
    views too. Police's partition stops before the gap; gendarmerie's is projected."""
    records = [replace(r, offset=i) for i, r in enumerate(scenario.records())]
    lost = next(i for i, r in enumerate(records) if r.event.version == 2)
    other = [_of(OTHER, r) for r in records]
    log = ByTopic(
        {
            TOPIC: PoisonLog([*records[:lost], *records[lost + 1 :]]),
            topic_for(OTHER): PoisonLog(other),
        }
    )
    service = service_over(log, tmp_path, [TENANT, OTHER])

    with TestClient(create_app(service)) as client:
        assert wait_until(lambda: service.runner.stopped_by_error)
        assert wait_until(lambda: sample(client, "entente_projector_lag", **OTHER_LABELS) == 0)
        ready = client.get("/readyz")
        status = as_user(client, service, "admin").json()
        stopped = sample(client, "entente_projector_stopped")
        police_stopped = sample(client, "entente_projector_tenant_stopped", tenant=TENANT)
        other_stopped = sample(client, "entente_projector_tenant_stopped", tenant=OTHER)
        assert service.runner.is_alive()  # still projecting the other tenant

    assert ready.status_code == 503
    detail = ready.json()["detail"]
    assert detail.startswith("the projector stopped for police: ")
    assert "the next event is version" in detail
    assert detail.endswith("(the other tenants go on)")
    assert status["state"] == "running"
    assert status["failure"] is None
    assert list(status["stopped_tenants"]) == [TENANT]
    assert status["stopped_tenants"][TENANT]["error"] == "AggregateVersionGapError"
    assert status["stopped_tenants"][TENANT]["offset"] > records[lost].offset
    assert status["tenants"][TENANT]["partitions"][0]["tracked_offset"] < records[lost].offset
    assert status["tenants"][OTHER]["partitions"][0]["tracked_offset"] == other[-1].offset
    assert status["tenants"][OTHER]["position"]["position"] == other[-1].event.position
    assert (stopped, police_stopped, other_stopped) == (1, 1, None)


OTHER = "gendarmerie"
OTHER_LABELS = {"tenant": OTHER, "topic": topic_for(OTHER), "partition": "0"}


def _of(tenant: str, record: LogRecord) -> LogRecord:
    """``record`` as if ``tenant`` had recorded it."""
    event = replace(record.event, tenant=tenant)
    return replace(record, topic=topic_for(tenant), event=event)


class ByTopic:
    """A log made of one log per topic (each tenant's, hand-made)."""

    def __init__(self, logs: dict[str, EventLog]) -> None:
        self.logs = logs

    def topics(self) -> list[str]:
        return list(self.logs)

    def partitions(self, topic: str) -> list[int]:
        return self.logs[topic].partitions(topic)

    def read(self, topic: str, partition: int, after: int, limit: int) -> list[LogRecord]:
        return self.logs[topic].read(topic, partition, after, limit)

    def end_offset(self, topic: str, partition: int) -> int:
        return self.logs[topic].end_offset(topic, partition)


def test_every_route_declares_its_policy(service: ProjectorService) -> None:
    assert routes_without_policy(create_app(service)) == []
