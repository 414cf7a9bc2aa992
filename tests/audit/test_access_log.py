"""The access log: append-only in SQLite and in PostgreSQL, filtered and paged for auditors."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from shared.access_log import AccessLog
from shared.auth.roles import AUDITOR, REPORTING_READER, Principal
from shared.errors import ValidationError

AUDITOR_ALICE = Principal("sub-alice", "Alice Auditrice", frozenset({AUDITOR}))
REPORTER_BOB = Principal("sub-bob", "Bob Rapporteur", frozenset({REPORTING_READER}))
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class Ticking:
    """A clock that moves one minute per reading."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


@pytest.fixture(params=["sqlite", "postgres"])
def access(request: pytest.FixtureRequest, tmp_path: Path, unique: str) -> Iterator[AccessLog]:
    if request.param == "sqlite":
        log = AccessLog.open(None, tmp_path, clock=Ticking())
        yield log
        log.dispose()
        return
    url: str = request.getfixturevalue("postgres_url")
    log = AccessLog.open(url, tmp_path, schema=f"t{unique}_access", clock=Ticking())
    yield log
    log.dispose()
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(f"t{unique}_access"))
        )


def _fill(access: AccessLog) -> None:
    access.record(AUDITOR_ALICE, "audit.history", "/api/audit/police/records/a/history", "police")
    access.record(REPORTER_BOB, "reporting.overlaps", "/api/reporting/overlaps", None)
    access.record(AUDITOR_ALICE, "audit.as-of-business", "/api/audit/gendarmerie/…", "gendarmerie")
    access.record(AUDITOR_ALICE, "audit.access-log", "/api/audit/access-log", None)


def test_entries_come_back_oldest_first_with_who_what_and_when(access: AccessLog) -> None:
    _fill(access)

    entries = access.entries()

    assert [(e.id, e.subject, e.action, e.tenant) for e in entries] == [
        (1, "sub-alice", "audit.history", "police"),
        (2, "sub-bob", "reporting.overlaps", None),
        (3, "sub-alice", "audit.as-of-business", "gendarmerie"),
        (4, "sub-alice", "audit.access-log", None),
    ]
    assert entries[0].name == "Alice Auditrice"
    assert entries[0].resource == "/api/audit/police/records/a/history"
    assert [e.at for e in entries] == [START + timedelta(minutes=m) for m in (1, 2, 3, 4)]


def test_filters_and_the_cursor_never_skip_or_repeat(access: AccessLog) -> None:
    _fill(access)

    assert [e.id for e in access.entries(subject="sub-bob")] == [2]
    assert [e.id for e in access.entries(tenant="police")] == [1]
    assert [e.id for e in access.entries(action="audit.")] == [1, 3, 4]
    for unknown in ("audit", "audit.bogus", "reporting.x."):  # whole names, or a prefix with "."
        with pytest.raises(ValidationError) as caught:
            access.entries(action=unknown)
        assert (caught.value.field, caught.value.rule) == ("action", "unknown-action")
    window = access.entries(since=START + timedelta(minutes=2), until=START + timedelta(minutes=3))
    assert [e.id for e in window] == [2, 3]
    first = access.entries(limit=3)
    rest = access.entries(after=first[-1].id, limit=3)
    assert [e.id for e in first + rest] == [1, 2, 3, 4]
    with pytest.raises(ValidationError):
        access.entries(limit=0)


def test_the_table_itself_refuses_updates_and_deletes(access: AccessLog, tmp_path: Path) -> None:
    _fill(access)
    table = "access_log" if access.schema is None else f'"{access.schema}".access_log'

    for statement in (f"UPDATE {table} SET subject = 'nobody'", f"DELETE FROM {table}"):
        with pytest.raises(Exception, match="append-only"):
            _execute(access, tmp_path, statement)
    if access.schema is not None:
        with pytest.raises(Exception, match="append-only"):
            _execute(access, tmp_path, f"TRUNCATE {table}")
    assert [e.subject for e in access.entries()] == [
        "sub-alice",
        "sub-bob",
        "sub-alice",
        "sub-alice",
    ]


def _execute(access: AccessLog, tmp_path: Path, statement: str) -> None:
    """Plain SQL, outside the class, as a careless script would run it."""
    if access.schema is None:
        with sqlite3.connect(tmp_path / "access-log.sqlite3") as connection:
            connection.execute(statement)
        return
    url = access.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url) as connection:
        connection.execute(statement)


def test_a_failed_record_names_no_statement_and_no_reader(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The database's message (the INSERT and its parameters) reached the 503's detail."""
    from shared.access_log import AccessLogError

    log = AccessLog.open(None, tmp_path, clock=Ticking())
    log.record(AUDITOR_ALICE, "audit.tenants", "/api/audit/tenants", None)  # made and ready
    with log.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE access_log")

    with pytest.raises(AccessLogError) as refused:
        log.record(AUDITOR_ALICE, "audit.history", "/api/audit/police/records/x/history", "police")
    log.dispose()

    assert "INSERT" not in refused.value.detail
    assert "sub-alice" not in refused.value.detail
    assert "/records/x/" not in refused.value.detail
    assert "could not record audit.history" in refused.value.detail
    assert "sub-alice" in caplog.text  # the operator's log keeps the database's message


@pytest.mark.postgres
def test_services_setting_the_schema_up_together_all_start(
    postgres_url: str, tmp_path: Path, unique: str
) -> None:
    """Five services starting at once: one or two crashed on CREATE SCHEMA's unique
    name or on the guard function replaced concurrently (probe 5)."""
    schema = f"r{unique}_access"
    logs = [AccessLog.open(postgres_url, tmp_path, schema=schema) for _ in range(6)]
    start = threading.Barrier(len(logs))
    failures: list[BaseException] = []

    def set_up(log: AccessLog) -> None:
        start.wait()
        try:
            log.setup()
        except Exception as error:  # every failure is the finding
            failures.append(error)

    try:
        for _ in range(3):  # three rounds, the schema dropped between them
            threads = [threading.Thread(target=set_up, args=(log,)) for log in logs]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert failures == []
            logs[0].record(AUDITOR_ALICE, "audit.access-log", "/api/audit/access-log", None)
            _drop(postgres_url, schema)
            for log in logs:
                log._ready = False
    finally:
        for log in logs:
            log.dispose()
        _drop(postgres_url, schema)


def _drop(url: str, schema: str) -> None:
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
        )
