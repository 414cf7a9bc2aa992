"""The claims as a witness: each names a record whose events must be in the store.

A claim (``shared.application.claims``) is saved in the same transaction as the
event that took its value, and is never published or chained. Deleting an
agreement's only event (its signing) leaves no gap in any version sequence, so
without Kafka or a bundle the walk could not see it; the claim still names the
agreement as holder. A held claim whose holder has no event in the store is
that deletion, reported as ``MISSING``; one whose holder's reference is another
is a changed claim or changed events (a correction moves both in one
transaction), reported as ``ALTERED``. A post's coverage claims
(``shared.application.coverage``) are read the same way: the post holding a
country's claim covers that country now.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from shared.application.claims import ValueClaim, comparable
from shared.application.known_topics import CLAIMED_TOPIC
from shared.application.ledger import CooperationLedger
from shared.application.uniqueness import rows_of
from shared.audit.compare import STORE
from shared.audit.findings import Entry, Finding, Kind

log = logging.getLogger("entente.audit")

CLAIMS = "the claims"


def against_claims(ledger: CooperationLedger, entries: Sequence[Entry]) -> list[Finding]:
    """A finding for each held claim whose holder has no event among ``entries`` (MISSING),
    or whose holder's value is not the claimed one (ALTERED: the claim or the record's
    events were changed; a correction moves both in one transaction)."""
    recorded = {entry.aggregate_id for entry in entries}
    findings: list[Finding] = []
    for position, claim in _claims(ledger):
        if claim.holder is None:
            continue
        record = f"{claim.kind} {claim.holder}"
        where = f"the {claim.field} claim {claim.value!r} (stored at position {position})"
        if str(claim.holder) not in recorded:
            gone = f"{where} names {record}, which has no event in the store: its events are gone"
            findings.append(_finding(Kind.MISSING, gone, record, position))
            continue
        held = _value(ledger, claim)
        if held is not None and comparable(claim.value) not in {comparable(v) for v in held}:
            shown = held[0] if len(held) == 1 else held
            other = f"{where} names {record}, whose {claim.field} is {shown!r}"
            findings.append(_finding(Kind.ALTERED, other, record, position))
    return findings


def _finding(kind: Kind, detail: str, record: str, position: int) -> Finding:
    """A finding in the store, placed after the claim's position (the event's is unknown)."""
    return Finding(kind, STORE, None, detail, CLAIMS, record, after=position)


def _value(ledger: CooperationLedger, claim: ValueClaim) -> list[str] | None:
    """The claimed field of the holder as its events give it, as a list (a reference is
    one value, a post's coverage several); None: it does not decode, which the walk
    reports on its own."""
    if claim.holder is None:
        return None
    holder: Any
    try:
        holder = ledger.repository.get(claim.holder)
    except Exception as error:
        log.warning("record %s not read to check its claim: %s", claim.holder, error)
        return None
    value = getattr(holder, claim.field, None)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    return None


def _claims(ledger: CooperationLedger) -> list[tuple[int, ValueClaim]]:
    """Every claim, with the position of its first row, in log order."""
    found: list[tuple[int, ValueClaim]] = []
    for notification in rows_of(ledger, [CLAIMED_TOPIC]):
        claim: Any = None
        try:
            claim = ledger.repository.get(UUID(str(notification.originator_id)))
        except Exception as error:  # a claim that does not decode is no evidence
            log.warning("claim at position %d not read: %s", notification.id, error)
        if isinstance(claim, ValueClaim):
            found.append((notification.id, claim))
    return found
