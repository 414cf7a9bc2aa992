"""A batch's look-up of its records' versions is planned with its ids, batch after batch.

It has the same text every batch; psycopg prepares a statement it has run five
times, and PostgreSQL then kept the plan it made for the small table: at
30,000 agreements one look-up read every row, 0.4 s a batch, and the
projector slowed from 8,500 to under 1,000 events a second as it grew.
"""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any, cast

import pytest
from sqlalchemy import text

from shared.log.ports import LogRecord
from shared.reporting.apply import stored_versions
from shared.reporting.postgres import PostgresReportingStore
from shared.views.working import CHUNK


def _records(ids: list[str]) -> list[LogRecord]:
    """What the look-up reads of a record: its event's aggregate type and id."""
    events = [SimpleNamespace(aggregate_type="agreement", aggregate_id=id_) for id_ in ids]
    return [cast(LogRecord, SimpleNamespace(event=event)) for event in events]


@pytest.mark.postgres
def test_the_versions_look_up_is_never_prepared(postgres_url: str) -> None:
    store = PostgresReportingStore(
        postgres_url, f"t{uuid.uuid4().hex[:10]}_entente_reporting", pool_size=1
    )  # one connection: the prepared statements below are this session's
    store.setup()
    try:
        records = _records([str(uuid.uuid4()) for _ in range(CHUNK)])
        for _batch in range(8):
            with store.write() as session:
                versions = stored_versions(session, "police", records)
        assert set(versions.values()) == {0}
        assert len(versions) == CHUNK
        with store.write() as session:
            prepared = session.connection.execute(
                text("SELECT statement FROM pg_prepared_statements")
            ).scalars()
            look_ups = [s for s in prepared if "agreements.version" in s]
            driver: Any = session.connection.connection.driver_connection
            assert driver.prepare_threshold == 5  # the setting is the connection's again
        assert look_ups == []
    finally:
        store.drop()
        store.dispose()
