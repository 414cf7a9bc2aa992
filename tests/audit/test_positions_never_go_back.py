"""A SQLite store's positions never go back (``shared.application.sqlite_recorder``).

SQLite gives the next row the largest rowid plus one: once the newest rows were
deleted by hand, the next command took a position the views had passed, and its
record was acknowledged but never shown; verify without a witness said OK.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError

from shared.application.ledger import CooperationLedger
from shared.application.sqlite_recorder import positions_given
from shared.application.stores import SqliteStore
from shared.audit.findings import Kind
from shared.audit.verify import LAST_GIVEN, verify_tenant
from shared.domain.context import CommandContext
from shared.errors import AlteredHistoryError

from .support import RECORDER, sign, write_history


def _store(tmp_path: Path) -> Path:
    return tmp_path / "police.events.sqlite3"


def _delete_from(tmp_path: Path, position: int) -> None:
    with sqlite3.connect(_store(tmp_path)) as db:
        db.execute("DELETE FROM stored_events WHERE rowid >= ?", (position,))
    db.close()


def test_a_command_after_the_newest_rows_were_deleted_is_refused_and_verify_names_them(
    tmp_path: Path,
) -> None:
    ledger = CooperationLedger("police", SqliteStore(tmp_path))
    write_history(ledger)
    last = ledger.position()
    ledger.close()
    _delete_from(tmp_path, last - 1)  # the newest two rows

    ledger = CooperationLedger("police", SqliteStore(tmp_path))
    report = verify_tenant(ledger)
    with pytest.raises(AlteredHistoryError) as refused:
        sign(ledger, "NEW-1")

    assert ledger.position() == last - 2  # nothing recorded
    assert "its newest events were deleted" in refused.value.detail
    [finding] = report.findings
    assert (finding.kind, finding.witness, finding.after) == (Kind.MISSING, LAST_GIVEN, last)
    assert f"rows at {last - 1} to {last} (events, receipts or claims) were deleted" in (
        finding.detail
    )
    assert finding.line().startswith(f"MISSING in the store at positions {last - 1} to {last}: ")
    ledger.close()


def test_a_rolled_back_insert_gives_no_position(tmp_path: Path) -> None:
    """Two changes of one version: the second's insert is rolled back with the last
    position it would have given, and the next command goes on."""
    ledger = CooperationLedger("police", SqliteStore(tmp_path))
    record = sign(ledger, "A-1")
    ctx = CommandContext("police", RECORDER)
    winner: Any = ledger.repository.get(record)
    loser: Any = ledger.repository.get(record)
    winner.amend(ctx, date(2012, 1, 1), "Avenant 1")
    loser.amend(ctx, date(2012, 1, 2), "Avenant 1 bis")
    ledger.save(winner)
    with pytest.raises(IntegrityError):
        ledger.save(loser)
    sign(ledger, "B-2")

    assert positions_given(ledger.recorder) == (ledger.position(), ledger.position(), True)
    assert verify_tenant(ledger).ok
    ledger.close()


def test_a_store_of_an_earlier_release_starts_from_its_last_row(tmp_path: Path) -> None:
    old = CooperationLedger("police", SqliteStore(tmp_path))
    write_history(old)
    last = old.position()
    old.close()
    with sqlite3.connect(_store(tmp_path)) as db:  # as an earlier release left it
        db.execute("DROP TRIGGER entente_positions_only_grow")
        db.execute("DROP TABLE entente_last_position")
    db.close()

    ledger = CooperationLedger("police", SqliteStore(tmp_path))

    assert positions_given(ledger.recorder) == (last, last, True)
    sign(ledger, "C-3")
    assert positions_given(ledger.recorder) == (ledger.position(), ledger.position(), True)
    ledger.close()


def test_a_dropped_guard_is_reported(tmp_path: Path) -> None:
    """Without its trigger, a row can be written again at a position given before."""
    ledger = CooperationLedger("police", SqliteStore(tmp_path))
    write_history(ledger)
    assert verify_tenant(ledger).ok
    with sqlite3.connect(_store(tmp_path)) as db:
        db.execute("DROP TRIGGER entente_positions_only_grow")
    db.close()

    [finding] = verify_tenant(ledger).findings

    assert (finding.kind, finding.witness) == (Kind.ALTERED, LAST_GIVEN)
    assert "(entente_positions_only_grow) was dropped" in finding.detail
    assert (finding.position, finding.after) == (None, None)
    assert finding.line().startswith("ALTERED in the store as a whole: the trigger ")
    ledger.close()
