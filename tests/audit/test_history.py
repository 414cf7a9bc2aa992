"""A record's history with the change each event made, and its state as of either time.

Runs on SQLite and PostgreSQL. The scenario: an agreement signed on 9 Dec 2011,
amended on 1 Jan 2012, then a typing error in its title corrected — recorded
last, but dated (business time) 20 Dec 2011, before the amendment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from uuid import UUID, uuid4

import pytest

from shared.application.ledger import CooperationLedger, Idempotency
from shared.application.receipt import receipt_id
from shared.audit.errors import NotExistingYetError, UnknownRecordError
from shared.audit.history import record_history, state_as_of

from .support import amend, correct, sign

PREFIX = "fr.interieur.entente.agreement"


@dataclass(frozen=True)
class Story:
    record: UUID
    signed: datetime  # recorded times, taken between the commands
    amended: datetime
    corrected: datetime


@pytest.fixture
def story(ledger: CooperationLedger) -> Story:
    record = sign(ledger, "FR-VN-2011")
    signed = datetime.now(UTC)
    amend(ledger, record, date(2012, 1, 1), "Extension to Laos")
    amended = datetime.now(UTC)
    correct(ledger, record, date(2011, 12, 20), title="Accord FR-VN-2011 (corrigé)")
    return Story(record, signed, amended, datetime.now(UTC))


def test_the_history_shows_each_event_with_who_both_times_and_the_change(
    ledger: CooperationLedger, story: Story
) -> None:
    history = record_history(ledger, story.record)

    assert (history.aggregate_type, history.version, history.tenant) == ("agreement", 3, "police")
    events = [step.event for step in history.steps]
    assert [(e.type, e.version) for e in events] == [
        (f"{PREFIX}.signed.v2", 1),
        (f"{PREFIX}.amended.v1", 2),
        (f"{PREFIX}.corrected.v1", 3),
    ]
    assert [e.actor_name for e in events] == ["Claire Martin", "Claire Martin", "Jean Dupont"]
    assert [e.business_time.date() for e in events] == [
        date(2011, 12, 9),
        date(2012, 1, 1),
        date(2011, 12, 20),
    ]
    assert events[0].time <= story.signed <= events[1].time <= story.amended <= events[2].time
    assert [e.position for e in events] == sorted(e.position for e in events)
    assert all(e.position > 0 for e in events)
    created = {c.field: (c.before, c.after) for c in history.steps[0].changes}
    assert created["title"] == (None, "Accord FR-VN-2011")
    assert created["status"] == (None, "in-force")
    assert created["expires_on"] == (None, "2014-12-09")
    amended = [(c.field, c.before, c.after) for c in history.steps[1].changes]
    assert amended == [("amendments", [], [{"on": "2012-01-01", "summary": "Extension to Laos"}])]
    corrected = [(c.field, c.before, c.after) for c in history.steps[2].changes]
    assert corrected == [("title", "Accord FR-VN-2011", "Accord FR-VN-2011 (corrigé)")]
    assert history.state["title"] == "Accord FR-VN-2011 (corrigé)"


def test_as_of_a_recorded_time_gives_what_the_ledger_said_then(
    ledger: CooperationLedger, story: Story
) -> None:
    first = state_as_of(ledger, story.record, story.signed, "recorded")
    second = state_as_of(ledger, story.record, story.amended, "recorded")

    assert (first.version, first.applied, first.left_out) == (1, [1], [2, 3])
    assert first.state["amendments"] == []
    assert (second.version, second.applied, second.left_out) == (2, [1, 2], [3])
    assert second.state["title"] == "Accord FR-VN-2011"  # the mistake, as it was known then
    assert len(second.state["amendments"]) == 1
    with pytest.raises(NotExistingYetError):
        state_as_of(ledger, story.record, story.signed - timedelta(days=1), "recorded")


def test_as_of_a_business_time_applies_a_back_dated_correction_and_says_what_it_left_out(
    ledger: CooperationLedger, story: Story
) -> None:
    new_year_eve = datetime(2011, 12, 31, tzinfo=UTC)

    found = state_as_of(ledger, story.record, new_year_eve, "business")

    assert (found.axis, found.version, found.applied, found.left_out) == (
        "business",
        3,
        [1, 3],
        [2],
    )
    assert found.state["title"] == "Accord FR-VN-2011 (corrigé)"
    assert found.state["amendments"] == []  # the amendment is dated 2012
    before_correction = state_as_of(
        ledger, story.record, datetime(2011, 12, 15, tzinfo=UTC), "business"
    )
    assert (before_correction.applied, before_correction.state["title"]) == (
        [1],
        "Accord FR-VN-2011",
    )
    later = state_as_of(ledger, story.record, datetime(2012, 6, 1, tzinfo=UTC), "business")
    assert (later.applied, later.left_out) == ([1, 2, 3], [])
    with pytest.raises(NotExistingYetError):
        state_as_of(ledger, story.record, datetime(2011, 12, 8, tzinfo=UTC), "business")


def test_an_agreements_status_is_the_one_the_register_shows_on_the_day_asked(
    ledger: CooperationLedger, story: Story
) -> None:
    """Signed 2011-12-09 for 36 months: expired after 2014-12-09. The audit said
    ``in-force`` for ever, where the record read and the register said ``expired``."""
    history = record_history(ledger, story.record)
    in_term = state_as_of(ledger, story.record, datetime(2013, 6, 1, tzinfo=UTC), "business")
    last_day = state_as_of(
        ledger, story.record, datetime(2014, 12, 9, 23, 0, tzinfo=UTC), "business"
    )
    after = state_as_of(ledger, story.record, datetime(2030, 1, 1, tzinfo=UTC), "business")
    # the instant's day in UTC: 10 December 01:00 in Paris is still the 9th
    paris = timezone(timedelta(hours=1))
    late_evening = state_as_of(
        ledger, story.record, datetime(2014, 12, 10, 0, 30, tzinfo=paris), "business"
    )

    assert (history.state["status"], history.state["recorded_status"]) == ("expired", "in-force")
    assert (in_term.state["status"], in_term.state["recorded_status"]) == ("in-force", "in-force")
    assert last_day.state["status"] == "in-force"  # the expiry day is the last day in force
    assert (after.state["status"], after.state["recorded_status"]) == ("expired", "in-force")
    assert late_evening.state["status"] == "in-force"
    # the history's changes stay what the events recorded
    created = {c.field: c.after for c in history.steps[0].changes}
    assert created["status"] == "in-force"
    assert "recorded_status" not in created


def test_an_unknown_id_or_a_command_receipt_is_not_a_record(ledger: CooperationLedger) -> None:
    key = Idempotency("audit-history-key", "fingerprint")
    sign(ledger, "FR-KH-2012", key=key)

    with pytest.raises(UnknownRecordError):
        record_history(ledger, uuid4())
    with pytest.raises(UnknownRecordError):
        record_history(ledger, receipt_id(ledger.tenant, key.key))
    with pytest.raises(ValueError, match="timezone-aware"):
        state_as_of(ledger, uuid4(), datetime(2012, 1, 1), "recorded")
