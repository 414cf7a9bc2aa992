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

from eventsourcing.utils import get_topic

from shared.application.claims import ClaimsReady, ValueClaim, claim_id, comparable, ready_id
from shared.application.known_topics import CLAIM_CHANGE_TOPICS, CLAIMED_TOPIC
from shared.application.ledger import CooperationLedger
from shared.application.uniqueness import UNIQUE_KINDS, rows_of
from shared.audit.compare import STORE
from shared.audit.findings import Entry, Finding, Kind
from shared.domain.base import EntenteAggregate
from shared.domain.catalogue import aggregate_type_of

log = logging.getLogger("entente.audit")

CLAIMS = "the claims"


def against_claims(
    ledger: CooperationLedger, entries: Sequence[Entry], *, through: int | None = None
) -> list[Finding]:
    """A finding for each held claim whose holder has no event among ``entries`` (MISSING),
    or whose holder's value is not the claimed one (ALTERED: the claim or the record's
    events were changed; a correction moves both in one transaction).

    ``through``: the store's last position when the walk began; a claim stored (or
    changed) after it belongs to a command the walk may have ended before, and is not
    looked at here. Values without a claim are looked for among all claims: both are
    read as they are now."""
    recorded = {entry.aggregate_id for entry in entries}
    claims = _claims(ledger)
    later = set() if through is None else _changed_after(ledger, through)
    findings: list[Finding] = []
    altered: set[UUID] = set()  # claims found naming a record without their value
    for position, claim in claims:
        if claim.holder is None or claim.id in later:
            continue
        if through is not None and position > through:
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
            altered.add(claim.id)
    return findings + _unclaimed(ledger, entries, claims, altered)


#: Record kinds with unique values, by the type name their events carry.
_UNIQUE_TYPES: dict[str, type[EntenteAggregate]] = {
    aggregate_type_of(cls): cls for cls in UNIQUE_KINDS
}
_READY_TOPIC = get_topic(ClaimsReady.Marked)


def _unclaimed(
    ledger: CooperationLedger,
    entries: Sequence[Entry],
    claims: Sequence[tuple[int, ValueClaim]],
    altered: set[UUID],
) -> list[Finding]:
    """A finding for each unique value a record holds and no claim does (see the module's
    docstring), or for the marker, deleted while claims remain. A value whose claim was
    found ``altered`` (naming another record) is that one finding, not a second."""
    unique = [
        (position, claim)
        for position, claim in claims
        if any(claim.kind == cls.record_name for cls in UNIQUE_KINDS)
    ]
    if not _marked(ledger):
        if not unique:
            return []  # a store from before the rule: its next signing makes both
        where = unique[0][0]
        gone = (
            f"the store holds {len(unique)} claims of unique values but not the marker that "
            "its records all have theirs (ClaimsReady): it was deleted, and the next signing "
            "will fail trying to write the claims again"
        )
        return [Finding(Kind.MISSING, STORE, None, gone, CLAIMS, None, after=where)]
    by_id = {claim.id: claim for _position, claim in unique}
    holders = {str(claim.holder) for claim in by_id.values() if claim.holder is not None}
    created: dict[str, Entry] = {}
    for entry in entries:
        if entry.aggregate_type in _UNIQUE_TYPES and entry.aggregate_id not in holders:
            created.setdefault(entry.aggregate_id, entry)
    findings: list[Finding] = []
    marked_at: int | None = None  # the marker's position, looked up when first needed
    for record_id, first in created.items():
        record = _record(ledger, record_id)
        if record is None:
            continue
        for field in type(record).unique:
            value = getattr(record, field)
            held = by_id.get(claim_id(ledger.tenant, record.record_name, field, value))
            holder = None if held is None else held.holder
            if held is not None and held.id in altered:
                continue
            if holder is not None and marked_at is None:
                marked_at = _marker_position(ledger)
            if holder is not None and marked_at is not None and first.position < marked_at:
                continue  # shared before values had to be unique: the backfill logged it
            name = f"{record.record_name} {record_id}"
            if holder is None:
                lost = (
                    f"{name} holds the {field} {value!r} but no claim names it: another "
                    f"{record.record_name} could be recorded under it (its claim was deleted)"
                )
            else:
                lost = (
                    f"{name} holds the {field} {value!r}, whose claim names "
                    f"{record.record_name} {holder}: two hold it (its claim was deleted and "
                    "the value taken again, or the claim changed)"
                )
            findings.append(
                Finding(Kind.MISSING, STORE, None, lost, CLAIMS, name, after=first.position)
            )
    return findings


def _marked(ledger: CooperationLedger) -> bool:
    """Whether the store holds its ``ClaimsReady`` marker (read by its id: indexed)."""
    return bool(ledger.recorder.select_events(ready_id(ledger.tenant), limit=1))


def _marker_position(ledger: CooperationLedger) -> int:
    """The marker's position in the log: a scan by topic, made only for the rare record
    sharing a value with another (the marker is near the start of any store)."""
    marker = next(iter(rows_of(ledger, [_READY_TOPIC])), None)
    return 0 if marker is None else marker.id


def _record(ledger: CooperationLedger, record_id: str) -> EntenteAggregate | None:
    """The record as its events give it; None when they do not decode (the walk says why)."""
    record: Any
    try:
        record = ledger.repository.get(UUID(record_id))
    except Exception as error:
        log.warning("record %s not read to check its claims: %s", record_id, error)
        return None
    return record if isinstance(record, EntenteAggregate) else None


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


def _changed_after(ledger: CooperationLedger, through: int) -> set[UUID]:
    """The claims released or taken again after position ``through``: read as they are
    now, they may name a record the walk did not reach (claim changes are few)."""
    return {
        UUID(str(row.originator_id))
        for row in rows_of(ledger, sorted(CLAIM_CHANGE_TOPICS))
        if row.id > through
    }


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
