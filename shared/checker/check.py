"""The one check: event store, topic and views of a tenant, compared with each other.

The event store is the truth: it is read once, in notification order, in
large sections, and the chain links the relay must have sent are recomputed
from it. The topic and the views are each compared with it (either may be
left out). Run it when the tenant is quiet — writers, relay and projector
caught up — or the events still in flight are reported as lost.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from shared.checker.report import CheckReport, EventKey
from shared.checker.topic import RawTopicReader, StoredEvent, examine_topic, read_partition
from shared.checker.views import check_views
from shared.events import chain
from shared.events.envelope import EventEnvelope
from shared.kafka.dead_letters import HEADER_PREFIX
from shared.kafka.names import dead_letter_topic, events_topic
from shared.log.ports import UnknownTopicOrPartitionError
from shared.views.dead_letters import parked_count, parked_letters
from shared.views.store import ViewStore

#: Notifications read per section of the event store.
SECTION = 10_000


class StoredEvents(Protocol):
    """A tenant's event store in notification order (``CooperationLedger`` is one)."""

    tenant: str

    def read_log(self, after: int, limit: int) -> Sequence[tuple[int, EventEnvelope]]: ...


def stored_events(store: StoredEvents) -> list[EventEnvelope]:
    """Every domain event of the store, in notification order."""
    events: list[EventEnvelope] = []
    after = 0
    while section := store.read_log(after, SECTION):
        events.extend(event for _position, event in section)
        after = section[-1][0]
    return events


def chained(tenant: str, events: Sequence[EventEnvelope]) -> dict[EventKey, StoredEvent]:
    """Each event by (record, version), with the link the relay computes for it."""
    head = chain.genesis(tenant)
    found: dict[EventKey, StoredEvent] = {}
    for event in events:
        head = chain.link(head, event)
        found[(event.aggregate_id, event.version)] = StoredEvent(event, head)
    return found


def check(
    store: StoredEvents,
    topic: RawTopicReader | None = None,
    views: ViewStore | None = None,
    shown_as: Callable[[str], str] = str,
) -> CheckReport:
    """Checks ``store``'s tenant: its topic (read through ``topic``) and its ``views``.

    Poison messages the projector parked do not fail the topic's check: their
    offsets are read from the tenant's dead-letter topic, and from the views'
    table when the views are checked too (``entente check --no-views`` said
    FAILED for a message the full check called parked). ``shown_as``: the
    topic's name as the report gives it (the broker's, with the deployment's prefix).
    """
    tenant = store.tenant
    events = stored_events(store)
    topic_findings = None
    if topic is not None:
        name = events_topic(tenant)
        partitions = (read_partition(topic, name, p) for p in topic.partitions(name))
        parked = dead_letter_offsets(topic, tenant, name)
        if views is not None:
            parked |= parked_offsets(views, tenant, name)
        topic_findings = examine_topic(
            tenant, shown_as(name), chained(tenant, events), partitions, parked
        )
    view_findings = None if views is None else check_views(views, tenant, events)
    return CheckReport(tenant, len(events), topic_findings, view_findings)


def dead_letter_offsets(topic: RawTopicReader, tenant: str, name: str) -> set[tuple[int, int]]:
    """(partition, offset) of every message of ``name`` parked on the tenant's dead-letter topic.

    A letter's headers say where its message was (``shared.kafka.dead_letters``);
    a letter whose headers are not numbers names nothing. No dead-letter topic:
    nothing was parked there.
    """
    letters = dead_letter_topic(tenant)
    try:
        partitions = topic.partitions(letters)
    except UnknownTopicOrPartitionError:
        return set()
    found: set[tuple[int, int]] = set()
    for partition in partitions:
        for raw in read_partition(topic, letters, partition):
            where = {k.removeprefix(HEADER_PREFIX): v for k, v in raw.headers}
            try:
                if where.get("topic") == name.encode():
                    found.add((int(where["partition"]), int(where["offset"])))
            except (KeyError, ValueError):
                continue
    return found


def parked_offsets(views: ViewStore, tenant: str, topic: str) -> set[tuple[int, int]]:
    """(partition, offset) of every message of ``topic`` the tenant's projector parked."""
    with views.read(tenant) as session:
        letters = parked_letters(session, limit=max(parked_count(session), 1))
    return {(letter.partition, letter.offset) for letter in letters if letter.topic == topic}
