"""Reading a tenant's event store as a chain: pages of events in notification order, linked.

``walk`` reads after a saved (position, link, count), so a verification or an
export interrupted half-way resumes where it stopped; ``Walker.on_page``
receives each page with its entries, for the caller to save before the next.
A stored event that cannot be decoded does not stop the walk: it becomes an
entry marked undecodable, which verification reports as altered.

The walk reads a million events in well under a minute: on PostgreSQL it reads
the rows itself (one keyset query per page, binary results, the record id as
text), and each row goes straight to its canonical bytes
(``RowDecoder.chained``) without an envelope. A row that path cannot take
(upcasting, a value only the reference encoder writes, an undecodable row)
goes through the library's mapper, whose result or error is the reference.

A long walk on PostgreSQL (``PARALLEL_MIN`` positions or more) decodes in
worker processes (``parallel_pages``): each reads its own ranges of positions
and turns them into items and digests; the walking process only links them, in
order, a few pages in flight. SQLite, short walks, ``ENTENTE_AUDIT_WORKERS=1``,
a process whose entry point did not call ``allow_worker_processes`` (workers
are forked: the audit web service walks in the process that serves it) and
whatever was appended after the walk began read in the walking process.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Generator, Sequence
from contextlib import closing, nullcontext
from dataclasses import dataclass
from typing import Any, NamedTuple
from uuid import UUID

import psycopg
from eventsourcing.persistence import Notification
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from psycopg import sql
from psycopg.rows import tuple_row

from shared.application.known_topics import (
    CLAIM_CHANGE_TOPICS,
    CLAIMED_TOPIC,
    CREATED_ONCE_TOPICS,
    KNOWN_TOPICS,
    RECEIPT_TOPICS,
)
from shared.application.ledger import AGGREGATES_BY_TOPIC, CooperationLedger, domain_rows_query
from shared.application.recorder import events_table
from shared.audit.findings import Entry
from shared.audit.progress import Interrupted, Never, Progress, Quiet, StopSignal
from shared.domain.catalogue import DOMAIN_EVENT_TOPICS, aggregate_type_of
from shared.errors import ConfigurationError
from shared.events import chain
from shared.events.envelope import EventEnvelope, envelope
from shared.heap import keep_freed_memory

PAGE_SIZE = 5000
UNDECODABLE = "undecodable:"
#: Walks of at least this many positions decode their pages in worker processes (PostgreSQL).
PARALLEL_MIN = 50_000
#: How long a parallel walk stopped early waits for its workers' ranges in flight.
FINISH_S = 30.0
#: Worker processes of a parallel walk (``ENTENTE_AUDIT_WORKERS``; 0 or 1: none).
WORKERS_VARIABLE = "ENTENTE_AUDIT_WORKERS"


@dataclass(frozen=True)
class Cursor:
    """How far a walk got: the last position read, the chain link after it, the event count."""

    position: int
    link: str
    count: int


class Item(NamedTuple):
    """One stored event: which event it is and its canonical bytes, or why it could not be decoded.

    An undecodable event has a ``problem``, its stored bytes as ``canonical``
    and no identity (``""``, ``"?"``, version 0).
    """

    position: int
    event_id: str
    aggregate_type: str
    aggregate_id: str
    version: int
    canonical: bytes | None
    problem: str | None = None


#: Called with each page (its items and entries) before the walk moves on.
OnPage = Callable[[Sequence[Item], Sequence[Entry], Cursor], None]

#: One stored row: position, record id (text), version, topic, stored bytes.
Row = tuple[int, str, int, str, bytes]


def start(tenant: str) -> Cursor:
    return Cursor(0, chain.genesis(tenant), 0)


def walk(
    ledger: CooperationLedger,
    cursor: Cursor,
    on_page: OnPage,
    *,
    page_size: int = PAGE_SIZE,
    progress: Progress | None = None,
    stop: StopSignal | None = None,
    label: str = "event store",
) -> Cursor:
    """Reads every event after ``cursor``; raises ``Interrupted`` between pages when asked."""
    progress, stop = progress or Quiet(), stop or Never()
    last = ledger.position()
    progress.stage(f"{label} of {ledger.tenant} (position)", last or None)
    progress.update(cursor.position)

    def step(items: Sequence[Item], digests: Sequence[str] | None = None) -> None:
        nonlocal cursor
        entries, cursor = link_page(items, cursor, digests)
        on_page(items, entries, cursor)
        progress.update(cursor.position)
        if stop.requested():
            raise Interrupted(f"stopped after position {cursor.position} ({cursor.count} events)")

    if last and last - cursor.position >= PARALLEL_MIN and _parallel_ok(ledger):
        # Up to ``last`` in worker processes; whatever was appended since, as below.
        # Closed here, not by the garbage collector, when a page's step raises (an
        # interruption): terminating the worker pool from a finaliser could hang.
        with closing(parallel_pages(ledger, cursor.position, last, page_size)) as pages:
            for items, digests in pages:
                step(items, digests)
    while True:
        items = read_page(ledger, cursor.position, page_size)
        if not items:
            # Read to the end: positions past the last event are command receipts, which
            # the walk skips; the counter said 2405 / 2406 (99 %) of a finished walk.
            progress.update(max(cursor.position, last))
            return cursor
        step(items)


def link_page(
    items: Sequence[Item], cursor: Cursor, digests: Sequence[str] | None = None
) -> tuple[list[Entry], Cursor]:
    """The entries of ``items``, chained after ``cursor``: ``chain.link_canonical``, inlined.

    ``digests``: each item's ``sha256(canonical).hexdigest()`` when already computed
    (by the worker that decoded the page), or None to compute them here.
    """
    entries: list[Entry] = []
    append, new, sha256 = entries.append, object.__new__, hashlib.sha256
    previous = bytes.fromhex(cursor.link)
    for index, item in enumerate(items):
        canonical = item.canonical
        if item.problem is not None or canonical is None:
            append(_undecodable(item, previous.hex()))  # the chain goes on without it
            continue
        previous = sha256(previous + canonical).digest()
        # Entry's own fields, set at once: its frozen __init__ is a tenth of a walk's time.
        entry = new(Entry)
        entry.__dict__.update(
            position=item.position,
            event_id=item.event_id,
            aggregate_type=item.aggregate_type,
            aggregate_id=item.aggregate_id,
            version=item.version,
            digest=sha256(canonical).hexdigest() if digests is None else digests[index],
            link=previous.hex(),
            claim=None,
            where="",
            canonical=None,
        )
        append(entry)
    return entries, Cursor(items[-1].position, previous.hex(), cursor.count + len(items))


def read_page(ledger: CooperationLedger, after: int, limit: int) -> list[Item]:
    """The next events after ``after``, each decoded, or marked undecodable with the reason.

    Rows are read by topic (the domain events'); the rows of the same positions
    whose topic is no event of Entente, or a receipt's at a version a receipt
    never has, are read beside them (``_odd_rows``): an event whose topic was
    changed dropped out of the walk, and as a record's last event it went unseen.
    """
    rows = list(_rows(ledger, after, limit))
    until = rows[-1][0] if len(rows) == limit else None  # a short page: to the store's end
    odd = _odd_rows(ledger, after, until)
    if odd:
        rows = sorted([*rows, *odd], key=lambda row: row[0])
    return _items(ledger, rows)


def _items(
    ledger: CooperationLedger, rows: Sequence[Row], make: Callable[[Any], Any] = Item._make
) -> list[Any]:
    """Each row's item (built by ``make`` from the item's fields)."""
    chained = ledger.row_decoder.chained
    items: list[Any] = []
    append = items.append
    for row in rows:
        if type(row[4]) is not bytes or type(row[2]) is not int:  # SQLite keeps any type
            append(make(_mistyped(row)))
            continue
        if row[3] not in DOMAIN_TOPICS:  # read by ``_odd_rows``: a topic that was changed
            append(make(_retyped(row)))
            continue
        found = chained(*row)
        if found is None:
            append(_library_item(ledger, row))
        else:
            append(make((row[0], *found, None)))
    return items


def _rows(ledger: CooperationLedger, after: int, limit: int) -> Sequence[Row]:
    """The stored rows of domain events after ``after``, in notification order."""
    recorder = ledger.recorder
    if isinstance(recorder, PostgresApplicationRecorder):
        query = domain_rows_query(recorder, id_as_text=True)
        with recorder.datastore.get_connection() as connection:
            cursor = connection.cursor(binary=True, row_factory=tuple_row)
            rows: Any = cursor.execute(
                query, (max(after, 0), list(DOMAIN_EVENT_TOPICS), limit)
            ).fetchall()
        return rows  # type: ignore[no-any-return]
    notifications = recorder.select_notifications(
        start=max(after, 0), limit=limit, topics=DOMAIN_EVENT_TOPICS, inclusive_of_start=False
    )
    return [
        (n.id, str(n.originator_id), n.originator_version, n.topic, _bytes_or_as_is(n.state))
        for n in notifications
    ]


#: The topics the walk reads as events, and the bookkeeping's written once (rows that
#: are not events: receipts, a claim's first event, the claims marker).
DOMAIN_TOPICS = frozenset(DOMAIN_EVENT_TOPICS)
ONCE_TOPICS = sorted(CREATED_ONCE_TOPICS)
CHANGE_TOPICS = sorted(CLAIM_CHANGE_TOPICS)


def _odd_rows(
    ledger: CooperationLedger, after: int, until: int | None, connection: Any = None
) -> list[Row]:
    """Rows after ``after`` (up to ``until``) that are neither an event nor bookkeeping.

    A receipt (or a claim's first event, or the claims marker) is written once, at
    version 1; a claim's release or retaking follows its ``Claimed``. Any other
    version under such a topic, a release of a record that is no claim, or a topic
    of no Entente class, is a row whose topic was changed (the walk, which reads
    events by topic, would otherwise not see it). One query per page, over the
    page's positions: it returns nothing on an untouched store. ``connection``: a
    forked worker's own (PostgreSQL).
    """
    recorder = ledger.recorder
    known, receipts = sorted(KNOWN_TOPICS), ONCE_TOPICS
    bound = 2**63 - 1 if until is None else until
    if isinstance(recorder, PostgresApplicationRecorder):
        # A claim's release or retaking is looked up apart (they are rare): with the
        # claims' NOT EXISTS in this query, PostgreSQL costed it at millions, past its
        # JIT threshold, and compiled it for every page (80 ms a page: the walk of a
        # million events went from 76,000 to 45,000 events/s, bench R2).
        query = sql.SQL(
            "SELECT notification_id, originator_id::text, originator_version, topic, state "
            "FROM {events} WHERE notification_id > %s AND notification_id <= %s "
            "AND (NOT topic = ANY(%s) OR (topic = ANY(%s) AND originator_version <> 1) "
            "OR topic = ANY(%s)) ORDER BY notification_id"
        ).format(events=events_table(recorder))
        parameters = (max(after, 0), bound, known, receipts, CHANGE_TOPICS)
        opened: Any = (
            nullcontext(connection)
            if connection is not None
            else recorder.datastore.get_connection()
        )
        with opened as reading:
            found = reading.cursor(binary=True, row_factory=tuple_row).execute(query, parameters)
            rows = [(r[0], r[1], r[2], r[3], bytes(r[4])) for r in found.fetchall()]
            changes = sorted({row[1] for row in rows if row[3] in CLAIM_CHANGE_TOPICS})
            if not changes:
                return rows
            claims = sql.SQL(
                "SELECT originator_id::text FROM {events} WHERE originator_id = ANY(%s::uuid[]) "
                "AND originator_version = 1 AND topic = %s"
            ).format(events=events_table(recorder))
            claimed = {r[0] for r in reading.execute(claims, (changes, CLAIMED_TOPIC))}
        return [row for row in rows if row[3] not in CLAIM_CHANGE_TOPICS or row[1] not in claimed]
    assert isinstance(recorder, SQLiteApplicationRecorder)
    marks = ", ".join("?" * len(known))
    receipt_marks = ", ".join("?" * len(receipts))
    change_marks = ", ".join("?" * len(CHANGE_TOPICS))
    table = recorder.events_table_name
    statement = (
        f"SELECT rowid, originator_id, originator_version, topic, state "
        f"FROM {table} e WHERE rowid > ? AND rowid <= ? "
        f"AND (topic IS NULL OR topic NOT IN ({marks}) "
        f"OR (topic IN ({receipt_marks}) AND originator_version IS NOT 1) "
        f"OR (topic IN ({change_marks}) AND NOT EXISTS (SELECT 1 FROM {table} f "
        f"WHERE f.originator_id = e.originator_id AND f.originator_version = 1 "
        f"AND f.topic = ?))) ORDER BY rowid"
    )
    with recorder.datastore.transaction(commit=False) as sqlite_cursor:
        sqlite_cursor.execute(
            statement,
            [max(after, 0), bound, *known, *receipts, *CHANGE_TOPICS, CLAIMED_TOPIC],
        )
        rows = sqlite_cursor.fetchall()
    return [(row[0], _text_id(row[1]), row[2], row[3], _bytes_or_as_is(row[4])) for row in rows]


def _text_id(stored: Any) -> str:
    """A stored record id as the walk names it (the library keeps uuids as 32 hex digits)."""
    try:
        return str(UUID(str(stored)))
    except ValueError:
        return str(stored)


def _retyped(row: Row) -> tuple[Any, ...]:
    """The item fields of a row whose topic is no event of Entente, or a receipt's misused."""
    position, _, version, topic, state = row
    if topic in RECEIPT_TOPICS:
        reason = f"its topic is a command receipt's, at version {version} (a receipt has one)"
    elif topic in CLAIM_CHANGE_TOPICS:
        reason = f"its topic {topic!r} changes a claim, and its record is no claim"
    elif topic in KNOWN_TOPICS:
        reason = f"its topic {topic!r} is written at version 1 only, not {version}"
    else:
        shown = "NULL" if topic is None else repr(str(topic)[:120])
        reason = f"its topic {shown} is no event type of Entente"
    return (position, "", "?", "?", 0, state, f"{_stored_as(row)} cannot be decoded: {reason}")


def _stored_as(row: Row) -> str:
    """``the stored event of record <id> v<version>``: what a row names of itself, for an
    event that cannot be decoded (the auditor needs the record to look it up)."""
    _, record, version, _, _ = row
    named = record if isinstance(record, str) and len(record) <= 40 else _shown(record)
    numbered = f"v{version}" if type(version) is int else f"at version {_shown(version)}"
    return f"the stored event of record {named} {numbered}"


def _bytes_or_as_is(state: Any) -> Any:
    """The stored state as bytes; a NULL or text state (tampered: SQLite keeps any type in
    any column) is kept as it is, and ``_items`` reports it."""
    return bytes(state) if isinstance(state, bytes | bytearray | memoryview) else state


def _mistyped(row: Row) -> tuple[Any, ...]:
    """The item fields of a row whose state is not bytes or whose version is not a number."""
    position, _, version, _, state = row
    if type(version) is not int:
        reason = f"its version is {_shown(version)}, not a whole number"
    else:
        reason = f"its state is {_shown(state)}, not stored bytes"
    raw = state if isinstance(state, bytes) else str(state).encode("utf-8", "backslashreplace")
    return (position, "", "?", "?", 0, raw, f"{_stored_as(row)} cannot be decoded: {reason}")


def _shown(value: Any) -> str:
    return "NULL" if value is None else f"{type(value).__name__} {str(value)[:40]!r}"


def _workers() -> int:
    """The decoding workers: ``ENTENTE_AUDIT_WORKERS``, else one per CPU.

    A value that is not a whole number of one or more is refused, naming it: "abc" was
    read as one worker without a word (probe 11), and the operator who set it to
    speed a long walk up never learnt why it did not.
    """
    given = os.environ.get(WORKERS_VARIABLE, "").strip()
    if not given:
        return os.cpu_count() or 1
    if not given.isdigit() or int(given) < 1:
        raise ConfigurationError(
            f"{WORKERS_VARIABLE} is {given[:40]!r}: give a whole number of decoding "
            "processes, 1 or more (unset: one per CPU)"
        )
    return int(given)


def _parallel_ok(ledger: CooperationLedger) -> bool:
    """Workers are forked, so only where a command-line entry point allowed it: a fork
    while a web server's thread holds a lock can leave the child waiting on it for ever."""
    return (
        isinstance(ledger.recorder, PostgresApplicationRecorder)
        and _workers() > 1
        and "fork" in multiprocessing.get_all_start_methods()
        and _fork_safe()
    )


#: Set by command-line entry points only (``allow_worker_processes``).
_workers_allowed = False


def allow_worker_processes() -> None:
    """Lets long walks of this process fork decoding workers.

    Called by the ``entente audit`` commands, which run in a process of their
    own whose only other threads are the connection pool's; never by the audit
    web service, whose request threads could hold a lock a forked child needs.
    ``ENTENTE_AUDIT_WORKERS`` is checked here, at the command's start.
    """
    _workers()
    global _workers_allowed
    _workers_allowed = True


def _fork_safe() -> bool:
    return _workers_allowed


#: What a worker decodes pages of: the walking ledger, inherited by fork.
_worker_ledger: CooperationLedger | None = None
_worker_connection: Any = None


def _worker_start() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    # Each page's buffers (the query result, the items, their pickle) are several MB:
    # kept for the next page instead of mapped again (also set by ``entente``'s main).
    keep_freed_memory()


def _decode_range(after: int, until: int, limit: int) -> tuple[list[tuple[Any, ...]], list[str]]:
    """In a worker: the items of positions ``after < p <= until`` and their digests."""
    global _worker_connection
    ledger = _worker_ledger
    assert ledger is not None
    recorder = ledger.recorder
    assert isinstance(recorder, PostgresApplicationRecorder)
    if _worker_connection is None:
        pool = recorder.datastore.pool
        settings: Any = pool.kwargs() if callable(pool.kwargs) else pool.kwargs or {}
        conninfo = pool.conninfo() if callable(pool.conninfo) else pool.conninfo
        kwargs = {k: v for k, v in settings.items() if k not in ("row_factory", "autocommit")}
        _worker_connection = psycopg.connect(conninfo, autocommit=True, **kwargs)
    cursor = _worker_connection.cursor(binary=True, row_factory=tuple_row)
    rows = cursor.execute(
        domain_rows_query(recorder, id_as_text=True, bounded=True),
        (after, until, list(DOMAIN_EVENT_TOPICS), limit),
    ).fetchall()
    odd = _odd_rows(ledger, after, rows[-1][0] if len(rows) == limit else until, _worker_connection)
    if odd:
        rows = sorted([*rows, *odd], key=lambda row: row[0])
    items = _items(ledger, rows, tuple)  # plain tuples: quicker to send
    sha256 = hashlib.sha256
    digests = [sha256(item[5] or b"").hexdigest() for item in items]
    return items, digests


def parallel_pages(
    ledger: CooperationLedger, after: int, until: int, page_size: int
) -> Generator[tuple[list[Item], list[str]], None, None]:
    """The pages of positions ``after < p <= until``, decoded in worker processes, in order.

    Each worker reads its own position ranges (``page_size`` positions each) and
    turns them into items; at most two ranges per worker are in flight, so memory
    stays bounded. Should a worker fail, the pages stop at the last one read in
    order, and the caller's own reads go on from there.
    """
    global _worker_ledger
    workers = _workers()
    _worker_ledger = ledger
    try:
        pool = multiprocessing.get_context("fork").Pool(workers, initializer=_worker_start)
    finally:
        _worker_ledger = None
    window: deque[Any] = deque()
    try:
        starts = iter(range(after, until, page_size))

        def submit() -> None:
            low = next(starts, None)
            if low is not None:
                high = min(low + page_size, until)
                window.append(pool.apply_async(_decode_range, (low, high, page_size)))

        for _ in range(workers * 2):
            submit()
        make = Item._make
        while window:
            try:
                rows, digests = window.popleft().get()
            except Exception:  # the serial path reads on from the last page, and says why
                return
            submit()
            if rows:
                yield list(map(make, rows)), digests
    finally:
        # Let the ranges in flight (at most two per worker) finish, and the workers exit:
        # ``terminate`` with tasks in flight once hung in the pool's own threads
        # (CPython's ``_terminate_pool``); it stays the last resort for a stuck worker.
        pool.close()
        for pending in window:
            pending.wait(FINISH_S)
        if not all(pending.ready() for pending in window):
            pool.terminate()
        pool.join()


def _library_item(ledger: CooperationLedger, row: Row) -> Item:
    """The library's decoding of one row (upcasting…), or why it fails."""
    position, aggregate_id, version, topic, state = row
    try:
        notification = Notification(
            id=position,
            originator_id=UUID(aggregate_id),
            originator_version=version,
            topic=topic,
            state=state,
        )
        event: Any = ledger.mapper.to_domain_event(notification)
        owner = AGGREGATES_BY_TOPIC[_owner(topic)]
        published = envelope(event, aggregate_type_of(owner), position)
        canonical = chain.canonical(published)
    except Exception as error:  # reported as an altered event, with the reason
        reason = f"{_stored_as(row)} cannot be decoded ({type(error).__name__}: {error})"
        return Item(position, "", "?", "?", 0, bytes(state), reason)
    stranger = _stranger(ledger, event, topic, published)
    if stranger is not None:  # its bytes decode, but it cannot be this store's event
        where = f"{published.aggregate_type} {published.aggregate_id} v{published.version}"
        return Item(position, "", "?", "?", 0, bytes(state), f"{where}: {stranger}")
    return Item(
        position,
        published.id,
        published.aggregate_type,
        published.aggregate_id,
        published.version,
        canonical,
    )


def _stranger(
    ledger: CooperationLedger, event: Any, topic: str, published: EventEnvelope
) -> str | None:
    """Why a decoded event cannot be one of this store's, or None.

    Neither the tenant an event names nor the record type its creation names are in
    what the chain hashes from the store alone (the tenant is in the canonical bytes,
    but only a witness holds the bytes it had): events moved from another tenant's
    store, or a creation retyped, verified OK and were then served by the wrong
    directorate's routes or broke every read of the record.
    """
    if published.tenant != ledger.tenant:
        return f"it names tenant {published.tenant!r}, in the store of {ledger.tenant!r}"
    named = getattr(event, "originator_topic", None)
    if named is not None and named != _owner(topic):
        return f"its creation names the record type {named!r}, not {_owner(topic)!r}"
    return None


def _owner(event_topic: str) -> str:
    """``mod:Mission.Requested`` → ``mod:Mission`` (the aggregate's topic)."""
    module, qualname = event_topic.split(":")
    return f"{module}:{qualname.rsplit('.', 1)[0]}"


def _undecodable(item: Item, previous: str) -> Entry:
    digest = hashlib.sha256(item.canonical or b"").hexdigest()
    return Entry(
        position=item.position,
        event_id=f"{UNDECODABLE}{item.position}",
        aggregate_type="?",
        aggregate_id="?",
        version=0,
        digest=UNDECODABLE + digest,
        link=previous,
        where=item.problem or "",
    )


def _entry(item: Item, previous: str) -> Entry:
    """The entry of one item after the link ``previous`` (``link_page`` of one item)."""
    return link_page([item], Cursor(item.position - 1, previous, 0))[0][0]
