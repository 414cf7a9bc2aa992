"""An altered stored topic never makes the ledger import a module or build another class."""

from __future__ import annotations

import contextlib
import sqlite3
import sys
from pathlib import Path

import pytest
from eventsourcing.persistence import MapperDeserialisationError

from shared.application.known_topics import KNOWN_TOPICS
from shared.application.ledger import CooperationLedger
from shared.application.stores import SqliteStore
from shared.domain.agreement import Agreement
from tests.audit.support import sign, write_history

CANARY = "tests.unit.topic_canary"


def _topics(store: Path) -> set[str]:
    with contextlib.closing(sqlite3.connect(store)) as db:
        return {topic for (topic,) in db.execute("SELECT topic FROM stored_events")}


def test_a_stored_topic_naming_another_module_is_refused_and_never_imported(
    tmp_path: Path,
) -> None:
    ledger = CooperationLedger("police", SqliteStore(tmp_path))
    record = sign(ledger, "FR-VN-1")
    with contextlib.closing(sqlite3.connect(tmp_path / "police.events.sqlite3")) as db:
        db.execute(
            "UPDATE stored_events SET topic = ? WHERE originator_id = ?",
            (f"{CANARY}:Canary", record.hex),
        )
        db.commit()

    with pytest.raises(MapperDeserialisationError, match="no event type of Entente"):
        ledger.record(Agreement, record)
    ledger.close()

    assert CANARY not in sys.modules


def test_every_topic_the_ledger_writes_is_known(tmp_path: Path) -> None:
    """A history with amendments, corrections and command receipts reads back whole."""
    ledger = CooperationLedger("police", SqliteStore(tmp_path))
    write_history(ledger)
    ledger.close()

    written = _topics(tmp_path / "police.events.sqlite3")

    assert any("receipt" in topic for topic in written)  # receipts are rows too
    assert len(written) > 2
    assert written <= KNOWN_TOPICS
