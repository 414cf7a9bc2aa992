"""The ledger on both stores: idempotency, If-Match, conflicts, log reading."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from shared.application.ledger import CommandResult, CooperationLedger, Idempotency
from shared.application.stores import EventStoreConfig
from shared.domain.agreement import Agreement
from shared.domain.context import Actor, CommandContext
from shared.domain.mission import Mission
from shared.domain.vocabulary import Classification
from shared.errors import (
    ConflictError,
    IdempotencyKeyReusedError,
    NotFoundError,
    PreconditionFailedError,
    PreconditionRequiredError,
    ValidationError,
)

CTX = CommandContext("police", Actor("sub-1", "Agent Dupont"))


def _sign(
    ledger: CooperationLedger, key: Idempotency | None = None, title: str = "Accord"
) -> CommandResult:
    return ledger.create(
        lambda id_: Agreement.sign(
            CTX,
            id=id_,
            reference="FR-VN-2009",
            title=title,
            kind="intergovernmental-agreement",
            partner_countries=["VN"],
            partner_organisations=[],
            themes=["narcotics"],
            signed_on=date(2009, 11, 13),
            signed_at="Hanoï",
            duration_months=60,
            funding=None,
            funder=None,
            classification=Classification.PUBLIC,
            today=date(2026, 1, 1),
        ),
        key,
    )


def _amend(
    ledger: CooperationLedger, record_id: UUID, version: int | None, key: Idempotency | None = None
) -> CommandResult:
    return ledger.change(
        Agreement, record_id, version, lambda a: a.amend(CTX, date(2012, 1, 1), "Avenant"), key
    )


def test_a_command_answers_its_record_version_and_position(ledger: CooperationLedger) -> None:
    first = _sign(ledger)
    second = _amend(ledger, first.record_id, 1)

    assert (first.version, second.version) == (1, 2)
    assert second.position > first.position
    assert ledger.position() == second.position
    assert ledger.record(Agreement, first.record_id).amendments[0]["summary"] == "Avenant"


def test_the_last_event_position_leaves_out_receipts(ledger: CooperationLedger) -> None:
    """What the relay's lag is measured against: receipts are never published."""
    assert ledger.last_event_position() == 0
    first = _sign(ledger)
    assert ledger.last_event_position() == first.position < ledger.position()  # its claim

    second = _amend(ledger, first.record_id, 1, Idempotency("amend-key-0001", "fingerprint"))

    assert ledger.position() > second.position  # the receipt, stored after the event
    assert ledger.last_event_position() == second.position


def test_a_retry_with_the_same_key_returns_the_first_result_and_records_nothing(
    ledger: CooperationLedger,
) -> None:
    key = Idempotency("retry-key-0001", "fingerprint-a")
    first = _sign(ledger, key)
    before = ledger.position()

    again = _sign(ledger, key)

    assert again.replayed
    assert not first.replayed
    assert (again.record_id, again.version) == (first.record_id, first.version)
    assert ledger.position() == before
    assert len(ledger.read_log(0, 100)) == 1


def test_a_retry_whose_guards_now_fail_still_gets_the_first_result(
    ledger: CooperationLedger,
) -> None:
    """``create`` saves first and looks the receipt up on a collision or a refusal."""
    key = Idempotency("retry-key-0004", "fingerprint-a")
    first = _sign(ledger, key)
    before = ledger.position()

    def refused(_: UUID) -> Agreement:
        raise ValidationError("title", "required", "no title")

    again = ledger.create(refused, key)

    assert again.replayed
    assert (again.record_id, again.position) == (first.record_id, first.position)
    assert ledger.position() == before
    with pytest.raises(ValidationError):  # without a receipt, the refusal stands
        ledger.create(refused, Idempotency("retry-key-0005", "fingerprint-a"))


def test_the_same_key_with_another_request_is_refused(ledger: CooperationLedger) -> None:
    _sign(ledger, Idempotency("retry-key-0002", "fingerprint-a"))
    before = ledger.position()

    with pytest.raises(IdempotencyKeyReusedError):
        _sign(ledger, Idempotency("retry-key-0002", "fingerprint-b"), title="Autre")
    assert ledger.position() == before


def test_a_concurrent_retry_that_loses_the_race_gets_the_first_result(
    store: EventStoreConfig,
) -> None:
    one, other = CooperationLedger("police", store), CooperationLedger("police", store)
    key = Idempotency("retry-key-0003", "fingerprint-a")
    first = _sign(one, key)
    # `other` passed its receipt check before `one` committed: it builds and saves anyway.
    record = Agreement.sign(
        CTX,
        id=uuid4(),
        reference="X",
        title="Accord",
        kind="letter-of-intent",
        partner_countries=["VN"],
        partner_organisations=[],
        themes=["narcotics"],
        signed_on=date(2010, 1, 1),
        signed_at="Paris",
        duration_months=None,
        funding=None,
        funder=None,
        classification=Classification.PUBLIC,
        today=date(2026, 1, 1),
    )
    replay = other._save(record, key)

    assert replay.replayed
    assert replay.record_id == first.record_id
    assert len(one.read_log(0, 100)) == 1


def test_if_match_is_required_and_checked(ledger: CooperationLedger) -> None:
    created = _sign(ledger)
    with pytest.raises(PreconditionRequiredError):
        _amend(ledger, created.record_id, None)
    _amend(ledger, created.record_id, 1)
    with pytest.raises(PreconditionFailedError, match="current version is 2"):
        _amend(ledger, created.record_id, 1)


def test_two_writers_on_one_record_conflict_and_the_loser_records_nothing(
    store: EventStoreConfig,
) -> None:
    one, other = CooperationLedger("police", store), CooperationLedger("police", store)
    created = _sign(one)
    stale = other.record(Agreement, created.record_id)
    _amend(one, created.record_id, 1)
    stale.amend(CTX, date(2013, 1, 1), "Avenant concurrent")

    with pytest.raises(ConflictError):
        other._save(stale, None)
    assert one.record(Agreement, created.record_id).version == 2


def test_a_change_that_loses_the_race_after_its_if_match_check_is_a_412(
    store: EventStoreConfig,
) -> None:
    """Its If-Match version was current when read; the winner took it before the save.
    Same condition as a stale If-Match, so the same answer: clients branch on 412."""
    one, other = CooperationLedger("police", store), CooperationLedger("police", store)
    created = _sign(one)

    def amend_after_the_winner(agreement: Agreement) -> None:
        _amend(one, created.record_id, 1)  # commits version 2 meanwhile
        agreement.amend(CTX, date(2013, 1, 1), "Avenant concurrent")

    with pytest.raises(PreconditionFailedError, match="the current version is 2"):
        other.change(Agreement, created.record_id, 1, amend_after_the_winner, None)
    assert one.record(Agreement, created.record_id).version == 2


def test_a_record_of_another_type_or_unknown_id_is_not_found(ledger: CooperationLedger) -> None:
    created = _sign(ledger)
    with pytest.raises(NotFoundError):
        ledger.record(Mission, created.record_id)
    with pytest.raises(NotFoundError):
        ledger.record(Agreement, uuid4())


def test_reading_the_log_follows_the_next_row_across_holes(store: EventStoreConfig) -> None:
    one, other = CooperationLedger("police", store), CooperationLedger("police", store)
    created = _sign(one)
    stale = other.record(Agreement, created.record_id)
    _amend(one, created.record_id, 1)
    stale.amend(CTX, date(2013, 1, 1), "perdu")
    with pytest.raises(ConflictError):
        other._save(stale, None)
    last = _amend(one, created.record_id, 2)

    positions = [p for p, _ in one.read_log(0, 100)]

    assert len(positions) == 3
    assert positions == sorted(positions)
    assert positions[-1] == last.position
    assert [p for p, _ in one.read_log(positions[1], 100)] == [last.position]


def test_events_carry_the_metadata_and_decimal_amounts_exactly(ledger: CooperationLedger) -> None:
    created = ledger.create(
        lambda id_: Agreement.sign(
            CTX,
            id=id_,
            reference="FR-VN-2011-CM",
            title="Convention",
            kind="funding-convention",
            partner_countries=["VN"],
            partner_organisations=[],
            themes=["counterfeit-medicines"],
            signed_on=date(2011, 12, 9),
            signed_at="Hanoï",
            duration_months=36,
            funding=(Decimal("1000000.10"), "EUR"),
            funder="Ambassade",
            classification=Classification.RESTRICTED,
            today=date(2026, 1, 1),
        ),
        None,
    )
    [(position, event)] = ledger.read_log(0, 10)

    assert position == created.position == event.position
    assert (event.actor_id, event.actor_name, event.tenant) == ("sub-1", "Agent Dupont", "police")
    assert event.business_time.isoformat() == "2011-12-09T00:00:00+00:00"
    assert event.time > event.business_time
    assert event.classification == "restricted"
    assert event.data["funding_amount"] == "1000000.10"
    assert event.correlation_id == CTX.correlation_id


def test_the_postgres_settings_keep_the_insert_lock_whatever_the_environment(
    monkeypatch: pytest.MonkeyPatch, store: EventStoreConfig
) -> None:
    monkeypatch.setenv("POSTGRES_ENABLE_DB_FUNCTIONS", "y")
    monkeypatch.setenv("PERSISTENCE_MODULE", "eventsourcing.popo")

    ledger = CooperationLedger("police", store)

    assert ledger.env.get("POSTGRES_ENABLE_DB_FUNCTIONS") in (None, "n")
    assert ledger.env.get("PERSISTENCE_MODULE") != "eventsourcing.popo"
    if ledger.env.get("PERSISTENCE_MODULE") == "eventsourcing.postgres":
        assert ledger.env.get("POSTGRES_LOCK_TIMEOUT") == "5"
        assert ledger.env.get("POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT") == "10"


@pytest.mark.parametrize(
    ("now", "latest"),
    [
        ("2026-12-06T09:59:59+00:00", "2026-12-06"),
        ("2026-12-06T10:00:00+00:00", "2026-12-07"),  # midnight in Kiribati (UTC+14)
        ("2026-12-06T23:30:00+00:00", "2026-12-07"),  # 00:30 in Paris: its today is the 7th
    ],
)
def test_not_in_the_future_means_not_after_today_anywhere(
    store: EventStoreConfig, now: str, latest: str
) -> None:
    moment = datetime.fromisoformat(now)
    ledger = CooperationLedger("police", store, clock=lambda: moment)

    assert (ledger.today(), ledger.latest_today()) == (moment.date(), date.fromisoformat(latest))
