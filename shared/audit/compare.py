"""Comparing copies of a history: the store against a reference, checkpoints, version sequences.

``against_reference`` walks the positions of both copies in notification order
(up to the reference's last position: later store events are simply not
published yet). Where they hold different things, it decides *which copy is
wrong* from the links the reference claims (the relay's ``ce_chainhash``, a
bundle's ``link``): at the next position where both agree again, the copy
whose own chain reproduces the claimed link is the faithful one. A trusted
reference (a verified bundle) is faithful by definition. The kind is then
named from the wrong copy's side: missing, inserted, altered or reordered
(the event is there, at another position).
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from shared.audit.findings import Entry, Finding, Kind, differences
from shared.events import chain
from shared.relay.checkpoint import Checkpoint

STORE = "store"
VERSIONS = "the record's version sequence"
UNSURE = (
    " (no later event is shared by both copies, so which one is wrong is inferred from a claim)"
)
#: The canonical bytes of the store's event at a position (for "what differs").
Canonical = Callable[[int], bytes | None]


def link_bytes(previous: str, canonical: bytes) -> str:
    """``chain.link`` from canonical bytes (a test pins the two together)."""
    return hashlib.sha256(bytes.fromhex(previous) + canonical).hexdigest()


def relink(tenant: str, entries: Sequence[Entry]) -> list[Entry]:
    """The entries in position order, each with the link recomputed over this sequence."""
    link, result = chain.genesis(tenant), []
    for entry in sorted(entries, key=lambda e: e.position):
        assert entry.canonical is not None
        link = link_bytes(link, entry.canonical)
        result.append(_with_link(entry, link))
    return result


@dataclass
class _Copy:
    name: str
    entries: list[Entry]

    def __post_init__(self) -> None:
        self.at = {e.position: e for e in self.entries}
        self.where_is = {e.event_id: e.position for e in self.entries}
        self.positions = [e.position for e in self.entries]

    def link_at(self, position: int, genesis: str) -> str:
        index = bisect.bisect_right(self.positions, position)
        return self.entries[index - 1].link if index else genesis


def choose(
    store: Sequence[Entry], reference: Sequence[Entry], name: str
) -> tuple[list[Entry], list[Finding]]:
    """One reference entry per position (the one the store agrees with); others are findings."""
    by_id = {e.event_id: e for e in store}
    chosen: dict[int, Entry] = {}
    findings: list[Finding] = []
    for entry in reference:
        held = chosen.get(entry.position)
        if held is None:
            chosen[entry.position] = entry
            continue
        keep, extra = held, entry
        if _agrees(by_id, entry) and not _agrees(by_id, held):
            keep, extra = entry, held
        chosen[entry.position] = keep
        kind = Kind.ALTERED if extra.event_id in by_id else Kind.INSERTED
        detail = f"{extra.where} claims position {extra.position}, also claimed by {keep.where}"
        findings.append(
            Finding(kind, name, extra.position, detail, "the store", extra.record, extra.event_id)
        )
    return [chosen[p] for p in sorted(chosen)], findings


def against_reference(
    tenant: str,
    store: Sequence[Entry],
    reference: Sequence[Entry],
    name: str,
    *,
    trusted: bool,
    canonical: Canonical,
) -> list[Finding]:
    """Every position where the store and the reference disagree, blamed on one of them."""
    s, r = _Copy(STORE, list(store)), _Copy(name, list(reference))
    if not r.entries:
        return []
    genesis, limit = chain.genesis(tenant), r.positions[-1]
    positions = sorted({p for p in s.positions if p <= limit} | set(r.positions))
    agreeing = [p for p in positions if _same(s, r, p)]
    findings: list[Finding] = []
    reported: set[str] = set()
    for position in positions:
        if _same(s, r, position):
            continue
        store_wrong, sure = _judge(s, r, position, agreeing, genesis)
        wrong, right = (s, r) if trusted or store_wrong else (r, s)
        finding = _classify(wrong, right, position, canonical)
        if finding.event_id in reported:
            continue
        reported.update({finding.event_id or "", *_ids(s, r, position)})
        if not (trusted or sure):
            finding = replace(finding, detail=finding.detail + UNSURE)
        findings.append(finding)
    return findings


def against_checkpoints(
    tenant: str,
    entries: Sequence[Entry],
    checkpoints: Sequence[Checkpoint],
    name: str,
    witness: str,
) -> list[Finding]:
    """Each checkpoint's size and head against the copy up to its position."""
    copy, genesis = _Copy(name, sorted(entries, key=lambda e: e.position)), chain.genesis(tenant)
    findings: list[Finding] = []
    since = 0
    for checkpoint in sorted(checkpoints, key=lambda c: (c.size, c.position)):
        count = bisect.bisect_right(copy.positions, checkpoint.position)
        head = copy.link_at(checkpoint.position, genesis)
        if count == checkpoint.size and head == checkpoint.head:
            since = checkpoint.position
            continue
        kind = Kind.INSERTED if count > checkpoint.size else Kind.MISSING
        if count == checkpoint.size:
            kind = Kind.ALTERED
        first = bisect.bisect_right(copy.positions, since)
        start = copy.positions[first] if first < len(copy.positions) else None
        findings.append(
            Finding(
                kind,
                name,
                start,
                f"between positions {since} (exclusive) and {checkpoint.position}: the checkpoint "
                f"published at {checkpoint.time.isoformat()} says {checkpoint.size} events and "
                f"head {checkpoint.head[:16]}…; the {name} has {count} events "
                f"and head {head[:16]}…",
                f"{witness} (size {checkpoint.size})",
                precise=False,
            )
        )
    return findings


def version_gaps(entries: Sequence[Entry], name: str = STORE) -> list[Finding]:
    """Each record's versions must run 1, 2, 3… in notification order.

    A version met a second time is ``INSERTED`` (a copy, or a second event under one
    version: only possible with the store's unique key dropped), not ``REORDERED``:
    nothing moved, one event too many was written.
    """
    later: dict[tuple[str, int], int] = {(e.aggregate_id, e.version): e.position for e in entries}
    last: dict[str, int] = {}
    moved: set[tuple[str, int]] = set()
    first_seen: dict[tuple[str, int], Entry] = {}
    findings: list[Finding] = []
    for entry in entries:
        if entry.aggregate_type == "?" or (entry.aggregate_id, entry.version) in moved:
            continue
        earlier = first_seen.setdefault((entry.aggregate_id, entry.version), entry)
        if earlier is not entry:
            findings.append(_second_copy(entry, earlier, name))
            continue
        expected = last.get(entry.aggregate_id, 0) + 1
        last[entry.aggregate_id] = max(entry.version, expected - 1)
        if entry.version == expected:
            continue
        comes_later = later.get((entry.aggregate_id, expected), -1) > entry.position
        kind = Kind.REORDERED if entry.version < expected or comes_later else Kind.MISSING
        detail = (
            f"version {entry.version} follows version {expected - 1}"
            if expected > 1
            else f"the record starts at version {entry.version}"
        )
        if comes_later:
            moved.add((entry.aggregate_id, expected))
            detail += f"; version {expected} comes later, at position "
            detail += str(later[(entry.aggregate_id, expected)])
        witness = VERSIONS
        findings.append(
            Finding(kind, name, entry.position, detail, witness, entry.record, entry.event_id)
        )
    return findings


def _second_copy(entry: Entry, earlier: Entry, name: str) -> Finding:
    """The finding of ``entry``, a version ``earlier`` already holds."""
    same = entry.event_id == earlier.event_id and entry.digest == earlier.digest
    detail = (
        f"version {entry.version} again: a copy of the event at position {earlier.position}"
        if same
        else f"a second version {entry.version}: the first is at position {earlier.position}"
    )
    return Finding(
        Kind.INSERTED, name, entry.position, detail, VERSIONS, entry.record, entry.event_id
    )


def _same(s: _Copy, r: _Copy, position: int) -> bool:
    a, b = s.at.get(position), r.at.get(position)
    return a is not None and b is not None and a.same_event(b)


def _judge(
    s: _Copy, r: _Copy, position: int, agreeing: list[int], genesis: str
) -> tuple[bool, bool]:
    """(is the store the wrong copy, is that certain) from the links the reference claims.

    The judge is the next position where both copies hold the same event: the
    copy whose own chain reproduces the link claimed there is the faithful one.
    Without such a position (a difference at the very end), the claim at the
    reference's next event decides, and a forger could have made that claim.
    """
    index = bisect.bisect_right(agreeing, position)
    sure = index < len(agreeing)
    if sure:
        judge = agreeing[index]
    else:
        after = bisect.bisect_left(r.positions, position)
        judge = r.positions[min(after, len(r.positions) - 1)]
    claim = r.at[judge].claim
    store_ok = s.link_at(judge, genesis) == claim
    reference_ok = r.link_at(judge, genesis) == claim
    return not (store_ok and not reference_ok), sure


def _classify(wrong: _Copy, right: _Copy, position: int, canonical: Canonical) -> Finding:
    bad, good = wrong.at.get(position), right.at.get(position)
    witness = f"the {right.name}"
    if bad is not None and good is not None and bad.event_id == good.event_id:
        detail = _what_differs(wrong, right, bad, good, canonical)
        return Finding(
            Kind.ALTERED, wrong.name, position, detail, witness, good.record, good.event_id
        )
    if good is not None and good.event_id in wrong.where_is:
        elsewhere = wrong.where_is[good.event_id]
        detail = f"the event at position {position} in the {right.name} is at position {elsewhere}"
        return Finding(
            Kind.REORDERED, wrong.name, position, detail, witness, good.record, good.event_id
        )
    if bad is not None and bad.event_id in right.where_is:
        elsewhere = right.where_is[bad.event_id]
        detail = f"it holds the event that is at position {elsewhere} in the {right.name}"
        return Finding(
            Kind.REORDERED, wrong.name, position, detail, witness, bad.record, bad.event_id
        )
    if bad is not None and good is not None:
        detail = f"it holds event {bad.event_id} ({bad.record}) where the {right.name} has another"
        return Finding(
            Kind.ALTERED, wrong.name, position, detail, witness, good.record, good.event_id
        )
    if good is not None:
        detail = f"the {wrong.name} lacks the event the {right.name} has here"
        return Finding(
            Kind.MISSING, wrong.name, position, detail, witness, good.record, good.event_id
        )
    assert bad is not None
    detail = f"the {right.name} has no event at this position"
    return Finding(Kind.INSERTED, wrong.name, position, detail, witness, bad.record, bad.event_id)


def _what_differs(wrong: _Copy, right: _Copy, bad: Entry, good: Entry, canonical: Canonical) -> str:
    mine = {STORE: canonical(bad.position)} if wrong.name == STORE else {}
    theirs = {STORE: canonical(good.position)} if right.name == STORE else {}
    left = theirs.get(STORE, good.canonical)
    found = mine.get(STORE, bad.canonical)
    if left is None or found is None:
        return "its content differs (digest)"
    return differences(left, found)


def _ids(s: _Copy, r: _Copy, position: int) -> set[str]:
    return {e.event_id for e in (s.at.get(position), r.at.get(position)) if e is not None}


def _agrees(by_id: dict[str, Entry], entry: Entry) -> bool:
    held = by_id.get(entry.event_id)
    return held is not None and held.same_event(entry)


def _with_link(entry: Entry, link: str) -> Entry:
    return Entry(
        entry.position,
        entry.event_id,
        entry.aggregate_type,
        entry.aggregate_id,
        entry.version,
        entry.digest,
        link,
        entry.claim,
        entry.where,
        entry.canonical,
    )
