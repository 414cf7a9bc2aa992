"""Held inserts behave like the statements they replace: seen by the next statement,
refused by the database the same way, and gone with a transaction that fails."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from shared.reporting.deferred import deferring_inserts
from shared.reporting.handlers.common import insert_rows
from shared.reporting.store import ReportingSession, ReportingStore


def _codes(owner: str, *codes: str) -> list[dict[str, Any]]:
    return [{"tenant": "police", "mission_id": owner, "theme": code} for code in codes]


def _count(session: ReportingSession) -> int:
    table = session.tables.mission_themes
    return int(session.connection.execute(select(func.count()).select_from(table)).scalar_one())


def test_held_rows_are_sent_before_the_next_statement_and_at_the_end(
    store: ReportingStore,
) -> None:
    with store.write() as written, deferring_inserts(written) as session:
        insert_rows(session, session.tables.mission_themes, _codes("m1", "cybercrime"))
        assert session.inserts is not None
        insert_rows(session, session.tables.mission_themes, _codes("m2", "narcotics", "terrorism"))
        assert _count(session) == 3  # the read sent them first
        insert_rows(session, session.tables.mission_themes, _codes("m3", "narcotics"))
    with store.read() as session:
        assert _count(session) == 4


def test_a_row_the_database_refuses_fails_the_transaction_with_nothing_written(
    store: ReportingStore,
) -> None:
    def twice() -> None:
        with store.write() as written, deferring_inserts(written) as session:
            insert_rows(session, session.tables.mission_themes, _codes("m1", "cybercrime"))
            insert_rows(session, session.tables.mission_themes, _codes("m1", "cybercrime"))

    with pytest.raises(IntegrityError):
        twice()
    with store.read() as session:
        assert _count(session) == 0


def test_rows_held_when_the_block_fails_are_dropped_with_the_transaction(
    store: ReportingStore,
) -> None:
    def failing() -> None:
        with store.write() as written, deferring_inserts(written) as session:
            insert_rows(session, session.tables.mission_themes, _codes("m1", "cybercrime"))
            raise RuntimeError("a handler failed")

    with pytest.raises(RuntimeError):
        failing()
    with store.write() as session:  # and a later write sends nothing left over
        insert_rows(session, session.tables.mission_themes, _codes("m2", "narcotics"))
    with store.read() as session:
        assert _count(session) == 1
