"""The one-round-trip insert on PostgreSQL: order, atomicity, the table lock, concurrent set-up."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from uuid import UUID, uuid4

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent
from psycopg import sql

from shared.application.ledger import CooperationLedger
from shared.application.recorder import LockingInsertRecorder
from shared.application.stores import PostgresStore, schema_for

TOPIC = "shared.domain.mission:Mission.Requested"


def _ledger(postgres_url: str, unique: str) -> CooperationLedger:
    return CooperationLedger("police", PostgresStore(postgres_url, schema_prefix=f"r{unique}_"))


def _event(originator: UUID, version: int, state: bytes = b"{}") -> StoredEvent:
    return StoredEvent(
        originator_id=originator, originator_version=version, topic=TOPIC, state=state
    )


def _rows(postgres_url: str, ledger: CooperationLedger) -> list[tuple[object, int, int]]:
    recorder = ledger.recorder
    assert isinstance(recorder, LockingInsertRecorder)
    table = sql.SQL("{}.{}").format(
        sql.Identifier(recorder.datastore.schema), sql.Identifier(recorder.events_table_name)
    )
    with psycopg.connect(postgres_url) as connection:
        return connection.execute(
            sql.SQL(
                "SELECT originator_id, originator_version, notification_id FROM {}"
                " ORDER BY notification_id"
            ).format(table)
        ).fetchall()


def test_a_postgres_ledger_inserts_through_the_locking_recorder(
    postgres_url: str, unique: str
) -> None:
    assert isinstance(_ledger(postgres_url, unique).recorder, LockingInsertRecorder)


def test_events_get_consecutive_ids_in_the_order_given(postgres_url: str, unique: str) -> None:
    ledger = _ledger(postgres_url, unique)
    a, b = uuid4(), uuid4()
    first = ledger.recorder.insert_events([_event(a, 1), _event(b, 1), _event(a, 2)])
    second = ledger.recorder.insert_events([_event(b, 2)])
    assert first is not None
    assert second is not None
    assert list(first) == [first[0], first[0] + 1, first[0] + 2]
    assert second == [first[2] + 1]
    assert [(r[0], r[1]) for r in _rows(postgres_url, ledger)] == [(a, 1), (b, 1), (a, 2), (b, 2)]
    assert ledger.recorder.insert_events([]) == []


def test_a_duplicate_version_is_an_integrity_error_and_writes_nothing(
    postgres_url: str, unique: str
) -> None:
    ledger = _ledger(postgres_url, unique)
    a, b = uuid4(), uuid4()
    ledger.recorder.insert_events([_event(a, 1)])
    with pytest.raises(IntegrityError):
        ledger.recorder.insert_events([_event(b, 1), _event(a, 1)])
    assert [(r[0], r[1]) for r in _rows(postgres_url, ledger)] == [(a, 1)]  # b not written


def test_an_insert_waits_for_the_table_lock(postgres_url: str, unique: str) -> None:
    """The order guarantee: a writer holding the EXCLUSIVE lock keeps the insert out."""
    ledger = _ledger(postgres_url, unique)
    ledger.recorder.insert_events([_event(uuid4(), 1)])  # the table exists
    recorder = ledger.recorder
    assert isinstance(recorder, LockingInsertRecorder)
    done = threading.Event()
    with psycopg.connect(postgres_url) as holder:
        holder.execute(
            sql.SQL("LOCK TABLE {}.{} IN EXCLUSIVE MODE").format(
                sql.Identifier(recorder.datastore.schema),
                sql.Identifier(recorder.events_table_name),
            )
        )

        def insert() -> None:
            recorder.insert_events([_event(uuid4(), 1)])
            done.set()

        worker = threading.Thread(target=insert)
        worker.start()
        time.sleep(0.5)
        assert not done.is_set(), "the insert did not wait for the table lock"
        holder.rollback()  # releases the lock
    assert done.wait(10)
    worker.join()
    assert len(_rows(postgres_url, ledger)) == 2


def test_services_starting_together_create_the_function_without_error(
    postgres_url: str, unique: str
) -> None:
    schema = f"c{unique}_" + schema_for("police")
    store = PostgresStore(postgres_url, schema_prefix=f"c{unique}_")
    with ThreadPoolExecutor(4) as pool:
        ledgers = list(pool.map(lambda _: CooperationLedger("police", store), range(4)))
    ids = ledgers[0].recorder.insert_events([_event(uuid4(), 1)])
    assert ids is not None
    assert len(ids) == 1
    recorder = ledgers[0].recorder
    assert isinstance(recorder, LockingInsertRecorder)
    assert recorder.datastore.schema == schema
