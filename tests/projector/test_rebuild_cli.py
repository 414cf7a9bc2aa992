"""``entente projections rebuild`` on a SQLite data directory, through the real command.

The live views are tampered with first, so identical contents after the
rebuild prove the rebuilt tables were swapped in, not merely left alone.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import update
from typer.testing import CliRunner, Result

from services.projector.rebuild import ProgressLog
from shared.application.ledger import CooperationLedger
from shared.application.stores import SqliteStore
from shared.cli.main import _plug_in_commands
from shared.cli.main import app as entente
from shared.log.embedded import EmbeddedEventLog
from shared.views.projector import Projector
from shared.views.rebuild import view_contents
from shared.views.sqlite import SqliteViewStore
from shared.views.tracking import view_position

from .support import TENANT, Recording, clock, record_some


@pytest.fixture(scope="module")
def cli() -> typer.Typer:
    """The ``entente`` command with the services' commands plugged in, as ``main`` does."""
    if "projections" not in {group.name for group in entente.registered_groups}:
        _plug_in_commands()
    return entente


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data directory with a ledger of 12 events and live views projected from it."""
    ledger = CooperationLedger(TENANT, SqliteStore(tmp_path / "events"), clock=clock)
    record_some(Recording(ledger, EmbeddedEventLog({TENANT: ledger})))
    views = SqliteViewStore(tmp_path / "views", [TENANT])
    Projector(views, EmbeddedEventLog({TENANT: ledger}), [TENANT]).catch_up()
    views.dispose()
    ledger.close()
    return tmp_path


def run(cli: typer.Typer, data_dir: Path, *args: str) -> Result:
    env = {"ENTENTE_DATA_DIR": str(data_dir), "ENTENTE_TENANTS": '["police", "gendarmerie"]'}
    return CliRunner().invoke(cli, ["projections", "rebuild", *args], env=env)


def live(data_dir: Path) -> tuple[dict[str, list[dict[str, Any]]], int]:
    views = SqliteViewStore(data_dir / "views", [TENANT])
    with views.read(TENANT) as session:
        found = view_contents(session), view_position(session).position
    views.dispose()
    return found


def tamper(data_dir: Path) -> None:
    views = SqliteViewStore(data_dir / "views", [TENANT])
    with views.write(TENANT) as session:
        agreements = session.tables.agreements
        session.connection.execute(update(agreements).values(title="tampered"))
    views.dispose()


def test_rebuild_swaps_in_tables_identical_to_a_clean_projection(
    cli: typer.Typer, data_dir: Path
) -> None:
    clean, position = live(data_dir)
    tamper(data_dir)
    assert live(data_dir)[0] != clean

    result = run(cli, data_dir, TENANT)

    assert result.exit_code == 0, result.output
    assert live(data_dir) == (clean, position)
    assert "entente.police.events[0]: offset" in result.output  # progress, per page
    assert f"position {position}" in result.output.splitlines()[-1]
    assert "0 parked message(s)" in result.output


def test_naming_a_view_rebuilds_the_set_it_belongs_to(cli: typer.Typer, data_dir: Path) -> None:
    clean = live(data_dir)
    tamper(data_dir)

    result = run(cli, data_dir, TENANT, "missions")

    assert result.exit_code == 0, result.output
    assert "rebuilding all of them, missions included" in result.output
    assert live(data_dir) == clean


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nowhere"], "no tenant 'nowhere' here (ENTENTE_TENANTS: police, gendarmerie)"),
        ([TENANT, "teleports"], "no view 'teleports'; the views are: "),
    ],
)
def test_an_unknown_tenant_or_view_is_a_clear_error(
    cli: typer.Typer, data_dir: Path, args: list[str], message: str
) -> None:
    before = live(data_dir)

    result = run(cli, data_dir, *args)

    assert result.exit_code == 2
    assert message in result.output
    assert live(data_dir) == before


def test_a_rebuild_stopped_by_sigterm_leaves_the_live_views_and_no_rebuild_area(
    cli: typer.Typer, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed by SIGTERM, it left ``police.views.rebuild.sqlite3`` behind (probe 11)."""
    tamper(data_dir)
    before = live(data_dir)
    reads = ProgressLog.read

    def read_then_terminated(self: ProgressLog, *args: Any) -> Any:
        records = reads(self, *args)
        os.kill(os.getpid(), signal.SIGTERM)  # as an orchestrator stopping the job
        return records

    monkeypatch.setattr(ProgressLog, "read", read_then_terminated)
    previous = signal.getsignal(signal.SIGTERM)

    result = run(cli, data_dir, TENANT)

    assert result.exit_code == 143, result.output
    assert "stopped on SIGTERM: the live views are as they were" in result.output
    assert live(data_dir) == before
    assert not list((data_dir / "views").glob("*rebuild*.sqlite3*"))
    assert signal.getsignal(signal.SIGTERM) == previous
