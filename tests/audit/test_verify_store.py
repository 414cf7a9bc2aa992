"""Tampering with the event store, on SQLite and PostgreSQL, caught by ``verify``.

The attacker has write access to the database and uses plain SQL. The witness
is a bundle exported before the tampering (the Kafka topic and checkpoints are
the other witness: tests/audit/test_verify_kafka.py). Each case checks the
FIRST finding: its kind, which copy is wrong, and where.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

from shared.application.claims import ClaimsReady, ValueClaim
from shared.application.ledger import CooperationLedger, Idempotency
from shared.application.receipt import CommandReceipt
from shared.application.stores import SqliteStore
from shared.audit.claims import against_claims
from shared.audit.export import export_bundle
from shared.audit.findings import Entry, Finding, Kind, VerifyReport
from shared.audit.progress import Quiet
from shared.audit.receipts import against_receipts
from shared.audit.store import PAGE_SIZE, Cursor
from shared.audit.verify import _store, verify_tenant
from shared.domain.agreement import Agreement
from shared.domain.context import CommandContext
from shared.domain.post import PostAbroad
from shared.domain.vocabulary import Classification

from .support import RECORDER, StoreTamper, sign, signed, write_history

RECEIPT = get_topic(CommandReceipt.Issued)
CLAIMED = get_topic(ValueClaim.Claimed)
RELEASED = get_topic(ValueClaim.Released)
READY = get_topic(ClaimsReady.Marked)

Tamper = Callable[[StoreTamper, list[int]], int]


def _positions(ledger: CooperationLedger) -> list[int]:
    return [position for position, _ in ledger.read_log(0, 1000)]


def _first(report: VerifyReport) -> Finding:
    assert report.first is not None, report.as_json()
    return report.first


def _forge_in_the_receipt_slot(tamper: StoreTamper, positions: list[int]) -> int:
    """Deletes a command receipt (not part of the chain) and puts a forged event in its id.

    A receipt's slot, not a claim's: a deleted claim is a finding of its own (the
    record whose value it held), made before the forged row's."""
    receipts = tamper.topics(RECEIPT)
    slot = next(p for p in range(1, positions[-1]) if p in receipts)
    tamper.delete(slot)
    tamper.insert_copy(positions[0], slot, uuid4(), 1)
    return slot


def _swap(tamper: StoreTamper, positions: list[int]) -> int:
    tamper.swap(positions[1], positions[5])
    return positions[1]


def _alter(tamper: StoreTamper, positions: list[int]) -> int:
    tamper.update_state(positions[3], lambda state: state.update(summary="Avenant falsifié"))
    return positions[3]


def _delete(tamper: StoreTamper, positions: list[int]) -> int:
    tamper.delete(positions[4])
    return positions[4]


@pytest.mark.parametrize(
    ("tamper", "kind"),
    [
        (_alter, Kind.ALTERED),
        (_delete, Kind.MISSING),
        (_forge_in_the_receipt_slot, Kind.INSERTED),
        (_swap, Kind.REORDERED),
    ],
    ids=["update-state", "delete-row", "insert-forged-row", "swap-order"],
)
def test_each_tampering_of_the_store_is_caught_with_its_kind_and_place(
    ledger: CooperationLedger, postgres: str | None, tmp_path: Path, tamper: Tamper, kind: Kind
) -> None:
    write_history(ledger)
    positions = _positions(ledger)
    export_bundle(ledger, tmp_path / "before.zip")
    before = dict(ledger.read_log(0, 1000))
    assert verify_tenant(ledger, against=tmp_path / "before.zip").ok

    where = tamper(StoreTamper(ledger, postgres), positions)
    report = verify_tenant(ledger, against=tmp_path / "before.zip")

    first = _first(report)
    assert (first.kind, first.source, first.position) == (kind, "store", where)
    assert first.witness == "the bundle"
    if kind is not Kind.INSERTED:
        original = before[where]
        assert first.record == f"agreement {original.aggregate_id} v{original.version}"
    if kind is Kind.ALTERED:
        assert 'data.summary: "Avenant 1" became "Avenant falsifié"' in first.detail
    if kind is Kind.REORDERED:
        assert f"is at position {positions[5]}" in first.detail


def test_without_a_witness_version_sequences_still_catch_a_deleted_or_moved_event(
    ledger: CooperationLedger, postgres: str | None
) -> None:
    write_history(ledger)
    positions = _positions(ledger)
    tamper = StoreTamper(ledger, postgres)

    tamper.update_state(positions[3], lambda state: state.update(summary="Invisible"))
    assert verify_tenant(ledger).ok  # an edit needs a witness outside the store
    tamper.delete(positions[4])  # A-1 v2: A-1 v3 then follows v1
    tamper.swap(positions[0], positions[3])  # A-0 v1 and v2 change places
    report = verify_tenant(ledger)

    assert report.witnesses == ["each record's version sequence"]
    kinds = [(f.kind, f.position) for f in report.findings]
    assert kinds == [(Kind.REORDERED, positions[0]), (Kind.MISSING, positions[7])]


def test_a_stored_event_that_cannot_be_decoded_is_reported_as_altered(
    ledger: CooperationLedger, postgres: str | None, tmp_path: Path
) -> None:
    write_history(ledger)
    positions = _positions(ledger)
    export_bundle(ledger, tmp_path / "before.zip")

    damaged = dict(ledger.read_log(0, 1000))[positions[2]]
    StoreTamper(ledger, postgres).replace_state(positions[2], b'{"title": "Accord A-2"')
    report = verify_tenant(ledger, against=tmp_path / "before.zip")

    first = _first(report)
    assert (first.kind, first.source, first.position) == (Kind.ALTERED, "store", positions[2])
    assert "cannot be decoded" in first.detail
    stored_as = f"the stored event of record {damaged.aggregate_id} v{damaged.version}"
    assert stored_as in first.detail  # where the auditor looks it up


@pytest.mark.parametrize(
    ("which", "topic", "reason"),
    [
        (-1, "os:system", "its topic 'os:system' is no event type of Entente"),
        (3, "nowhere:Event", "its topic 'nowhere:Event' is no event type of Entente"),
        (-1, RECEIPT, "its topic is a command receipt's, at version"),
        (-1, CLAIMED, "is written at version 1 only, not 3"),
        (-1, RELEASED, "changes a claim, and its record is no claim"),
        (0, RELEASED, "changes a claim, and its record is no claim"),
    ],
    ids=[
        "last-event-to-a-module",
        "middle-event-to-nothing",
        "last-event-to-a-receipt",
        "last-event-to-a-claim",
        "last-event-to-a-claim-s-release",
        "first-event-to-a-claim-s-release",
    ],
)
def test_an_event_whose_topic_was_changed_is_altered_even_without_a_witness(
    ledger: CooperationLedger, postgres: str | None, which: int, topic: str, reason: str
) -> None:
    """Read by topic, it dropped out of the walk: as a record's last event, unseen (OK)."""
    write_history(ledger)
    positions = _positions(ledger)
    assert verify_tenant(ledger).ok

    StoreTamper(ledger, postgres).retype(positions[which], topic)
    report = verify_tenant(ledger)

    first = _first(report)
    assert (first.kind, first.source, first.position) == (Kind.ALTERED, "store", positions[which])
    assert reason in first.detail
    assert report.events == len(positions)  # still counted where it stands


def test_holes_in_notification_ids_are_never_flagged(
    ledger: CooperationLedger, postgres: str | None, tmp_path: Path
) -> None:
    records = write_history(ledger)  # the receipt of the first command leaves a hole
    _lose_a_race(ledger, records[0])  # PostgreSQL: the rolled-back insert leaves another
    write_history(ledger, records=1, rounds=1)
    positions = _positions(ledger)
    assert positions != list(range(positions[0], positions[0] + len(positions)))

    export_bundle(ledger, tmp_path / "bundle.zip")
    report = verify_tenant(ledger, against=tmp_path / "bundle.zip")

    assert report.ok, [f.line() for f in report.findings]
    assert (report.events, report.last_position) == (len(positions), positions[-1])


def _lose_a_race(ledger: CooperationLedger, record: UUID) -> None:
    ctx = CommandContext(ledger.tenant, RECORDER)
    winner, loser = ledger.record(Agreement, record), ledger.record(Agreement, record)
    winner.correct(ctx, {"classification": Classification.INTERNAL.value}, "race", winner.signed_on)
    loser.correct(ctx, {"classification": Classification.RESTRICTED.value}, "race", loser.signed_on)
    ledger.save(winner)
    with pytest.raises(IntegrityError):
        ledger.save(loser)


def test_a_deleted_signing_is_missing_by_its_reference_claim_even_without_a_witness(
    ledger: CooperationLedger, postgres: str | None
) -> None:
    """An agreement's only event deleted: no version sequence has a gap, and verify said
    OK; the agreement's reference claim still names it."""
    write_history(ledger)
    lone = sign(ledger, "LONE-1")  # one event, the store's last
    position = _positions(ledger)[-1]
    assert verify_tenant(ledger).ok

    StoreTamper(ledger, postgres).delete(position)
    report = verify_tenant(ledger)

    first = _first(report)
    assert (first.kind, first.source, first.witness) == (
        Kind.MISSING,
        "store",
        "the claims",
    )
    assert first.record == f"agreement {lone}"
    assert "'LONE-1'" in first.detail
    assert len(report.findings) == 1


def test_a_claim_naming_another_agreement_than_its_value_s_is_altered(
    ledger: CooperationLedger, postgres: str | None
) -> None:
    """The claim of A-1 rewritten to name A-2: without a witness, verify said OK."""
    ids = write_history(ledger)
    assert verify_tenant(ledger).ok
    claims = ledger.recorder.select_notifications(0, 100, topics=[get_topic(ValueClaim.Claimed)])
    [a_1] = [n.id for n in claims if b'"A-1"' in bytes(n.state)]

    forged = {"_type_": "uuid_hex", "_data_": ids[2].hex}  # as the library writes a UUID
    StoreTamper(ledger, postgres).update_state(a_1, lambda state: state.update(holder=forged))
    report = verify_tenant(ledger)

    first = _first(report)
    assert (first.kind, first.witness, first.record) == (
        Kind.ALTERED,
        "the claims",
        f"agreement {ids[2]}",
    )
    assert f"names agreement {ids[2]}, whose reference is 'A-2'" in first.detail


def test_a_coverage_claim_naming_a_post_that_does_not_cover_the_country_is_altered(
    ledger: CooperationLedger, postgres: str | None
) -> None:
    """Vietnam's coverage claim rewritten to name Bangkok's post, which covers Thailand."""

    def post(city: str, country: str) -> Callable[[UUID], PostAbroad]:
        return lambda id_: PostAbroad.open(
            CommandContext("police", RECORDER),
            id=id_,
            name=f"SSI {city}",
            city=city,
            host_country=country,
            covered_countries=[country],
            opened_on=date(2005, 9, 1),
            classification=Classification.PUBLIC,
        )

    posts = {
        c: ledger.create(post(city, c), None).record_id
        for city, c in [("Hanoï", "VN"), ("Bangkok", "TH")]
    }
    assert verify_tenant(ledger).ok
    claims = ledger.recorder.select_notifications(0, 100, topics=[get_topic(ValueClaim.Claimed)])
    [vietnam] = [n.id for n in claims if b'"VN"' in bytes(n.state)]

    forged = {"_type_": "uuid_hex", "_data_": posts["TH"].hex}
    StoreTamper(ledger, postgres).update_state(vietnam, lambda state: state.update(holder=forged))
    report = verify_tenant(ledger)

    first = _first(report)
    assert (first.kind, first.witness, first.record) == (
        Kind.ALTERED,
        "the claims",
        f"post abroad {posts['TH']}",
    )
    assert "whose covered_countries is 'TH'" in first.detail
    assert len(report.findings) == 1


def _claim_position(ledger: CooperationLedger, value: str) -> int:
    claims = ledger.recorder.select_notifications(0, 1000, topics=[CLAIMED])
    [position] = [n.id for n in claims if f'"{value}"'.encode() in bytes(n.state)]
    return position


def test_a_deleted_reference_claim_is_missing_though_the_reference_was_taken_again(
    ledger: CooperationLedger, postgres: str | None
) -> None:
    """A-1's claim deleted by hand: a second agreement was signed under 'a-1' and verify,
    without a witness, said OK. The agreement whose reference no claim names is found."""
    ids = write_history(ledger)
    StoreTamper(ledger, postgres).delete(_claim_position(ledger, "A-1"))
    [free] = verify_tenant(ledger).findings

    again = sign(ledger, "a-1")  # the hole the claim closed
    report = verify_tenant(ledger)

    assert (free.kind, free.record) == (Kind.MISSING, f"agreement {ids[1]}")
    assert "holds the reference 'A-1' but no claim names it" in free.detail
    assert f"in the store after position {free.after} (agreement" in free.line()

    assert [(f.kind, f.witness, f.record) for f in report.findings] == [
        (Kind.MISSING, "the claims", f"agreement {ids[1]}")
    ]
    assert (
        f"holds the reference 'A-1', whose claim names agreement {again}: two hold it"
        in report.findings[0].detail
    )


def test_a_deleted_claims_marker_is_missing_while_its_claims_remain(
    ledger: CooperationLedger, postgres: str | None
) -> None:
    write_history(ledger)
    [marker] = ledger.recorder.select_notifications(0, 1000, topics=[READY])
    StoreTamper(ledger, postgres).delete(marker.id)

    report = verify_tenant(ledger)

    [finding] = report.findings
    assert (finding.kind, finding.witness) == (Kind.MISSING, "the claims")
    assert finding.after == _claim_position(ledger, "A-0")
    assert "holds 3 claims of unique values but not the marker" in finding.detail


def test_references_shared_before_they_had_to_be_unique_are_no_finding(
    ledger: CooperationLedger, postgres: str | None
) -> None:
    """A store of an earlier release: its agreements got their claims at the first signing
    of this one, the first holder of 'A-1' keeping it (tests/integration's backfill test);
    the later 'a-1' keeps its value and no claim, as the backfill logged. Its own claim
    deleted, B-2 is found."""
    old = []
    for reference in ("A-1", "B-2", "a-1"):  # saved as an earlier release did: no claims
        agreement = signed("police", uuid4(), reference)
        ledger.save(agreement)
        old.append(agreement.id)
    assert verify_tenant(ledger).ok  # no claim and no marker yet: nothing to check
    sign(ledger, "C-3")  # the backfill: claims of A-1 (first holder) and B-2, the marker
    assert verify_tenant(ledger).ok

    StoreTamper(ledger, postgres).delete(_claim_position(ledger, "B-2"))
    report = verify_tenant(ledger)

    assert [(f.kind, f.record) for f in report.findings] == [(Kind.MISSING, f"agreement {old[1]}")]


def test_a_record_s_newest_event_deleted_is_missing_by_its_command_receipt(
    ledger: CooperationLedger, postgres: str | None
) -> None:
    """Its version sequence has no gap (the deleted one was the last) and no claim names
    it: verify without a witness said OK. The command's receipt names that version."""
    ids = write_history(ledger)
    version = ledger.record(Agreement, ids[1]).version
    key = Idempotency("amendment-of-a-1", "fingerprint")
    ctx = CommandContext("police", RECORDER)
    ledger.change(
        Agreement, ids[1], version, lambda a: a.amend(ctx, date(2012, 6, 1), "Avenant 3"), key
    )
    [(position, _)] = [
        (p, e) for p, e in ledger.read_log(0, 1000) if e.aggregate_id == str(ids[1])
    ][-1:]
    assert verify_tenant(ledger).ok

    StoreTamper(ledger, postgres).delete(position)
    report = verify_tenant(ledger)

    [finding] = report.findings
    assert (finding.kind, finding.witness) == (Kind.MISSING, "the command receipts")
    assert f"names record {ids[1]} v{version + 1}; the store holds it up to v{version}" in (
        finding.detail
    )


def test_a_bundle_of_another_installation_is_one_finding_not_every_event_altered(
    ledger: CooperationLedger, tmp_path: Path
) -> None:
    """Its genesis names the tenant only, so it chained like this store's: every event
    read ALTERED (probe 11). Either the bundle or the store is not the one meant."""
    elsewhere = CooperationLedger(ledger.tenant, SqliteStore(tmp_path / "elsewhere"))
    write_history(elsewhere)
    export_bundle(elsewhere, tmp_path / "elsewhere.zip")
    elsewhere.close()
    write_history(ledger)

    report = verify_tenant(ledger, against=tmp_path / "elsewhere.zip")

    [finding] = report.findings
    assert (finding.kind, finding.source, finding.position) == (Kind.ALTERED, "store", None)
    assert finding.detail.startswith("none of the bundle's ")
    assert "no event id in common" in finding.detail
    assert report.witnesses[-1] == "bundle elsewhere.zip (no event in common with the store)"
    export_bundle(ledger, tmp_path / "here.zip")
    assert verify_tenant(ledger, against=tmp_path / "here.zip").ok


def test_commands_recorded_after_the_walk_are_no_finding(ledger: CooperationLedger) -> None:
    """Officers recording while the auditor verifies: the receipts and claims of commands
    stored after the walk's last page named records the walk had not read, and verify
    reported thousands of events "gone" (probe 14)."""
    write_history(ledger)
    began = ledger.position()  # what verify_tenant reads before its walk
    entries, _, _ = _walked(ledger)
    for n in range(3):  # recorded after the walk, before the bookkeeping checks
        sign(ledger, f"LATE-{n}", key=Idempotency(f"late-key-{n}", "fingerprint"))

    walked_only = against_claims(ledger, entries, through=began)
    walked_only += against_receipts(ledger, entries, through=began)
    everything = against_claims(ledger, entries) + against_receipts(ledger, entries)

    assert walked_only == []
    assert len(everything) >= 3  # what the checks said before: the late records "gone"
    assert verify_tenant(ledger).ok


def _walked(ledger: CooperationLedger) -> tuple[list[Entry], Cursor, object]:
    """The store walked as ``verify_tenant`` walks it (its entries and last cursor)."""
    return _store(ledger, None, False, PAGE_SIZE, Quiet(), None)
