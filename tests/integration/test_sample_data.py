"""The sample data: idempotent across restarts, and every view shows something."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from shared.application.ledger import CooperationLedger
from shared.application.stores import SqliteStore
from shared.log.embedded import EmbeddedEventLog
from shared.sample_data.loader import load
from shared.views import queries
from shared.views.projector import Projector
from shared.views.sqlite import SqliteViewStore

TODAY = date(2026, 11, 23)
TENANTS = ["police", "gendarmerie", "civil-protection"]


def test_sample_data_loads_once_and_fills_every_view(tmp_path: Path) -> None:
    ledgers = {t: CooperationLedger(t, SqliteStore(tmp_path / "events")) for t in TENANTS}
    load(ledgers, TODAY)
    positions = {t: ledger.position() for t, ledger in ledgers.items()}

    load(ledgers, TODAY)  # a restart replays receipts

    assert {t: ledger.position() for t, ledger in ledgers.items()} == positions
    views = SqliteViewStore(tmp_path / "views", TENANTS)
    views.setup()
    Projector(views, EmbeddedEventLog(ledgers), TENANTS).catch_up()

    police_board = queries.missions_board(views, "police", limit=200)
    assert police_board.total > 150
    assert queries.awaiting_validation(views, "police", today=TODAY).total > 0
    expiring = queries.agreements_register(views, "police", today=TODAY, expiring_within_days=90)
    assert "FR-KH-2023-LOI" in [a["reference"] for a in expiring.items]
    hanoi = queries.country_file(views, "police", "VN", today=TODAY)
    references = [a["reference"] for a in hanoi["agreements"]]
    assert {"FR-VN-2009-AIG", "FR-VN-2011-CM"} <= set(references)
    calendar = queries.delegations_calendar(views, "civil-protection", limit=200)
    assert {d["host_site"] for d in calendar.items} == {"Asnières-sur-Seine", "Aix-en-Provence"}
    register = queries.agreements_register(views, "civil-protection", today=TODAY, limit=200)
    assert register.total == 43  # the EU–China programme, the 2021 arrangement, 41 partners
    report = queries.annual_report(views, "civil-protection", 2025)
    assert report["missions"]["total"] > 0
    assert report["delegations"]
    # The README's filter of institutional work finds some (it found none: probe 12).
    for tenant, organisation in [
        ("police", "INTERPOL"),
        ("gendarmerie", "EU"),
        ("civil-protection", "UN"),
    ]:
        work = queries.missions_board(views, tenant, organisation=organisation)
        assert work.total >= 1, (tenant, organisation)


def test_a_tenant_added_by_configuration_starts_empty_beside_the_samples(tmp_path: Path) -> None:
    """``ENTENTE_TENANTS=road-safety,police`` stopped ``make run`` on a KeyError."""
    ledgers = {
        t: CooperationLedger(t, SqliteStore(tmp_path / "events")) for t in ("road-safety", "police")
    }

    counts = load(ledgers, TODAY)

    assert counts["road-safety"] == 0
    assert ledgers["road-safety"].position() in (None, 0)
    assert counts["police"] > 150
    assert (ledgers["police"].position() or 0) > 150
