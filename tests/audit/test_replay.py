"""Replaying a tenant's log into scratch views and comparing them with the live ones.

Runs with the views on SQLite and on PostgreSQL. The live views are read, never
written: a test compares their contents before and after the replay.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from shared.application.ledger import CooperationLedger
from shared.application.stores import SqliteStore
from shared.audit.replay import replay_tenant, scratch_views
from shared.log.embedded import EmbeddedEventLog
from shared.views.postgres import PostgresViewStore
from shared.views.projector import Projector
from shared.views.rebuild import view_contents
from shared.views.store import ViewStore, open_view_store

from .support import write_history

TENANT = "police"


@pytest.fixture
def history(tmp_path: Path) -> CooperationLedger:
    ledger = CooperationLedger(TENANT, SqliteStore(tmp_path / "events"))
    write_history(ledger)
    return ledger


@pytest.fixture(params=["sqlite", "postgres"])
def views(
    request: pytest.FixtureRequest, tmp_path: Path, unique: str
) -> Iterator[tuple[ViewStore, ViewStore, str | None]]:
    """(live views, scratch views, the PostgreSQL URL or None)."""
    if request.param == "sqlite":
        live = open_view_store(None, tmp_path, [TENANT])
        scratch = scratch_views(None, tmp_path, TENANT)
        yield live, scratch, None
    else:
        url: str = request.getfixturevalue("postgres_url")
        live = PostgresViewStore(url, [TENANT], schema_prefix=f"t{unique}_")
        scratch = scratch_views(url, tmp_path, TENANT, prefix=f"t{unique}_replay_")
        yield live, scratch, url
        for store in (live, scratch):
            assert isinstance(store, PostgresViewStore)
            store.drop(TENANT)
    live.dispose()
    scratch.dispose()


def _live_sql(live: ViewStore, url: str | None, tmp_path: Path, statement: str) -> None:
    """Changes the live views behind the projector's back."""
    if url is None:
        with sqlite3.connect(tmp_path / "views" / f"{TENANT}.views.sqlite3") as connection:
            connection.execute(statement.format(schema=""))
        return
    assert isinstance(live, PostgresViewStore)
    with psycopg.connect(url) as connection:
        schema = sql.Identifier(live.schema(TENANT)).as_string(connection)
        connection.execute(statement.format(schema=schema + "."))


def _project(live: ViewStore, ledger: CooperationLedger) -> EmbeddedEventLog:
    log = EmbeddedEventLog({TENANT: ledger})
    live.setup()
    Projector(live, log, [TENANT]).catch_up()
    return log


def test_a_replay_of_untouched_views_finds_no_difference_and_leaves_them_alone(
    history: CooperationLedger, views: tuple[ViewStore, ViewStore, str | None]
) -> None:
    live, scratch, _url = views
    log = _project(live, history)
    with live.read(TENANT) as session:
        before = view_contents(session)

    report = replay_tenant(live, scratch, log, TENANT)

    assert report.ok, [d.line() for d in report.differences]
    assert (report.rows["agreements"], report.rows["agreement_countries"]) == (3, 3)
    assert report.offsets == {(f"entente.{TENANT}.events", 0): history.read_log(0, 100)[-1][0]}
    with live.read(TENANT) as session:
        assert view_contents(session) == before


def test_every_row_changed_or_removed_in_the_live_views_is_listed(
    history: CooperationLedger, views: tuple[ViewStore, ViewStore, str | None], tmp_path: Path
) -> None:
    live, scratch, url = views
    log = _project(live, history)
    _live_sql(
        live,
        url,
        tmp_path,
        "UPDATE {schema}agreements SET title = 'Réécrit' WHERE reference = 'A-1'",
    )
    _live_sql(live, url, tmp_path, "DELETE FROM {schema}agreement_countries WHERE agreement_id IN "
              "(SELECT id FROM {schema}agreements WHERE reference = 'A-2')")  # fmt: skip

    report = replay_tenant(live, scratch, log, TENANT)

    lines = sorted(d.line() for d in report.differences)
    assert len(lines) == 2
    assert lines[0].startswith("agreement_countries [agreement_id=")
    assert lines[0].endswith("country=VN]: only in the replay")
    assert lines[1].startswith("agreements [id=")
    assert lines[1].endswith("]: differs in title")


def test_the_replay_stops_at_what_the_live_views_reflect(
    history: CooperationLedger, views: tuple[ViewStore, ViewStore, str | None]
) -> None:
    live, scratch, _url = views
    log = _project(live, history)
    write_history(history, records=2, rounds=1, prefix="B")  # recorded, not yet projected

    report = replay_tenant(live, scratch, log, TENANT)

    assert report.ok, [d.line() for d in report.differences]
    assert report.rows["agreements"] == 3
