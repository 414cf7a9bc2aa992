"""``entente audit verify|replay|export`` as an auditor runs them, exit codes included.

The commands run in-process (Typer's runner) against a data directory of
their own; the Ctrl-C test runs the real executable and sends it SIGINT.
"""

from __future__ import annotations

import getpass
import os
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path
from uuid import UUID

import pytest
from typer.testing import CliRunner, Result

from shared.access_log import AccessLog
from shared.application.ledger import CooperationLedger
from shared.application.stores import SqliteStore
from shared.cli.main import app

from .support import StoreTamper, amend, projected_history, write_history

ENTENTE = Path(sys.executable).with_name("entente")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A police store with a small history and its live views, as ``make run`` leaves them."""
    projected_history(tmp_path)
    return tmp_path


def _run(data_dir: Path, *args: str) -> Result:
    env = {
        "ENTENTE_DATA_DIR": str(data_dir),
        "ENTENTE_TENANTS": '["police"]',
        "ENTENTE_EVENT_LOG": "embedded",
    }
    return CliRunner(env=env).invoke(app, ["audit", *args])


def test_verify_export_and_offline_bundle_verification(data_dir: Path) -> None:
    verified = _run(data_dir, "verify", "police")
    exported = _run(data_dir, "export", "police", "--out", str(data_dir / "police.zip"))
    offline = _run(data_dir, "verify", "--bundle", str(data_dir / "police.zip"))

    ledger = CooperationLedger("police", SqliteStore(data_dir / "events"))
    last = ledger.position()  # the walk reads to the end, past the last claim and receipt
    ledger.close()
    assert verified.exit_code == 0, verified.output
    assert f"verified police: 9 events up to position {last}" in verified.output
    assert "OK: nothing altered, missing, inserted or reordered" in verified.output
    assert "no witness outside the store" in verified.output
    assert exported.exit_code == 0, exported.output
    assert "wrote" in exported.output
    assert "9 events, head" in exported.output
    assert offline.exit_code == 0, offline.output
    assert "checked against: bundle police.zip" in offline.output


def test_a_tampered_store_exits_1_and_names_the_first_problem(data_dir: Path) -> None:
    assert _run(data_dir, "export", "police", "--out", str(data_dir / "before.zip")).exit_code == 0
    ledger = CooperationLedger("police", SqliteStore(data_dir / "events"))
    amended = [p for p, _ in ledger.read_log(0, 100)][3]  # A-0's first amendment
    StoreTamper(ledger).update_state(amended, lambda state: state.update(summary="Falsifié"))
    ledger.close()

    result = _run(data_dir, "verify", "police", "--against", str(data_dir / "before.zip"))
    as_json = _run(
        data_dir, "verify", "police", "--against", str(data_dir / "before.zip"), "--json"
    )

    assert result.exit_code == 1, result.output
    assert f"FIRST PROBLEM: ALTERED in the store at position {amended}" in result.output
    assert 'data.summary: "Avenant 1" became "Falsifié"' in result.output
    assert as_json.exit_code == 1
    assert '"kind": "altered"' in as_json.output


def test_verify_against_a_bundle_says_how_far_the_bundle_witnesses(data_dir: Path) -> None:
    """Events recorded after the export are not in the bundle: the OK said nothing of it."""
    assert _run(data_dir, "export", "police", "--out", str(data_dir / "b.zip")).exit_code == 0
    ledger = CooperationLedger("police", SqliteStore(data_dir / "events"))
    exported_up_to = ledger.last_event_position()
    record = next(event.aggregate_id for _, event in ledger.read_log(0, 1))
    amend(ledger, UUID(record), date(2013, 3, 1), "Avenant 3")
    amend(ledger, UUID(record), date(2013, 4, 1), "Avenant 4")
    ledger.close()

    result = _run(data_dir, "verify", "police", "--against", str(data_dir / "b.zip"))

    assert result.exit_code == 0, result.output
    assert (
        f"bundle b.zip (up to position {exported_up_to}; the 2 events stored after it are "
        "not in it)" in result.output
    )


def test_replay_compares_with_the_live_views(data_dir: Path) -> None:
    same = _run(data_dir, "replay", "police")
    import sqlite3

    with sqlite3.connect(data_dir / "views" / "police.views.sqlite3") as connection:
        connection.execute("UPDATE agreements SET status = 'terminated' WHERE reference = 'A-0'")
    different = _run(data_dir, "replay", "police")

    assert same.exit_code == 0, same.output
    assert "OK: the replay equals the live views" in same.output
    assert different.exit_code == 1, different.output
    assert "DIFFERENT: 1 rows differ" in different.output
    assert "differs in status" in different.output


def test_each_command_is_recorded_in_the_access_log(data_dir: Path) -> None:
    _run(data_dir, "verify", "police")
    _run(data_dir, "replay", "police")
    _run(data_dir, "export", "police", "--out", str(data_dir / "p.zip"))
    _run(data_dir, "verify", "gendarmerie")  # not served here: refused, exit 2

    log = AccessLog.open(None, data_dir)
    entries = log.entries()
    log.dispose()

    assert [(e.action, e.resource, e.tenant) for e in entries] == [
        ("audit.verify", "/police/chain", "police"),
        ("audit.replay", "/police/views", "police"),
        ("audit.export", "/police/history", "police"),
    ]
    assert {e.subject for e in entries} == {f"cli:{getpass.getuser()}"}


def test_ctrl_c_stops_an_export_cleanly_and_resume_finishes_it(tmp_path: Path) -> None:
    ledger = CooperationLedger("police", SqliteStore(tmp_path / "events"))
    write_history(ledger, records=40, rounds=4)  # 200 events, exported one per page
    ledger.close()
    env = {**os.environ, "ENTENTE_DATA_DIR": str(tmp_path), "ENTENTE_TENANTS": '["police"]'}
    command = [
        str(ENTENTE),
        "audit",
        "export",
        "police",
        "--out",
        str(tmp_path / "p.zip"),
        "--page-size",
        "1",
    ]

    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, stdout=subprocess.PIPE)
    assert process.stderr is not None
    seen = b""
    while b"event store of police" not in seen:
        chunk = os.read(process.stderr.fileno(), 256)
        assert chunk, f"no progress shown: {seen!r}"
        seen += chunk
    process.send_signal(signal.SIGINT)  # at once: the export has just started its first page
    _out, err = process.communicate(timeout=60)

    assert process.returncode == 130, (seen + err).decode()
    assert b"run again with --resume" in seen + err
    assert not (tmp_path / "p.zip").exists()
    done = subprocess.run(
        [*command, "--resume"], env=env, capture_output=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr.decode()
    assert b"200 events" in done.stdout
    check = subprocess.run(
        [str(ENTENTE), "audit", "verify", "--bundle", str(tmp_path / "p.zip")],
        env=env, capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    assert check.returncode == 0, check.stdout.decode()


_CRASHED_WRITER = """
import os, sys
from pathlib import Path
from shared.application.ledger import CooperationLedger
from shared.application.stores import SqliteStore
from tests.audit.support import write_history
ledger = CooperationLedger("police", SqliteStore(Path(sys.argv[1]) / "events"))
write_history(ledger)
os._exit(0)  # no close: its last events stay in the write-ahead log, as after a crash
"""


def test_an_audit_leaves_the_store_files_byte_for_byte_as_it_found_them(tmp_path: Path) -> None:
    """Opened as a writer, the store was checkpointed when the audit closed it: the
    write-ahead log moved into the file, whose bytes changed (audit probe)."""
    root = Path(__file__).resolve().parents[2]
    subprocess.run(
        [sys.executable, "-c", _CRASHED_WRITER, str(tmp_path)], check=True, cwd=root, timeout=60
    )
    files = sorted((tmp_path / "events").glob("police.events.sqlite3*"))
    before = {path.name: path.read_bytes() for path in files}

    verified = _run(tmp_path, "verify", "police")
    exported = _run(tmp_path, "export", "police", "--out", str(tmp_path / "police.zip"))

    assert verified.exit_code == 0, verified.output
    assert "9 events" in verified.output  # read from the write-ahead log too
    assert exported.exit_code == 0, exported.output
    assert len(before["police.events.sqlite3-wal"]) > 0
    after = {path.name: path.read_bytes() for path in files if path.exists()}
    assert after.keys() == before.keys()
    assert after["police.events.sqlite3"] == before["police.events.sqlite3"]
    assert after["police.events.sqlite3-wal"] == before["police.events.sqlite3-wal"]
