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
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple
from uuid import UUID

from eventsourcing.persistence import Notification
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import sql
from psycopg.rows import tuple_row

from shared.application.ledger import AGGREGATES_BY_TOPIC, CooperationLedger
from shared.audit.findings import Entry
from shared.audit.progress import Interrupted, Never, Progress, Quiet, StopSignal
from shared.domain.catalogue import DOMAIN_EVENT_TOPICS, aggregate_type_of
from shared.events import chain
from shared.events.envelope import envelope

PAGE_SIZE = 5000
UNDECODABLE = "undecodable:"


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
    progress.stage(f"{label} of {ledger.tenant} (position)", ledger.position() or None)
    progress.update(cursor.position)
    while True:
        items = read_page(ledger, cursor.position, page_size)
        if not items:
            return cursor
        entries, cursor = link_page(items, cursor)
        on_page(items, entries, cursor)
        progress.update(cursor.position)
        if stop.requested():
            raise Interrupted(f"stopped after position {cursor.position} ({cursor.count} events)")


def link_page(items: Sequence[Item], cursor: Cursor) -> tuple[list[Entry], Cursor]:
    """The entries of ``items``, chained after ``cursor``: ``chain.link_canonical``, inlined."""
    entries: list[Entry] = []
    append, new, sha256 = entries.append, object.__new__, hashlib.sha256
    previous = bytes.fromhex(cursor.link)
    for item in items:
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
            digest=sha256(canonical).hexdigest(),
            link=previous.hex(),
            claim=None,
            where="",
            canonical=None,
        )
        append(entry)
    return entries, Cursor(items[-1].position, previous.hex(), cursor.count + len(items))


def read_page(ledger: CooperationLedger, after: int, limit: int) -> list[Item]:
    """The next events after ``after``, each decoded, or marked undecodable with the reason."""
    chained = ledger._row_decoder.chained
    items: list[Item] = []
    append, make = items.append, Item._make
    for row in _rows(ledger, after, limit):
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
        query = sql.SQL(
            "SELECT notification_id, originator_id::text, originator_version, topic, state "
            "FROM {schema}.{table} WHERE notification_id > %s AND topic = ANY(%s) "
            "ORDER BY notification_id LIMIT %s"
        ).format(
            schema=sql.Identifier(recorder.datastore.schema),
            table=sql.Identifier(recorder.events_table_name),
        )
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
        (n.id, str(n.originator_id), n.originator_version, n.topic, bytes(n.state))
        for n in notifications
    ]


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
        reason = f"the stored event cannot be decoded ({type(error).__name__}: {error})"
        return Item(position, "", "?", "?", 0, bytes(state), reason)
    return Item(
        position,
        published.id,
        published.aggregate_type,
        published.aggregate_id,
        published.version,
        canonical,
    )


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
