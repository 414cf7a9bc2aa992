"""Bulk imports: many new records in one transaction, all of them or none.

A desk that receives a spreadsheet of foreign requests must not end up with
half of it recorded, nor with it recorded twice after a retry. So every item is
built first (each runs its own guards) and errors are collected with the
item's index; only if all items pass are the records and, with an
``Idempotency-Key``, one ``ImportReceipt`` handed to a single
``Application.save`` call, which the library writes in one transaction. A
retry's receipt makes that save fail as a whole (its id is taken), and the
retry is answered from the receipt.

This module uses ``CooperationLedger``'s public surface only (``repository``,
``recorder``, ``save``), mirroring ``CooperationLedger.create`` for N records.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from shared.application.ledger import CooperationLedger, Idempotency
from shared.application.positions import position_of
from shared.application.receipt import ImportReceipt, receipt_id
from shared.domain.base import EntenteAggregate
from shared.errors import (
    BatchRejectedError,
    ConflictError,
    DomainRuleViolation,
    IdempotencyKeyReusedError,
    InvalidFieldsError,
    ValidationError,
)
from shared.ids import random_uuid

#: The most records one import may carry: one transaction stays short, one body small.
MAX_ITEMS = 100

Build = Callable[[UUID], EntenteAggregate]


@dataclass(frozen=True)
class BulkResult:
    """What an import answers: each record's id and version, in the order sent.

    ``position`` is the log position of the last record's event, the one to
    wait for in the views (``min_position``); ``replayed`` is true when an
    idempotent retry returned the first result.
    """

    records: tuple[tuple[UUID, int], ...]
    position: int
    replayed: bool = False


def create_all(
    ledger: CooperationLedger, builds: Sequence[Build], idempotency: Idempotency | None
) -> BulkResult:
    """Records the aggregates ``builds`` make, in one transaction, or raises and records none.

    Raises ``BatchRejectedError`` naming every item whose build broke a rule.
    """
    if not 1 <= len(builds) <= MAX_ITEMS:
        raise ValidationError(
            "items", "batch-size", f"an import holds 1 to {MAX_ITEMS} items, not {len(builds)}"
        )
    # The receipt is not looked up first (a round trip and a tenth of an import's
    # Python): a retry collides with it at the save and is answered from it there.
    # A retry whose items now break a rule is still answered from its receipt.
    try:
        records = _build_all(builds)
    except Exception:
        replay = _replay(ledger, idempotency)
        if replay is not None:
            return replay
        raise
    created = [(record.id, record.version) for record in records]
    receipt = None
    if idempotency is not None:
        receipt_key = receipt_id(ledger.tenant, idempotency.key)
        receipt = ImportReceipt.issue_for(receipt_key, idempotency.fingerprint, created)
    try:
        recordings = ledger.save(*records, receipt)
    except IntegrityError:
        replay = _replay(ledger, idempotency)  # the same import, committed first by a retry
        if replay is not None:
            return replay
        raise ConflictError("another change was recorded first; retry the import") from None
    ids = {record_id for record_id, _ in created}
    position = max(r.notification.id for r in recordings if r.domain_event.originator_id in ids)
    return BulkResult(tuple(created), position)


class ItemRejectedError(Exception):
    """Raised by an item's build when its body failed the format checks already.

    The other items are still built, so one answer names every bad item: the
    malformed ones with each format error (``issues``: field within the item,
    rule, message), the well-formed ones with the business rule they break.
    """

    def __init__(self, issues: Sequence[tuple[str, str, str]]) -> None:
        super().__init__(f"{len(issues)} format errors")
        self.issues = issues


def _build_all(builds: Sequence[Build]) -> list[EntenteAggregate]:
    """Every record, or BatchRejectedError listing each item that broke a rule."""
    records: list[EntenteAggregate] = []
    errors: list[dict[str, object]] = []
    for index, build in enumerate(builds):
        try:
            records.append(build(random_uuid()))
        except ItemRejectedError as rejected:
            errors += [
                {"index": index, "field": _place(index, f), "rule": rule, "message": message}
                for f, rule, message in rejected.issues
            ]
        except (ValidationError, DomainRuleViolation) as error:
            each = error.each if isinstance(error, InvalidFieldsError) else [error]
            errors += [
                {
                    "index": index,
                    "field": _place(index, broken.field),
                    "rule": broken.rule,
                    "message": broken.detail,
                }
                for broken in each
            ]
    if errors:
        raise BatchRejectedError(errors, len(builds))
    return records


def _place(index: int, field: str | None) -> str:
    """``items.3.title``: the field of an item, as a single command's error names it."""
    return f"items.{index}.{field}" if field else f"items.{index}"


def _replay(ledger: CooperationLedger, idempotency: Idempotency | None) -> BulkResult | None:
    receipt = ledger.receipt(idempotency)
    if receipt is None:
        return None
    if not isinstance(receipt, ImportReceipt):  # the key of a single command, same body
        raise IdempotencyKeyReusedError(
            "this Idempotency-Key was already used with a different request, or by another "
            "caller: send a fresh key (a UUID) with each new request"
        )
    records: tuple[tuple[UUID, int], ...] = tuple(
        zip(receipt.record_ids, receipt.record_versions, strict=True)
    )
    position = position_of(ledger.recorder, receipt.record_id, receipt.record_version)
    return BulkResult(records, position or 0, replayed=True)
