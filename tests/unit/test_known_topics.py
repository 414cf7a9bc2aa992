"""An altered stored topic never makes the ledger import a module or build another class."""

from __future__ import annotations

import contextlib
import sqlite3
import sys
from datetime import date
from pathlib import Path
from uuid import UUID

import pytest
from eventsourcing.persistence import MapperDeserialisationError

from shared.application.known_topics import KNOWN_TOPICS
from shared.application.ledger import CooperationLedger
from shared.application.stores import SqliteStore
from shared.domain.agreement import Agreement
from shared.domain.context import Actor, CommandContext
from shared.domain.vocabulary import Classification

CANARY = "tests.unit.topic_canary"


def _signed(ledger: CooperationLedger) -> str:
    ctx = CommandContext("police", Actor("u-1", "Agent"), today=date(2026, 11, 23))
    result = ledger.create(
        lambda id_: Agreement.sign(
            ctx,
            id=id_,
            reference="FR-VN-1",
            title="Accord",
            kind="administrative-arrangement",
            partner_countries=["VN"],
            partner_organisations=[],
            themes=["narcotics"],
            signed_on=date(2020, 1, 1),
            signed_at="Paris",
            duration_months=None,
            funding=None,
            funder=None,
            classification=Classification.INTERNAL,
            today=date(2026, 11, 23),
        ),
        None,
    )
    return str(result.record_id)


def test_a_stored_topic_naming_another_module_is_refused_and_never_imported(
    tmp_path: Path,
) -> None:
    ledger = CooperationLedger("police", SqliteStore(tmp_path))
    record = _signed(ledger)
    with contextlib.closing(sqlite3.connect(tmp_path / "police.events.sqlite3")) as db:
        db.execute(
            "UPDATE stored_events SET topic = ? WHERE originator_id = ?",
            (f"{CANARY}:Canary", record.replace("-", "")),
        )
        db.commit()

    with pytest.raises(MapperDeserialisationError, match="no event type of Entente"):
        ledger.record(Agreement, UUID(record))
    ledger.close()

    assert CANARY not in sys.modules


def test_every_topic_the_ledger_writes_is_known(tmp_path: Path) -> None:
    ledger = CooperationLedger("police", SqliteStore(tmp_path))
    _signed(ledger)
    with contextlib.closing(sqlite3.connect(tmp_path / "police.events.sqlite3")) as db:
        written = {topic for (topic,) in db.execute("SELECT topic FROM stored_events")}
    ledger.close()

    assert written  # an agreement and its receipt-less creation at least
    assert written <= KNOWN_TOPICS
