"""The command receipts as a witness: each names the record version its command made.

A receipt (``shared.application.receipt``) is saved in the same transaction as its
command's events, and never published or chained. Deleting a record's newest events
leaves no gap in its version sequence, and deleting a whole mission leaves no claim
naming it (only agreements hold claims): verify without Kafka or a bundle said OK. A
receipt naming a version beyond the last one its record holds in the store is that
deletion, reported ``MISSING`` (witness ``the command receipts``). A version missing
below the record's last is already a gap of its version sequence, reported there.
Only commands sent with an ``Idempotency-Key`` leave a receipt, so this witnesses
those; the topic and a bundle witness every event.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any

from shared.application.known_topics import RECEIPT_TOPICS
from shared.application.ledger import CooperationLedger
from shared.application.uniqueness import rows_of
from shared.audit.compare import STORE
from shared.audit.findings import Entry, Finding, Kind

log = logging.getLogger("entente.audit")

RECEIPTS = "the command receipts"


def against_receipts(
    ledger: CooperationLedger, entries: Sequence[Entry], *, through: int | None = None
) -> list[Finding]:
    """A finding for each record version a receipt names beyond what the store holds.

    ``through``: the store's last position when the walk began; receipts stored after it
    are not looked at (the walk may have ended before their events: not gone)."""
    last: dict[str, int] = {}
    for entry in entries:
        last[entry.aggregate_id] = max(entry.version, last.get(entry.aggregate_id, 0))
    findings: list[Finding] = []
    for position, record, version in _named(ledger):
        if through is not None and position > through:
            continue
        held = last.get(record, 0)
        if version <= held:
            continue
        holds = f"holds it up to v{held}" if held else "holds no event of it"
        detail = (
            f"the receipt of a command (stored at position {position}) names record {record} "
            f"v{version}; the store {holds}: its events are gone"
        )
        findings.append(
            Finding(Kind.MISSING, STORE, None, detail, RECEIPTS, f"record {record}", after=position)
        )
    return findings


def _named(ledger: CooperationLedger) -> Iterator[tuple[int, str, int]]:
    """(receipt position, record id, version) for each record version a receipt names."""
    for notification in rows_of(ledger, sorted(RECEIPT_TOPICS)):
        event: Any
        try:
            event = ledger.mapper.to_domain_event(notification)
        except Exception as error:  # the walk reports an undecodable row on its own
            log.warning("receipt at position %d not read: %s", notification.id, error)
            continue
        ids = getattr(event, "record_ids", None)
        versions = getattr(event, "record_versions", None)
        if ids is None or versions is None:
            ids = [getattr(event, "record_id", None)]
            versions = [getattr(event, "record_version", None)]
        if None in ids or None in versions:
            continue  # no receipt's fields: a retyped row, which the walk reports
        for record, version in zip(ids, versions, strict=False):
            yield notification.id, str(record), int(version)
