"""The audit reads tenants whose event stores are in databases of their own.

A directorate may keep its event store in its own PostgreSQL cluster (the
chart's five-tenant example does for two). The audit then gets that tenant's URL
in ``ENTENTE_POSTGRES_URLS``; the others stay on ``ENTENTE_POSTGRES_URL``. Two
databases of the local server stand for two clusters: each tenant's history is
only in its own, so reading it from the other would find nothing.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg import sql
from pydantic import ValidationError
from typer.testing import CliRunner

from services.audit.app import create_app
from services.audit.bootstrap import bootstrap
from shared.application.ledger import CooperationLedger
from shared.application.stores import PostgresStore
from shared.audit.settings import AuditSettings
from shared.cli.main import app
from shared.settings import Settings
from tests.audit.support import write_history

pytestmark = pytest.mark.postgres


@pytest.fixture
def two_databases(postgres_url: str) -> Iterator[tuple[str, str]]:
    """The URLs of two new databases on the test server, dropped afterwards."""
    names = [f"t{uuid.uuid4().hex[:10]}_{side}" for side in ("a", "b")]
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        for name in names:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    parts = urlsplit(postgres_url)
    first, second = (urlunsplit(parts._replace(path=f"/{name}")) for name in names)
    yield first, second
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        for name in names:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def _record(url: str, tenant: str, records: int) -> None:
    ledger = CooperationLedger(tenant, PostgresStore(url))
    try:
        write_history(ledger, records=records, rounds=1)
    finally:
        ledger.close()


def test_entente_audit_verify_reads_each_tenant_in_its_own_database(
    two_databases: tuple[str, str], tmp_path: Path
) -> None:
    shared_url, own_url = two_databases
    _record(shared_url, "police", records=2)  # 4 events
    _record(own_url, "gendarmerie", records=3)  # 6 events, in a database of its own
    env = {
        "ENTENTE_STORE": "postgres",
        "ENTENTE_POSTGRES_URL": shared_url,
        "ENTENTE_POSTGRES_URLS": json.dumps({"gendarmerie": own_url}),
        "ENTENTE_TENANTS": '["police", "gendarmerie"]',
        "ENTENTE_EVENT_LOG": "embedded",
        "ENTENTE_DATA_DIR": str(tmp_path),
    }
    runner = CliRunner(env=env)
    police = runner.invoke(app, ["audit", "verify", "police"])
    gendarmerie = runner.invoke(app, ["audit", "verify", "gendarmerie"])

    assert police.exit_code == 0, police.output
    assert "verified police: 4 events" in police.output
    assert gendarmerie.exit_code == 0, gendarmerie.output
    assert "verified gendarmerie: 6 events" in gendarmerie.output

    # Without its URL the gendarmerie is looked for in the shared database: not there.
    alone = CliRunner(env={**env, "ENTENTE_POSTGRES_URLS": "{}"})
    missing = alone.invoke(app, ["audit", "verify", "gendarmerie"])
    assert missing.exit_code != 0
    assert 'relation "entente_gendarmerie.entente_events" does not exist' in str(missing.exception)


def test_a_url_for_a_tenant_not_served_is_refused() -> None:
    with pytest.raises(ValidationError, match="postgres_urls names gendarmrie, not among"):
        Settings(tenants=["police", "gendarmerie"], postgres_urls={"gendarmrie": "postgresql://x"})


def test_a_tenant_without_its_own_url_uses_the_shared_one() -> None:
    settings = Settings(
        store="postgres",
        tenants=["police", "gendarmerie"],
        postgres_url="postgresql://shared/entente",
        postgres_urls={"gendarmerie": "postgresql://own/entente"},
    )
    police, gendarmerie = settings.event_store("police"), settings.event_store("gendarmerie")
    assert isinstance(police, PostgresStore)
    assert police.url == "postgresql://shared/entente"
    assert isinstance(gendarmerie, PostgresStore)
    assert gendarmerie.url == "postgresql://own/entente"


def _audit_client(shared_url: str, own: dict[str, str], data_dir: Path) -> TestClient:
    settings = AuditSettings(
        store="postgres",
        postgres_url=shared_url,
        postgres_urls=own,
        views_url=shared_url.replace("postgresql://", "postgresql+psycopg://", 1),
        tenants=["police", "gendarmerie"],
        event_log="embedded",
        data_dir=data_dir,
        auth="dev",
    )
    return TestClient(create_app(bootstrap(settings)))


def test_the_audit_service_is_ready_only_when_every_tenant_s_store_answers(
    two_databases: tuple[str, str], tmp_path: Path
) -> None:
    shared_url, own_url = two_databases
    _record(shared_url, "police", records=2)
    _record(own_url, "gendarmerie", records=3)

    with _audit_client(shared_url, {"gendarmerie": own_url}, tmp_path) as client:
        ready = client.get("/api/audit/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"status": "ready"}  # both stores read; no positions shown

    with _audit_client(shared_url, {}, tmp_path) as client:  # the gendarmerie's URL forgotten
        missing = client.get("/api/audit/readyz")
    assert missing.status_code == 503
    detail = missing.json()["detail"]
    assert "cannot be read: gendarmerie (" in detail
    assert "police" not in detail.split("cannot be read:")[1]
    assert "ENTENTE_POSTGRES_URLS" in detail


def test_a_tenant_whose_database_does_not_answer_leaves_the_others_audited(
    two_databases: tuple[str, str], tmp_path: Path, postgres_url: str
) -> None:
    """One misnamed database made the service fail at start-up (30 s, no tenant named)."""
    shared_url, _own_url = two_databases
    police = CooperationLedger("police", PostgresStore(shared_url))
    try:
        record = write_history(police, records=1, rounds=1)[0]
    finally:
        police.close()
    missing = urlunsplit(urlsplit(postgres_url)._replace(path=f"/t{uuid.uuid4().hex[:10]}_none"))

    started = time.monotonic()
    with _audit_client(shared_url, {"gendarmerie": missing}, tmp_path) as client:
        issuer = client.app.state.audit.issuer  # type: ignore[attr-defined]
        token = {"Authorization": f"Bearer {issuer.token('auditor', 600)}"}
        ready = client.get("/api/audit/readyz")
        history = client.get(f"/api/audit/police/records/{record}/history", headers=token)
        unread = client.get(f"/api/audit/gendarmerie/records/{uuid.uuid4()}/history", headers=token)
    assert time.monotonic() - started < 20  # no pool waiting out its 30 s

    assert ready.status_code == 503
    detail = ready.json()["detail"]
    assert "cannot be read: gendarmerie (the event store of 'gendarmerie' cannot be read" in detail
    assert "does not exist" in detail  # the server's own reason
    assert history.status_code == 200, history.text
    assert unread.status_code == 503, unread.text
    assert unread.json()["detail"].startswith("the event store of 'gendarmerie' cannot be read")
