"""Two agreements of one directorate may not share a reference (SQLite and PostgreSQL).

The rule is kept by claims saved with the agreement's event (``uniqueness``);
these tests go through the ledger as the API does, on both stores.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import date
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from shared.application.claims import ClaimsReady, ValueClaim, claim_id, comparable, ready_id
from shared.application.ledger import CommandResult, CooperationLedger, Idempotency
from shared.application.stores import EventStoreConfig, SqliteStore
from shared.domain.agreement import Agreement
from shared.domain.context import Actor, CommandContext
from shared.domain.vocabulary import Classification
from shared.errors import ValueTakenError
from tests.integration.race import at_once

CTX = CommandContext("police", Actor("sub-1", "Agent Dupont"))


def _agreement(reference: str) -> Callable[[UUID], Agreement]:
    return lambda id_: Agreement.sign(
        CTX,
        id=id_,
        reference=reference,
        title=f"Accord {reference}",
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
    )


def _sign(
    ledger: CooperationLedger, reference: str, key: Idempotency | None = None
) -> CommandResult:
    return ledger.create(_agreement(reference), key)


def _correct(ledger: CooperationLedger, record_id: UUID, reference: str) -> CommandResult:
    version = ledger.record(Agreement, record_id).version
    return ledger.change(
        Agreement,
        record_id,
        version,
        lambda a: a.correct(
            CTX, {"reference": reference}, "Référence du Journal officiel", date(2010, 1, 4)
        ),
        None,
    )


def _holder(ledger: CooperationLedger, reference: str) -> UUID | None:
    claim: object = ledger.repository.get(claim_id("police", "agreement", "reference", reference))
    assert isinstance(claim, ValueClaim)
    return claim.holder


def test_a_second_agreement_with_a_reference_already_taken_is_refused_and_nothing_recorded(
    ledger: CooperationLedger,
) -> None:
    first = _sign(ledger, "FR-VN-2009")
    before = ledger.position()

    with pytest.raises(ValueTakenError) as refused:
        _sign(ledger, " fr-vn-2009 ")

    assert refused.value.field == "reference"
    assert refused.value.rule == "reference-taken"
    assert refused.value.holder == str(first.record_id)
    assert f"{first.record_id} as 'FR-VN-2009'" in refused.value.detail  # as the holder has it
    with pytest.raises(ValueTakenError):
        _sign(ledger, "FR-VN-2009\u200b")  # looks exactly the same
    assert ledger.position() == before
    assert len(ledger.read_log(0, 100)) == 1


def test_references_are_compared_as_people_compare_them() -> None:
    assert comparable("FR-VN-2009") == comparable("  fr-vn-2009 ") == comparable("ＦＲ-ＶＮ-2009")
    assert comparable("FR  VN 2009") == comparable("fr vn 2009")
    # What shows nothing: zero-width space, BOM, joiner, soft hyphen, bidi mark, filler.
    hiding = ("\u200b", "\ufeff", "\u200d", "\u00ad", "\u200f", "\u180e", "\u034f")
    selectors = ("\ufe0f", "\ufe00", "\U000e0100", "\u2800")  # and the braille blank
    for hidden in (*hiding, *selectors):
        assert comparable(f"FR-VN{hidden}-2009{hidden}") == comparable("FR-VN-2009"), hidden
    # A hidden character between a letter and its accent hid the letter it makes.
    for hidden in ("\u200b", "\ufe0f"):
        assert comparable(f"CAFE{hidden}\u0301") == comparable("CAFÉ"), hidden
    assert comparable("FR-VN-2009") != comparable("FR-VN-2010")
    assert comparable("FR-VN-2009") != comparable("FRVN2009")


def test_another_directorate_may_use_the_same_reference(store: EventStoreConfig) -> None:
    police = CooperationLedger("police", store)
    gendarmerie = CooperationLedger("gendarmerie", store)

    _sign(police, "FR-VN-2009")
    _sign(gendarmerie, "FR-VN-2009")

    assert len(police.read_log(0, 10)) == len(gendarmerie.read_log(0, 10)) == 1


def test_a_corrected_reference_frees_the_old_one_and_takes_the_new(
    ledger: CooperationLedger,
) -> None:
    first = _sign(ledger, "FR-VN-2009")
    other = _sign(ledger, "FR-KH-2013")

    with pytest.raises(ValueTakenError) as refused:
        _correct(ledger, other.record_id, "fr-vn-2009")
    assert refused.value.field == "changes.reference"
    assert ledger.record(Agreement, other.record_id).reference == "FR-KH-2013"

    _correct(ledger, first.record_id, "FR-VN-2009-AIG")
    assert _holder(ledger, "FR-VN-2009") is None
    assert _holder(ledger, "FR-VN-2009-AIG") == first.record_id

    moved = _correct(ledger, other.record_id, "FR-VN-2009")  # free again: taken by another
    assert moved.version == 2
    assert _holder(ledger, "FR-VN-2009") == other.record_id
    assert _holder(ledger, "FR-KH-2013") is None
    with pytest.raises(ValueTakenError):
        _sign(ledger, "FR-VN-2009")
    _sign(ledger, "FR-KH-2013")  # the one it gave up


def test_a_correction_of_case_only_keeps_the_claim(ledger: CooperationLedger) -> None:
    first = _sign(ledger, "fr-vn-2009")

    _correct(ledger, first.record_id, "FR-VN-2009")

    assert ledger.record(Agreement, first.record_id).reference == "FR-VN-2009"
    assert _holder(ledger, "FR-VN-2009") == first.record_id


def test_a_retry_is_answered_from_its_receipt_not_refused_as_a_taken_reference(
    ledger: CooperationLedger,
) -> None:
    key = Idempotency("sign-key-0001", "fingerprint")
    first = _sign(ledger, "FR-VN-2009", key)

    again = _sign(ledger, "FR-VN-2009", key)

    assert again.replayed
    assert again.record_id == first.record_id


def test_concurrent_signings_of_one_reference_record_one_agreement(
    store: EventStoreConfig,
) -> None:
    """Both writers read "free"; the store's unique claim id lets one transaction win."""
    ledgers = [CooperationLedger("police", store) for _ in range(4)]
    _sign(ledgers[0], "WARM-UP")  # the store's claims marker, out of the race
    results = at_once(ledgers, lambda ledger, _: _sign(ledger, "FR-VN-2009"), ValueTakenError)

    won = [r for r in results if isinstance(r, CommandResult)]
    refused = [r for r in results if isinstance(r, ValueTakenError)]
    assert len(won) == 1, results
    assert len(refused) == len(ledgers) - 1, results
    assert {r.holder for r in refused} == {str(won[0].record_id)}
    assert len(ledgers[0].read_log(0, 100)) == 2


def test_agreements_recorded_before_the_rule_get_their_claims_the_first_holder_keeping_it(
    store: EventStoreConfig, caplog: pytest.LogCaptureFixture
) -> None:
    """A store written by an earlier release: agreements without claims, two sharing one."""
    old = CooperationLedger("police", store)
    ids = []
    for reference in ("A-1", "B-2", "a-1"):  # saved as an earlier release did: no claims
        agreement = _agreement(reference)(uuid4())
        old.save(agreement)
        ids.append(agreement.id)

    ledger = CooperationLedger("police", store)  # the new release starts
    with pytest.raises(ValueTakenError) as refused:
        _sign(ledger, "b-2")

    assert refused.value.holder == str(ids[1])
    assert _holder(ledger, "A-1") == ids[0]  # signed first; the third keeps its value
    marker: object = ledger.repository.get(ready_id("police"))
    assert isinstance(marker, ClaimsReady)
    assert marker.claims == 2
    assert f"{ids[0]} and {ids[2]} share the reference 'a-1'" in caplog.text
    assert ledger.record(Agreement, ids[2]).reference == "a-1"  # nothing altered
    _sign(ledger, "C-3")
    assert _holder(ledger, "C-3") is not None


def test_an_old_agreement_that_does_not_decode_does_not_stop_signings(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """One altered row (which the audit reports) must not refuse every signing."""
    store = SqliteStore(tmp_path)
    old = CooperationLedger("police", store)
    damaged, kept = _agreement("A-1")(uuid4()), _agreement("B-2")(uuid4())
    old.save(damaged, kept)  # as an earlier release saved them: no claims
    old.close()
    with sqlite3.connect(tmp_path / "police.events.sqlite3") as db:
        db.execute(
            "UPDATE stored_events SET state = ? WHERE originator_id = ?",
            (b"not json", damaged.id.hex),
        )

    ledger = CooperationLedger("police", store)
    _sign(ledger, "C-3")

    assert f"record {damaged.id} not read, so given no claim" in caplog.text
    assert _holder(ledger, "B-2") == kept.id
    with pytest.raises(ValueTakenError):
        _sign(ledger, "b-2")
