"""The audit service reads the tenants' stores with a role that may only read them.

Least privilege for auditors: on PostgreSQL the audit service's ledgers create
no schema and no table, so a role with USAGE on the tenant's schema and SELECT
on its tables is all it needs (docs/deployment.md). A ledger that may write
fails with that role: the test is not vacuous.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql
from typer.testing import CliRunner

from shared.application.ledger import CooperationLedger
from shared.application.recorder import FUNCTION
from shared.application.stores import PostgresStore, schema_for
from shared.cli.main import app
from shared.errors import NotFoundError
from shared.log.embedded import EmbeddedEventLog
from shared.views.postgres import PostgresViewStore
from shared.views.projector import Projector
from tests.audit.support import write_history

pytestmark = pytest.mark.postgres
TENANT = "police"


@pytest.fixture
def reader_url(postgres_url: str) -> Iterator[tuple[str, str, list[Any]]]:
    """(prefix, URL of a role with USAGE and SELECT on that prefix's police schema only,
    what the writer reads)."""
    tag = uuid.uuid4().hex[:10]
    prefix, role, password = f"t{tag}_", f"t{tag}_auditor", uuid.uuid4().hex
    writer = CooperationLedger(TENANT, PostgresStore(postgres_url, schema_prefix=prefix))
    write_history(writer, records=2, rounds=1)
    expected = list(writer.read_log(0, 100))
    writer.close()
    schema = sql.Identifier(prefix + schema_for(TENANT))
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(role), sql.Literal(password)
            )
        )
        connection.execute(
            sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, sql.Identifier(role))
        )
        connection.execute(
            sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(
                schema, sql.Identifier(role)
            )
        )
    parts = urlsplit(postgres_url)
    host = parts.netloc.rsplit("@", 1)[-1]
    yield prefix, urlunsplit(parts._replace(netloc=f"{role}:{password}@{host}")), expected
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(schema))
        connection.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
        connection.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def test_a_read_only_ledger_reads_with_a_select_only_role(
    reader_url: tuple[str, str, list[Any]],
) -> None:
    prefix, url, expected = reader_url
    ledger = CooperationLedger(TENANT, PostgresStore(url, schema_prefix=prefix), read_only=True)
    try:
        events = ledger.read_log(0, 100)
        assert events == expected
        assert ledger.position() >= events[-1][0]
    finally:
        ledger.close()


def test_a_ledger_that_may_write_needs_more_than_that_role(
    reader_url: tuple[str, str, list[Any]],
) -> None:
    prefix, url, _ = reader_url
    with pytest.raises(Exception, match=r"(?i)permission denied"):
        CooperationLedger(TENANT, PostgresStore(url, schema_prefix=prefix)).read_log(0, 100)


def test_that_role_cannot_call_the_insert_function(
    reader_url: tuple[str, str, list[Any]],
) -> None:
    """Inserting is the schema owner's alone: EXECUTE is revoked from PUBLIC."""
    prefix, url, _ = reader_url
    schema = sql.Identifier(prefix + schema_for(TENANT))
    call = sql.SQL(
        "SELECT {}.{}(ARRAY[]::uuid[], ARRAY[]::bigint[], ARRAY[]::text[], ARRAY[]::bytea[])"
    ).format(schema, sql.Identifier(FUNCTION))
    with (
        psycopg.connect(url, autocommit=True) as connection,
        pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied for function"),
    ):
        connection.execute(call)


@pytest.fixture
def deployed_store(postgres_url: str) -> Iterator[tuple[str, str, str]]:
    """A database of its own holding police's history under its deployed (unprefixed)
    schema, as the compose stack has it; yields the URLs of its owner, of a role that may
    only read it, and of a role granted nothing. PUBLIC has no CREATE on a new database,
    as in the compose stack."""
    name = f"t{uuid.uuid4().hex[:10]}"
    role, stranger, password = f"{name}_auditor", f"{name}_stranger", uuid.uuid4().hex
    parts = urlsplit(postgres_url)
    owner_url = urlunsplit(parts._replace(path=f"/{name}"))
    host = parts.netloc.rsplit("@", 1)[-1]

    def url_of(login: str) -> str:
        return urlunsplit(parts._replace(netloc=f"{login}:{password}@{host}", path=f"/{name}"))

    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        for login in (role, stranger):
            connection.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                    sql.Identifier(login), sql.Literal(password)
                )
            )
    try:
        writer = CooperationLedger(TENANT, PostgresStore(owner_url))
        write_history(writer, records=2, rounds=1)
        writer.close()
        schema = sql.Identifier(schema_for(TENANT))
        with psycopg.connect(owner_url, autocommit=True) as connection:
            for grant in (
                "GRANT USAGE ON SCHEMA {} TO {}",
                "GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}",
            ):
                connection.execute(sql.SQL(grant).format(schema, sql.Identifier(role)))
        yield owner_url, url_of(role), url_of(stranger)
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            for login in (role, stranger):
                connection.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(login)))


def _audit_env(store_url: str, views_url: str, data_dir: Path) -> dict[str, str]:
    return {
        "ENTENTE_STORE": "postgres",
        "ENTENTE_POSTGRES_URL": store_url,
        "ENTENTE_VIEWS_URL": views_url.replace("postgresql://", "postgresql+psycopg://", 1),
        "ENTENTE_TENANTS": '["police"]',
        "ENTENTE_EVENT_LOG": "embedded",
        "ENTENTE_DATA_DIR": str(data_dir),
    }


def test_entente_audit_verify_runs_with_the_audit_role(
    deployed_store: tuple[str, str, str], tmp_path: Path
) -> None:
    """The command line opens its ledgers as the service does: with only SELECT it
    verifies (it used to prepare the schema first, and stop on CREATE's refusal). The
    access log goes to the views database, whose role may create it, as deployed."""
    owner_url, reader_url, _ = deployed_store
    env = _audit_env(reader_url, owner_url, tmp_path)
    result = CliRunner(env=env).invoke(app, ["audit", "verify", "police"])

    assert result.exit_code == 0, f"{result.output}\n{result.exception!r}"
    # 4 events, a receipt, the claims marker and the two agreements' reference claims
    assert "verified police: 4 events up to position 8" in result.output
    assert "OK: nothing altered, missing, inserted or reordered" in result.output


def test_a_role_without_grants_gets_one_line_and_exit_code_2(
    deployed_store: tuple[str, str, str], tmp_path: Path
) -> None:
    """A forgotten GRANT is a setting to fix: the database's refusal, not a traceback."""
    owner_url, _, stranger_url = deployed_store
    done = subprocess.run(
        [str(Path(sys.executable).with_name("entente")), "audit", "verify", "police"],
        env={**os.environ, **_audit_env(stranger_url, owner_url, tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        "entente: the database refused (InsufficientPrivilege): "
        "permission denied for schema entente_police"
    )


def test_a_replay_without_live_views_is_refused_and_makes_none(
    deployed_store: tuple[str, str, str], tmp_path: Path
) -> None:
    """On PostgreSQL the replay created the live views it only reads (SQLite refused)."""
    owner_url, reader_url, _ = deployed_store
    env = _audit_env(reader_url, owner_url, tmp_path)
    result = CliRunner(env=env).invoke(app, ["audit", "replay", "police"])

    assert isinstance(result.exception, NotFoundError), result.output  # `entente`: exit 2
    assert result.exception.detail == (
        "no live views of 'police' in schema entente_police_views (is ENTENTE_VIEWS_URL right?)"
    )
    with psycopg.connect(owner_url) as connection:
        made = connection.execute(
            "SELECT 1 FROM information_schema.schemata WHERE schema_name = 'entente_police_views'"
        ).fetchone()
    assert made is None


def test_a_replay_of_live_views_on_postgresql_compares_them(
    deployed_store: tuple[str, str, str], tmp_path: Path
) -> None:
    """The catalogue check lets complete live views through (the replay then compares)."""
    owner_url, reader_url, _ = deployed_store
    views_url = owner_url.replace("postgresql://", "postgresql+psycopg://", 1)
    ledger = CooperationLedger(TENANT, PostgresStore(owner_url))
    views = PostgresViewStore(views_url, [TENANT])
    try:
        views.setup()
        Projector(views, EmbeddedEventLog({TENANT: ledger}), [TENANT]).catch_up()
    finally:
        views.dispose()
        ledger.close()

    result = CliRunner(env=_audit_env(reader_url, owner_url, tmp_path)).invoke(
        app, ["audit", "replay", "police"]
    )

    assert result.exit_code == 0, f"{result.output}\n{result.exception!r}"
    assert "OK: the replay equals the live views" in result.output
