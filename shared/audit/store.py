"""Reading a tenant's event store as a chain: pages of events in notification order, linked.

``walk`` reads after a saved (position, link, count), so a verification or an
export interrupted half-way resumes where it stopped; ``Walker.on_page``
receives each page with its entries, for the caller to save before the next.
A stored event that cannot be decoded does not stop the walk: it becomes an
entry marked undecodable, which verification reports as altered.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from shared.application.ledger import AGGREGATES_BY_TOPIC, CooperationLedger
from shared.audit.findings import Entry
from shared.audit.progress import Interrupted, Never, Progress, Quiet, StopSignal
from shared.domain.catalogue import DOMAIN_EVENT_TOPICS, aggregate_type_of
from shared.events import chain
from shared.events.envelope import EventEnvelope, envelope

PAGE_SIZE = 1000
UNDECODABLE = "undecodable:"


@dataclass(frozen=True)
class Cursor:
    """How far a walk got: the last position read, the chain link after it, the event count."""

    position: int
    link: str
    count: int


@dataclass(frozen=True)
class Item:
    """One stored event: its envelope and canonical bytes, or why it could not be decoded."""

    position: int
    event: EventEnvelope | None
    canonical: bytes | None
    problem: str | None = None


#: Called with each page (its items and entries) before the walk moves on.
OnPage = Callable[[Sequence[Item], Sequence[Entry], Cursor], None]


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
    entries: list[Entry] = []
    link, count = cursor.link, cursor.count
    for item in items:
        entries.append(_entry(item, link))
        link, count = entries[-1].link, count + 1
    return entries, Cursor(items[-1].position, link, count)


def read_page(ledger: CooperationLedger, after: int, limit: int) -> list[Item]:
    """The next events after ``after``; one at a time if some cannot be decoded."""
    try:
        page = ledger.read_log(after, limit)
    except Exception:  # an undecodable row among them: find which, decode the rest
        return _tolerant(ledger, after, limit)
    return [Item(position, event, chain.canonical(event)) for position, event in page]


def _tolerant(ledger: CooperationLedger, after: int, limit: int) -> list[Item]:
    notifications = ledger.recorder.select_notifications(
        start=max(after, 0), limit=limit, topics=DOMAIN_EVENT_TOPICS, inclusive_of_start=False
    )
    items: list[Item] = []
    for notification in notifications:
        try:
            event: Any = ledger.mapper.to_domain_event(notification)
            owner = AGGREGATES_BY_TOPIC[_owner(notification.topic)]
            published = envelope(event, aggregate_type_of(owner), notification.id)
            items.append(Item(notification.id, published, chain.canonical(published)))
        except Exception as error:  # reported as an altered event, with the reason
            reason = f"the stored event cannot be decoded ({type(error).__name__}: {error})"
            items.append(Item(notification.id, None, bytes(notification.state), reason))
    return items


def _owner(event_topic: str) -> str:
    """``mod:Mission.Requested`` → ``mod:Mission`` (the aggregate's topic)."""
    module, qualname = event_topic.split(":")
    return f"{module}:{qualname.rsplit('.', 1)[0]}"


def _entry(item: Item, previous: str) -> Entry:
    if item.event is None or item.canonical is None:
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
    event = item.event
    # Entry's own fields, set at once: its frozen __init__ is a tenth of a walk's time.
    entry = object.__new__(Entry)
    fields = {
        "position": item.position,
        "event_id": event.id,
        "aggregate_type": event.aggregate_type,
        "aggregate_id": event.aggregate_id,
        "version": event.version,
        "digest": hashlib.sha256(item.canonical).hexdigest(),
        "link": chain.link_canonical(previous, item.canonical),  # the bytes read_page encoded
        "claim": None,
        "where": "",
        "canonical": None,
    }
    object.__setattr__(entry, "__dict__", fields)
    return entry
