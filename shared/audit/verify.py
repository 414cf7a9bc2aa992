"""Verifying a tenant's history: the store's chain against every witness available.

1. The event store is read in notification order and chained (resumable: the
   entries go to a state file page by page; ``resume=True`` continues after
   the last saved position with its link). Each record's versions must run
   1, 2, 3… — the one check that needs no witness. The store's bookkeeping
   rows must agree with its events: each reference claim names a record that
   has events and that value, and each agreement's reference has its claim
   (``audit.claims``); each command receipt names a version its record holds
   (``audit.receipts``); a SQLite store ends at the last position it gave.
2. With Kafka: the topic is read and compared with the store event by event
   (``compare.against_reference``, which also says which copy is wrong), and
   both copies are checked against every published checkpoint.
3. With a bundle exported earlier (``against``): the bundle is verified, then
   trusted as a witness of the history up to its last position.

Without Kafka or a bundle, the report says so: only the store's own
consistency was checked. ``VerifyReport.first`` is the first problem in notification order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from shared.application.ledger import CooperationLedger
from shared.application.sqlite_recorder import GUARD, positions_given
from shared.audit.bundle import BUNDLE, read_bundle
from shared.audit.claims import against_claims
from shared.audit.compare import (
    STORE,
    Canonical,
    against_checkpoints,
    against_reference,
    choose,
    relink,
    version_gaps,
)
from shared.audit.errors import RefusedPathError, ResumeStateError
from shared.audit.findings import Entry, Finding, Kind, Resumed, VerifyReport
from shared.audit.journal import Journal
from shared.audit.progress import Progress, Quiet, StopSignal
from shared.audit.receipts import against_receipts
from shared.audit.store import PAGE_SIZE, UNDECODABLE, Cursor, Item, read_page, start, walk
from shared.audit.topic import TOPIC, TopicReader, read_topic
from shared.events import chain

STATE_KIND = "entente-verify-state"
LAST_GIVEN = "the last position the store gave"
CHECKPOINT = "a published checkpoint"


def verify_tenant(
    ledger: CooperationLedger,
    *,
    topic: TopicReader | None = None,
    against: Path | None = None,
    state: Path | None = None,
    resume: bool = False,
    page_size: int = PAGE_SIZE,
    progress: Progress | None = None,
    stop: StopSignal | None = None,
) -> VerifyReport:
    """Every finding about ``ledger``'s tenant; ``Interrupted`` leaves ``state`` resumable."""
    progress = progress or Quiet()
    tenant = ledger.tenant
    # The bookkeeping rows (claims, receipts) checked are those stored before the walk
    # began: their commands' events were all committed by then, so the walk reads them.
    # Rows stored since name events the walk may have ended before: checked, they read
    # as thousands of events gone while officers were recording (probe 14).
    before = ledger.position()
    entries, cursor, resumed = _store(ledger, state, resume, page_size, progress, stop)
    report = VerifyReport(tenant, cursor.count, cursor.link, cursor.position, resumed=resumed)
    report.findings.extend(_undecodable(entries))
    report.findings.extend(version_gaps(entries))
    report.witnesses.append("each record's version sequence")
    report.findings.extend(against_claims(ledger, entries, through=before))
    report.findings.extend(against_receipts(ledger, entries, through=before))
    report.findings.extend(_newest_rows_deleted(ledger))

    def canonical(position: int) -> bytes | None:
        items = read_page(ledger, position - 1, 1)
        return items[0].canonical if items and items[0].position == position else None

    if topic is not None:
        copy = read_topic(topic, tenant, progress=progress, stop=stop)
        chosen, extra = choose(entries, copy.entries, TOPIC)
        published = relink(tenant, chosen)
        known = {entry.event_id for entry in entries}
        report.findings.extend(copy.findings + extra)
        report.findings.extend(f for f in copy.out_of_order if f.event_id in known)
        report.findings.extend(
            against_reference(tenant, entries, published, TOPIC, trusted=False, canonical=canonical)
        )
        for name, copy_entries in ((STORE, entries), (TOPIC, published)):
            report.findings.extend(
                against_checkpoints(tenant, copy_entries, copy.checkpoints, name, CHECKPOINT)
            )
        report.witnesses.append(
            f"topic: {copy.messages} messages in {copy.partitions} partitions, "
            f"{len(published)} events, {len(copy.checkpoints)} checkpoints"
        )
    if against is not None:
        found, scope = _against_bundle(tenant, entries, against, progress, canonical)
        report.findings.extend(found)
        report.witnesses.append(f"bundle {against.name}{scope}")
    if state is not None:
        Journal(state).remove()
    return report


def _store(
    ledger: CooperationLedger,
    state: Path | None,
    resume: bool,
    page_size: int,
    progress: Progress,
    stop: StopSignal | None,
) -> tuple[list[Entry], Cursor, Resumed | None]:
    """The store's entries, read after those saved in ``state`` when resuming.

    A resumed run does not read the saved part of the store again (that is what
    resuming saves): the report says which part and since when, since a change
    made there in between is not seen by this run (probe 11: it said nothing).
    """
    journal = None if state is None else Journal(state)
    entries: list[Entry] = []
    cursor = start(ledger.tenant)
    resumed = None
    if resume:
        entries, cursor = _saved(ledger.tenant, journal)
        started = journal.header() if journal is not None else None
        since = (started or {}).get("started")
        resumed = Resumed(cursor.position, cursor.count, since if isinstance(since, str) else None)
    elif journal is not None:
        _replaceable(journal, ledger.tenant)
        journal.start(
            {
                "kind": STATE_KIND,
                "tenant": ledger.tenant,
                "chain": chain.CHAIN_VERSION,
                "started": datetime.now(UTC).isoformat(timespec="seconds"),
            }
        )

    def keep(_items: Sequence[Item], page: Sequence[Entry], _cursor: Cursor) -> None:
        entries.extend(page)
        if journal is not None:
            journal.append(entry.as_json() for entry in page)

    cursor = walk(ledger, cursor, keep, page_size=page_size, progress=progress, stop=stop)
    return entries, cursor, resumed


def _replaceable(journal: Journal, tenant: str) -> None:
    """Refuses a state path holding anything but a saved verification of ``tenant``.

    The state file is overwritten, then deleted when the run succeeds: a path that
    holds anything else (another file, a folder) is never touched.
    """
    path = journal.path
    if path.is_dir():
        raise RefusedPathError(f"state file {path} is a directory")
    if not path.exists() and not path.is_symlink():
        return
    if path.is_file() and not path.is_symlink() and path.stat().st_size == 0:
        return  # nothing to lose: what a verification cut short on a full disk leaves
    header = journal.header() if path.is_file() else None
    if header is None or header.get("kind") != STATE_KIND:
        raise RefusedPathError(
            f"state file {path} exists and is not a saved verification: refusing to "
            "overwrite it (delete it if a verification cut short left it, or give another "
            "--state)"
        )
    if header.get("tenant") != tenant:
        raise RefusedPathError(
            f"state file {path} holds the saved verification of {header.get('tenant')!r}, "
            f"not {tenant!r}: refusing to overwrite it"
        )


def _saved(tenant: str, journal: Journal | None) -> tuple[list[Entry], Cursor]:
    """The entries saved in ``journal``: its header is checked before anything is read."""
    if journal is None or not journal.exists():
        if journal is not None and journal.path.is_dir():
            raise RefusedPathError(f"state file {journal.path} is a directory")
        raise ResumeStateError("no saved verification to resume (give the same --state)")
    header = journal.header() or {}
    if header.get("kind") != STATE_KIND or header.get("tenant") != tenant:
        raise ResumeStateError(f"{journal.path} is not a verification state of {tenant!r}")
    if header.get("chain") != chain.CHAIN_VERSION:
        raise ResumeStateError(f"{journal.path} was saved for chain {header.get('chain')!r}")
    rows = journal.read()
    entries: list[Entry] = []
    for number, row in enumerate(rows[1:], start=2):
        try:
            entries.append(Entry.from_json(row))
        except (ValueError, KeyError, TypeError) as error:
            detail = f"line {number} is not a saved entry ({type(error).__name__}: {error})"
            raise ResumeStateError(f"{journal.path} is corrupt: {detail}") from None
    if not entries:
        return entries, start(tenant)
    return entries, Cursor(entries[-1].position, entries[-1].link, len(entries))


def _newest_rows_deleted(ledger: CooperationLedger) -> list[Finding]:
    """A finding when a SQLite store gave positions beyond its last row: its newest rows
    (events, receipts or claims) were deleted, which no version sequence shows when they
    were the last of their records; and when the trigger keeping that position was
    dropped (``application.sqlite_recorder``)."""
    found = positions_given(ledger.recorder)
    if found is None:
        return []
    findings: list[Finding] = []
    if not found.guarded:
        detail = (
            f"the trigger that keeps the store's positions growing ({GUARD}) was dropped: "
            "rows may have been written at positions given before"
        )
        findings.append(Finding(Kind.ALTERED, STORE, None, detail, LAST_GIVEN))  # unplaced
    if found.given > found.last:
        given, last = found.given, found.last
        gone = f"{last + 1} to {given}" if given > last + 1 else str(given)
        detail = (
            f"the store gave positions up to {given} and its last row is at {last}: the rows "
            f"at {gone} (events, receipts or claims) were deleted"
        )
        # Placed after the last position given: a witness naming the deleted events
        # themselves (the topic, a bundle) comes first.
        # It said "after position 2530" of rows deleted at 2529 to 2530 (probe 12).
        span = f"at position{'s' if given > last + 1 else ''} {gone}"
        findings.append(
            Finding(Kind.MISSING, STORE, None, detail, LAST_GIVEN, after=given, span=span)
        )
    return findings


def _undecodable(entries: Sequence[Entry]) -> list[Finding]:
    return [
        Finding(Kind.ALTERED, STORE, e.position, e.where, "decoding")
        for e in entries
        if e.digest.startswith(UNDECODABLE)
    ]


def _nothing_in_common(entries: Sequence[Entry], bundled: Sequence[Entry]) -> bool:
    """Whether the store and a bundle, neither empty, share no event at all.

    Compared event by event, such a bundle (another installation's export, whose
    genesis names the tenant only) read as every event ALTERED (probe 11): one
    finding says what it is, since either the bundle or the store is not the one meant.
    """
    if not entries or not bundled:
        return False
    stored = {entry.event_id for entry in entries}
    return not any(entry.event_id in stored for entry in bundled)


def _against_bundle(
    tenant: str, entries: list[Entry], path: Path, progress: Progress, canonical: Canonical
) -> tuple[list[Finding], str]:
    """The store against a bundle that verified; a tampered bundle witnesses nothing.

    Also what the bundle witnessed, for the report: the events stored after its last
    position are not in it (an "OK" said nothing of them but their versions), so the
    report says how many there are.
    """
    bundle = read_bundle(path, progress, tenant)
    if bundle.findings:
        unusable = Finding(
            Kind.ALTERED,
            BUNDLE,
            None,
            f"the bundle fails its own verification ({len(bundle.findings)} findings): "
            "it was not used as a witness",
            "the bundle's own chain",
        )
        return [*bundle.findings, unusable], " (not used: it fails its own verification)"
    if _nothing_in_common(entries, bundle.entries):
        detail = (
            f"none of the bundle's {len(bundle.entries)} events is in the store (no event id "
            f"in common): the bundle is another installation's {tenant} history, or this "
            "store's history was replaced whole"
        )
        common = Finding(Kind.ALTERED, STORE, None, detail, "the bundle's event ids")
        return [common], " (no event in common with the store)"
    found = against_reference(
        tenant, entries, bundle.entries, BUNDLE, trusted=True, canonical=canonical
    )
    checkpoints = bundle.manifest.checkpoints
    if checkpoints:
        found += against_checkpoints(tenant, entries, checkpoints, STORE, CHECKPOINT)
    last = bundle.entries[-1].position if bundle.entries else 0
    later = sum(1 for entry in entries if entry.position > last)
    scope = f" (up to position {last}"
    if later == 1:
        scope += "; the event stored after it is not in it"
    elif later:
        scope += f"; the {later} events stored after it are not in it"
    return found, scope + ")"
