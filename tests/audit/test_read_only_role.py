"""The audit service reads the tenants' stores with a role that may only read them.

Least privilege for auditors: on PostgreSQL the audit service's ledgers create
no schema and no table, so a role with USAGE on the tenant's schema and SELECT
on its tables is all it needs (docs/deployment.md). A ledger that may write
fails with that role: the test is not vacuous.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

from shared.application.ledger import CooperationLedger
from shared.application.recorder import FUNCTION
from shared.application.stores import PostgresStore, schema_for
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
