"""The reference claims as a witness: each names a record whose events must be in the store.

A claim (``shared.application.claims``) is saved in the same transaction as the
event that took its value, and is never published or chained. Deleting an
agreement's only event (its signing) leaves no gap in any version sequence, so
without Kafka or a bundle the walk could not see it; the claim still names the
agreement as holder. A held claim whose holder has no event in the store is
that deletion, reported as ``MISSING``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from shared.application.claims import ValueClaim
from shared.application.known_topics import CLAIMED_TOPIC
from shared.application.ledger import CooperationLedger
from shared.audit.compare import STORE
from shared.audit.findings import Entry, Finding, Kind

log = logging.getLogger("entente.audit")

CLAIMS = "the reference claims"
_PAGE = 1000


def held_by_no_record(ledger: CooperationLedger, entries: Sequence[Entry]) -> list[Finding]:
    """A finding for each held claim whose holder has no event among ``entries``."""
    recorded = {entry.aggregate_id for entry in entries}
    findings: list[Finding] = []
    for position, claim in _claims(ledger):
        if claim.holder is None or str(claim.holder) in recorded:
            continue
        record = f"{claim.kind} {claim.holder}"
        findings.append(
            Finding(
                Kind.MISSING,
                STORE,
                None,
                f"the {claim.field} claim {claim.value!r} (stored at position {position}) names "
                f"{record}, which has no event in the store: its events are gone",
                CLAIMS,
                record,
                after=position,
            )
        )
    return findings


def _claims(ledger: CooperationLedger) -> list[tuple[int, ValueClaim]]:
    """Every claim, with the position of its first row, in log order."""
    found: list[tuple[int, ValueClaim]] = []
    start = 0
    while True:
        page = ledger.recorder.select_notifications(
            start=start, limit=_PAGE, topics=[CLAIMED_TOPIC], inclusive_of_start=False
        )
        for notification in page:
            claim: Any = None
            try:
                claim = ledger.repository.get(UUID(str(notification.originator_id)))
            except Exception as error:  # a claim that does not decode is no evidence
                log.warning("claim at position %d not read: %s", notification.id, error)
            if isinstance(claim, ValueClaim):
                found.append((notification.id, claim))
        if len(page) < _PAGE:
            return found
        start = page[-1].id
