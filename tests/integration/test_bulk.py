"""Bulk imports on both stores: one transaction, in order, replayable, all or nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from uuid import UUID

import pytest

from shared.application.bulk import MAX_ITEMS, create_all
from shared.application.ledger import CooperationLedger, Idempotency
from shared.domain.context import Actor, CommandContext
from shared.domain.mission import Mission
from shared.domain.vocabulary import Classification
from shared.errors import (
    BatchRejectedError,
    ConflictError,
    IdempotencyKeyReusedError,
    ValidationError,
)

CTX = CommandContext("police", Actor("sub-1", "Agent Dupont"))


def _request(title: str, requested_on: date = date(2013, 3, 14)) -> Callable[[UUID], Mission]:
    return lambda id_: Mission.request(
        CTX,
        id=id_,
        title=title,
        mission_type="training-course",
        countries=["KH"],
        organisations=[],
        themes=["forensic-science"],
        requested_by="Police nationale cambodgienne",
        post_id=None,
        requested_on=requested_on,
        description="",
        classification=Classification.INTERNAL,
        today=date(2026, 1, 1),
    )


def test_an_import_is_logged_in_order_with_the_last_position(ledger: CooperationLedger) -> None:
    result = create_all(ledger, [_request(f"Stage {i}") for i in range(MAX_ITEMS)], None)

    log = ledger.read_log(0, 1000)
    assert [UUID(e.aggregate_id) for _, e in log] == [i for i, _ in result.records]
    assert [e.data["title"] for _, e in log] == [f"Stage {i}" for i in range(MAX_ITEMS)]
    assert result.position == log[-1][0] == ledger.position()


def test_a_bad_item_records_nothing(ledger: CooperationLedger) -> None:
    builds = [_request("A"), _request("B", requested_on=date(2999, 1, 1)), _request("")]

    with pytest.raises(BatchRejectedError) as refused:
        create_all(ledger, builds, None)

    assert [(e["index"], e["rule"]) for e in refused.value.errors] == [
        (1, "not-in-future"),
        (2, "required"),
    ]
    assert ledger.position() == 0


def test_a_store_conflict_on_one_record_rolls_back_the_whole_import(
    ledger: CooperationLedger,
) -> None:
    taken = create_all(ledger, [_request("First")], None).records[0][0]
    before = ledger.position()
    builds = [_request("A"), lambda _: _request("Same id")(taken), _request("C")]

    with pytest.raises(ConflictError):
        create_all(ledger, builds, None)

    assert ledger.position() == before
    assert len(ledger.read_log(0, 100)) == 1


def test_a_replay_returns_the_first_result_and_another_body_is_refused(
    ledger: CooperationLedger,
) -> None:
    key = Idempotency("import-key-0001", "fingerprint-a")
    first = create_all(ledger, [_request("A"), _request("B")], key)
    position = ledger.position()

    again = create_all(ledger, [_request("A"), _request("B")], key)

    assert again.replayed
    assert not first.replayed
    assert (again.records, again.position) == (first.records, first.position)
    assert ledger.position() == position
    with pytest.raises(IdempotencyKeyReusedError):
        create_all(ledger, [_request("C")], Idempotency("import-key-0001", "fingerprint-b"))
    with pytest.raises(IdempotencyKeyReusedError):  # the single-command path reads it too
        ledger.create(_request("D"), Idempotency("import-key-0001", "fingerprint-c"))
    assert ledger.position() == position


def test_a_retry_whose_items_now_break_a_rule_is_answered_from_its_receipt(
    ledger: CooperationLedger,
) -> None:
    """The receipt is found at the save, or, when the items no longer build, before it."""
    key = Idempotency("import-key-0002", "fingerprint-a")
    first = create_all(ledger, [_request("A")], key)
    position = ledger.position()

    again = create_all(ledger, [_request("")], key)  # now refused: an empty title

    assert again.replayed
    assert again.records == first.records
    with pytest.raises(IdempotencyKeyReusedError):
        create_all(ledger, [_request("")], Idempotency("import-key-0002", "fingerprint-b"))
    with pytest.raises(BatchRejectedError):  # no receipt: the items' own errors
        create_all(ledger, [_request("")], Idempotency("import-key-0003", "fingerprint-a"))
    assert ledger.position() == position


@pytest.mark.parametrize("size", [0, MAX_ITEMS + 1])
def test_an_import_outside_the_size_limits_is_refused(ledger: CooperationLedger, size: int) -> None:
    with pytest.raises(ValidationError, match=f"1 to {MAX_ITEMS} items, not {size}"):
        create_all(ledger, [_request("A")] * size, None)
    assert ledger.position() == 0
