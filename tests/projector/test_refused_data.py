"""A value the views' database refuses stops the projector, with the database's reason.

PostgreSQL text cannot hold U+0000. Commands refuse it, but an event stored before
that rule, or by another producer, can carry it: the projector retried that batch
for ever, looking merely busy (running, no error) while the views fell behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from shared.views.errors import RefusedDataError
from shared.views.projector import Projector
from shared.views.runner import ProjectorThread
from shared.views.store import ViewStore
from shared.views.tracking import tracked_offset

from .support import TENANT, TOPIC, PoisonLog, Recording, clock, open_store, spaced, wait_until


@pytest.fixture
def postgres_views(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ViewStore]:
    yield from open_store(request, "postgres", tmp_path)


def test_a_value_postgresql_refuses_stops_the_projector_before_its_batch(
    postgres_views: ViewStore, scenario: Recording
) -> None:
    records = spaced(scenario)
    signed = records[1]  # the second agreement's signing, at offset 2
    nul = replace(signed.event, data={**signed.event.data, "title": "Accord \x00 B"})
    log = PoisonLog([records[0], replace(signed, event=nul), *records[2:]])

    with pytest.raises(RefusedDataError) as stopped:
        Projector(postgres_views, log, [TENANT], clock=clock, page_size=1).catch_up()

    assert "the database refused a value of the batch after offset 0" in stopped.value.detail
    assert "NUL" in stopped.value.detail  # the database's own reason
    assert (stopped.value.topic, stopped.value.partition) == (TOPIC, 0)
    with postgres_views.read(TENANT) as session:
        assert tracked_offset(session, TOPIC, 0) == 0  # the first batch, not the refused one
    runner = ProjectorThread(Projector(postgres_views, log, [TENANT], clock=clock))
    runner.start()
    assert wait_until(lambda: not runner.is_alive())  # stopped, not retrying for ever
    assert runner.stopped_by_error
    assert isinstance(runner.failure, RefusedDataError)
