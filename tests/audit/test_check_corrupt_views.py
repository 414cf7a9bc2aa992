"""``entente check`` and ``entente audit replay`` on views edited by hand (SQLite).

SQLite keeps any value in an integer column: a view row whose version became
``'seven'`` stopped ``entente check`` on a traceback (audit probe). Both commands now
name the record and fail with exit 1, as for any other difference.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from shared.cli.main import app

from .support import projected_history


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    projected_history(tmp_path)
    return tmp_path


def _run(data_dir: Path, *args: str) -> Result:
    env = {
        "ENTENTE_DATA_DIR": str(data_dir),
        "ENTENTE_TENANTS": '["police"]',
        "ENTENTE_EVENT_LOG": "embedded",
    }
    return CliRunner(env=env).invoke(app, list(args))


def _corrupt_version(data_dir: Path) -> str:
    with sqlite3.connect(data_dir / "views" / "police.views.sqlite3") as connection:
        (record,) = connection.execute(
            "SELECT id FROM agreements WHERE reference = 'A-0'"
        ).fetchone()
        connection.execute("UPDATE agreements SET version = 'seven' WHERE id = ?", (record,))
    return str(record)


def test_check_names_a_record_row_whose_version_is_no_number(data_dir: Path) -> None:
    healthy = _run(data_dir, "check", "police", "--no-topic")
    record = _corrupt_version(data_dir)

    result = _run(data_dir, "check", "police", "--no-topic")

    assert healthy.exit_code == 0, healthy.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 1, result.output
    assert "check of police: FAILED" in result.output
    assert "1 unreadable" in result.output
    assert f"unreadable: {record} shows the version 'seven'" in result.output
    assert "DIFFERENT from a clean rebuild" in result.output


def test_replay_reports_the_edited_row_as_a_difference(data_dir: Path) -> None:
    _corrupt_version(data_dir)

    result = _run(data_dir, "audit", "replay", "police")

    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 1, result.output
    assert "DIFFERENT" in result.output


def test_check_reads_no_topic_where_the_log_is_embedded(data_dir: Path) -> None:
    """It tried Kafka whatever ENTENTE_EVENT_LOG said: 31 s, then exit 2 (probe 4)."""
    result = _run(data_dir, "check", "police")  # ENTENTE_EVENT_LOG=embedded

    assert result.exit_code == 0, result.output
    assert "check of police: OK" in result.output
    assert "topic" not in result.output
