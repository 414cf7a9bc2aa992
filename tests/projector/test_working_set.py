"""The held rows of a write transaction behave like the statements they replace.

Handlers write through ``session.rows`` and the rows reach the database at the
end of the batch; what the row-by-row statements refused must still be refused
(at the flush, rolling the batch back), and what they did nothing about must
still change nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import psycopg
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import (
    ArgumentError,
    CompileError,
    IntegrityError,
    NoResultFound,
    OperationalError,
)

from shared.views import working
from shared.views.postgres import PostgresViewStore
from shared.views.sqlite import SqliteViewStore
from shared.views.store import ViewStore
from shared.views.working import CHUNK
from tests.projector.support import post_row

TENANT = "police"
NOW = datetime(2014, 6, 1, 12, tzinfo=UTC)


BACKENDS = [pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ViewStore]:
    """SQLite (writes through SQLAlchemy Core) and PostgreSQL (COPY and raw psycopg)."""
    views: ViewStore
    if request.param == "sqlite":
        views = SqliteViewStore(tmp_path / "views", [TENANT])
    else:
        url: str = request.getfixturevalue("postgres_url")
        views = PostgresViewStore(url, [TENANT], schema_prefix=f"t{uuid4().hex[:10]}_")
    views.setup()
    yield views
    if isinstance(views, PostgresViewStore):
        views.drop(TENANT)
    views.dispose()


def _posts(store: ViewStore) -> list[dict[str, Any]]:
    with store.read(TENANT) as session:
        rows = session.connection.execute(select(session.tables.posts)).mappings()
        return [dict(row) for row in rows]


def test_rows_reach_the_database_at_the_end_of_the_transaction(store: ViewStore) -> None:
    with store.write(TENANT) as session:
        posts = session.tables.posts
        session.rows.insert(posts, post_row("p1"))
        session.rows.update(posts, "p1", {"version": 2, "status": "closed"})
        assert session.rows.current(posts, "p1")["status"] == "closed"
        assert session.connection.execute(select(posts)).first() is None  # still held

    [row] = _posts(store)
    assert (row["version"], row["status"], row["closed_on"]) == (2, "closed", None)


def test_a_second_insert_of_one_id_fails_at_the_flush_and_writes_nothing(
    store: ViewStore,
) -> None:
    def insert_twice() -> None:
        with store.write(TENANT) as session:
            session.rows.insert(session.tables.posts, post_row("p1"))
            session.rows.insert(session.tables.posts, {**post_row("p1"), "name": "Consulat"})

    with pytest.raises(IntegrityError):
        insert_twice()

    assert _posts(store) == []


def test_an_update_without_a_row_changes_nothing(store: ViewStore) -> None:
    with store.write(TENANT) as session:
        session.rows.update(session.tables.posts, "nobody", {"status": "closed"})
        assert session.rows.record(session.tables.posts, "nobody") is None
        with pytest.raises(NoResultFound):
            session.rows.current(session.tables.posts, "nobody")

    assert _posts(store) == []


def test_unknown_columns_and_sql_expressions_are_refused(store: ViewStore) -> None:
    with store.write(TENANT) as session:
        posts = session.tables.posts
        with pytest.raises(CompileError):
            session.rows.insert(posts, {**post_row("p1"), "colour": "blue"})
        session.rows.insert(posts, post_row("p1"))
        with pytest.raises(ArgumentError):
            session.rows.update(posts, "p1", {"version": posts.c.version + 1})


def test_child_rows_are_replaced_as_a_whole(store: ViewStore) -> None:
    with store.write(TENANT) as session:
        coverage = session.tables.post_coverage
        session.rows.children(coverage, "p1").append(
            {"post_id": "p1", "country": "VN", "valid_from": NOW.date(), "valid_until": None}
        )
    with store.write(TENANT) as session:
        periods = session.rows.children(session.tables.post_coverage, "p1")
        assert [p["country"] for p in periods] == ["VN"]
        periods.clear()
    with store.read(TENANT) as session:
        assert session.connection.execute(select(session.tables.post_coverage)).first() is None


def test_a_created_owners_rows_are_added_without_a_delete_and_others_replaced(
    store: ViewStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    deleted: list[str] = []
    for writer in (working._Writer, working._PostgresWriter):
        original = writer.delete_owned

        def spy(self: Any, table: Any, owners: list[str], original: Any = original) -> None:
            deleted.extend(owners)
            original(self, table, owners)

        monkeypatch.setattr(writer, "delete_owned", spy)
    with store.write(TENANT) as session:
        countries = session.tables.agreement_countries
        session.rows.add_children(countries, "a1", [{"agreement_id": "a1", "country": "VN"}])
    with store.write(TENANT) as session:
        session.rows.replace_children(
            session.tables.agreement_countries, "a1", [{"agreement_id": "a1", "country": "KH"}]
        )
        session.rows.add_children(
            session.tables.agreement_countries, "a2", [{"agreement_id": "a2", "country": "LA"}]
        )
    assert deleted == ["a1"]  # the owner created in its transaction: no statement at all
    with store.read(TENANT) as session:
        table = session.tables.agreement_countries
        rows = session.connection.execute(select(table.c.agreement_id, table.c.country))
        assert sorted(map(tuple, rows)) == [("a1", "KH"), ("a2", "LA")]


def test_a_missing_required_value_fails_at_the_flush_and_writes_nothing(store: ViewStore) -> None:
    def insert_without_a_name() -> None:
        with store.write(TENANT) as session:
            session.rows.insert(session.tables.posts, post_row("p1"))
            session.rows.insert(session.tables.posts, {**post_row("p2"), "name": None})

    with pytest.raises(IntegrityError):
        insert_without_a_name()

    assert _posts(store) == []


def test_held_values_are_stored_as_the_column_types_store_them(store: ViewStore) -> None:
    paris = datetime(2014, 6, 1, 14, tzinfo=UTC).astimezone()  # any offset: stored as UTC
    with store.write(TENANT) as session:
        session.rows.insert(session.tables.posts, {**post_row("p1"), "recorded_at": paris})
        session.rows.insert(session.tables.posts, {**post_row("p2"), "covered_countries": None})
    with store.write(TENANT) as session:
        session.rows.update(session.tables.posts, "p1", {"covered_countries": ["VN", "LA"]})

    first, second = sorted(_posts(store), key=lambda row: row["id"])
    assert first["recorded_at"] == paris
    assert first["recorded_at"].tzinfo == UTC
    assert first["covered_countries"] == ["VN", "LA"]
    assert second["covered_countries"] is None  # JSON null, as SQLAlchemy stores None


@pytest.mark.postgres
def test_replacing_children_reads_only_their_owners_rows_however_the_table_grew(
    postgres_url: str,
) -> None:
    """A rebuild writes batch after batch into tables that were empty when its
    statements were first planned; replacing an owner's children must stay an
    index look-up (a plan made for the empty table once scanned every row for
    every owner: seconds per batch after a few hundred thousand rows)."""
    views = PostgresViewStore(
        postgres_url, [TENANT], schema_prefix=f"t{uuid4().hex[:10]}_", pool_size=1
    )  # one connection, so its prepared statements and their plans last across batches
    views.setup()
    try:
        owners = [[str(uuid4()) for _ in range(500)] for _batch in range(20)]
        for batch in owners:
            with views.write(TENANT) as session:
                table = session.tables.agreement_countries
                for owner in batch:
                    codes = [{"agreement_id": owner, "country": c} for c in ("FR", "VN")]
                    session.rows.replace_children(table, owner, codes)
        changed = owners[0][:10]
        with views.write(TENANT) as session:
            table = session.tables.agreement_countries
            for owner in changed:
                session.rows.replace_children(
                    table, owner, [{"agreement_id": owner, "country": "DE"}]
                )
            session.rows.flush()
            scanned = session.connection.execute(
                text(
                    "SELECT seq_tup_read FROM pg_stat_xact_user_tables WHERE relid = "
                    "CAST(:table AS regclass)"
                ),
                {"table": f'"{views.schema(TENANT)}".agreement_countries'},
            ).scalar_one()
        assert scanned == 0  # 20,000 rows: not one read by a sequential scan
        with views.read(TENANT) as session:
            table = session.tables.agreement_countries
            found = session.connection.execute(
                select(table.c.country).where(table.c.agreement_id.in_(changed))
            ).scalars()
            assert sorted(found) == ["DE"] * 10
            total = session.connection.execute(select(func.count()).select_from(table))
            assert total.scalar_one() == 20 * 500 * 2 - 10
    finally:
        views.drop(TENANT)
        views.dispose()


@pytest.mark.postgres
def test_look_ups_by_id_are_planned_with_their_ids_batch_after_batch(postgres_url: str) -> None:
    """A batch's look-up of its records has the same text every batch; prepared
    (psycopg prepares a statement run five times), PostgreSQL kept the plan it
    made for the table when it was small, and read every row of it later."""
    views = PostgresViewStore(
        postgres_url, [TENANT], schema_prefix=f"t{uuid4().hex[:10]}_", pool_size=1
    )  # one connection: the prepared statements below are this session's
    views.setup()
    try:
        ids = [f"p{n}" for n in range(CHUNK)]
        for _batch in range(8):
            with views.write(TENANT) as session:
                session.rows.load(session.tables.posts, ids)
            with views.write(TENANT) as session:
                session.rows.update(session.tables.posts, "p1", {"status": "closed"})
                prepared = session.connection.execute(
                    text("SELECT statement FROM pg_prepared_statements")
                ).scalars()
                look_ups = [s for s in prepared if "posts" in s and "IN (" in s]
        assert look_ups == []
        with views.write(TENANT) as session:  # and the setting is the connection's again
            driver: Any = session.connection.connection.driver_connection
            assert driver.prepare_threshold == 5
    finally:
        views.drop(TENANT)
        views.dispose()


@pytest.mark.postgres
def test_a_connection_lost_at_the_flush_fails_the_batch_and_the_next_gets_a_new_one(
    postgres_url: str,
) -> None:
    """The held rows are written with psycopg directly; a lost connection must still
    surface as SQLAlchemy's OperationalError and leave the pool a working connection."""
    views = PostgresViewStore(
        postgres_url, [TENANT], schema_prefix=f"t{uuid4().hex[:10]}_", pool_size=1
    )  # one connection: the next batch would get the dead one back if it were kept
    views.setup()

    def lost_before_the_flush() -> None:
        with views.write(TENANT) as session:
            pid = session.connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
            session.rows.insert(session.tables.posts, post_row("p1"))
            with psycopg.connect(postgres_url, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))

    try:
        with pytest.raises(OperationalError) as lost:
            lost_before_the_flush()
        assert lost.value.connection_invalidated
        with views.write(TENANT) as session:
            session.rows.insert(session.tables.posts, post_row("p2"))
        assert [post["id"] for post in _posts(views)] == ["p2"]
    finally:
        views.drop(TENANT)
        views.dispose()
