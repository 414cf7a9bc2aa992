"""One tenant's relay: event store → chain → topic, position saved only after the acks.

Each page of up to ``page_size`` events (read in notification order) is
chained (``link(n) = sha256(link(n-1) || canonical(n))``), encoded as
CloudEvents keyed by record id, published, and acknowledged by the broker;
only then is (position, head, count) saved. A crash before the save publishes
the page again with the very same messages (ids and links are deterministic),
so readers de-duplicate and nothing is skipped.

Pages end on multiples of ``checkpoint_every``, and a checkpoint follows each
such page and the end of each catch-up that published something (and the
first catch-up of a process, so a checkpoint lost in a crash is replaced).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from eventsourcing.persistence import OperationalError as StoreOperationalError

from shared.events import chain, wire
from shared.events.envelope import EventEnvelope
from shared.events.stored import Published
from shared.events.wire import WireMessage
from shared.kafka.errors import PublishFailedError
from shared.kafka.names import checkpoints_topic, events_topic
from shared.relay.checkpoint import Checkpoint, encode_checkpoint
from shared.relay.errors import RelayStateAheadError, RelayStoreUnavailableError
from shared.relay.ports import (
    Delivery,
    EventSource,
    Publisher,
    RelayState,
    RelayStateStore,
    SendingPublisher,
    WarmPublisher,
)

log = logging.getLogger("entente.relay")

#: Failures the relay waits out (broker or database away); anything else stops it.
TRANSIENT = (PublishFailedError, RelayStoreUnavailableError, StoreOperationalError)


@dataclass(frozen=True)
class RelayOptions:
    """Page size (1,000: reading the notification log in large sections is ~4x faster)."""

    page_size: int = 1000
    checkpoint_every: int = 1000
    poll_interval: float = 0.5
    max_backoff: float = 30.0


class Relay:
    """Publishes one tenant's events; ``catch_up`` once, or ``run`` until stopped."""

    def __init__(
        self,
        source: EventSource,
        publisher: Publisher,
        store: RelayStateStore,
        options: RelayOptions | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.tenant = source.tenant
        self._source = source
        self._publisher = publisher
        self._store = store
        self._options = options or RelayOptions()
        self._clock = clock
        self._checkpointed: int | None = None

    def catch_up(self, stop: threading.Event | None = None) -> int:
        """Publishes every event stored so far (until ``stop`` is set); returns how many.

        One page in flight, in one thread: page n is handed to the producer
        (whose I/O thread sends it), page n+1 is read, chained and encoded
        meanwhile, then page n's acks are awaited and its state saved; page
        n+1 is sent only after that save. (A reader thread for page n+1 was
        slower: it fought the producer's calls for the GIL.)
        """
        topic = events_topic(self.tenant)
        if isinstance(self._publisher, WarmPublisher):
            self._publisher.warm_up([topic, checkpoints_topic(self.tenant)])
        state = self._store.load()
        self._refuse_if_ahead(state)
        published = 0
        page = None if _stopped(stop) else self._prepare(state)
        while page is not None:
            delivery = self._send(topic, page.messages)
            following = None if _stopped(stop) else self._prepare(page.state)
            delivery.wait()
            self._commit(state, page.state)
            state, published = page.state, published + len(page.messages)
            page = following
        first = self._checkpointed is None
        if state.count and state.count != self._checkpointed and (published or first):
            self._checkpoint(state)
        return published

    def _send(self, topic: str, messages: list[WireMessage]) -> Delivery:
        """Starts sending when the publisher can; a plain publisher publishes here and now."""
        if isinstance(self._publisher, SendingPublisher):
            return self._publisher.send(topic, messages)
        self._publisher.publish(topic, messages)
        return _DELIVERED

    def run(self, stop: threading.Event, wake: threading.Event | None = None) -> None:
        """Catches up every ``poll_interval`` seconds until ``stop``; waits out outages.

        ``wake``: set when events were stored (``shared.notify``); the relay then
        catches up at once instead of at its next look. It is cleared before each
        catch-up, so an insert during one is published by the next.
        """
        backoff = self._options.poll_interval
        while not stop.is_set():
            if wake is not None:
                wake.clear()
            try:
                published = self.catch_up(stop)
            except TRANSIENT as error:
                log.warning("relay %s: %s; retrying in %.1fs", self.tenant, error, backoff)
                stop.wait(backoff)
                backoff = min(backoff * 2, self._options.max_backoff)
                continue
            backoff = self._options.poll_interval
            if published:
                log.info("relay %s: published %d events", self.tenant, published)
            _pause(stop, wake, self._options.poll_interval)

    def _prepare(self, state: RelayState) -> _Page | None:
        """The next page after ``state``, chained and encoded; None when there is none."""
        events = self._source.read_published(state.position, self._page_limit(state))
        if not events:
            return None
        head, messages = state.head, []
        link, link_canonical = chain.link, chain.link_canonical
        encode, encode_document = wire.encode, wire.encode_document
        for _position, event in events:
            if type(event) is Published:
                head = link_canonical(head, event.canonical)
                messages.append(encode_document(event.document, head))
            else:
                assert isinstance(event, EventEnvelope)
                head = link(head, event)
                messages.append(encode(event, head))
        after = RelayState(position=events[-1][0], head=head, count=state.count + len(events))
        return _Page(messages, after)

    def _commit(self, previous: RelayState, new: RelayState) -> None:
        """After the acks: the checkpoint at a boundary, then the saved position."""
        if new.count % self._options.checkpoint_every == 0:
            self._checkpoint(new)
        self._store.save(previous, new)

    def _checkpoint(self, state: RelayState) -> None:
        checkpoint = Checkpoint(self.tenant, state.count, state.head, state.position, self._clock())
        self._publisher.publish(checkpoints_topic(self.tenant), [encode_checkpoint(checkpoint)])
        self._checkpointed = state.count

    def _page_limit(self, state: RelayState) -> int:
        """A page never crosses a multiple of ``checkpoint_every``."""
        to_boundary = self._options.checkpoint_every - state.count % self._options.checkpoint_every
        return min(self._options.page_size, to_boundary)

    def _refuse_if_ahead(self, state: RelayState) -> None:
        if state.position > self._source.position():
            raise RelayStateAheadError(
                f"the relay of {self.tenant!r} published up to notification {state.position}, "
                f"but the event store ends at {self._source.position()}"
            )


@dataclass(frozen=True)
class _Page:
    """A page ready to send: its messages, and the relay state once they are acknowledged."""

    messages: list[WireMessage]
    state: RelayState


class _Delivered:
    """What a plain publisher's ``publish`` returned: already acknowledged."""

    def wait(self) -> None:
        return None


_DELIVERED = _Delivered()


def _stopped(stop: threading.Event | None) -> bool:
    return stop is not None and stop.is_set()


def _pause(stop: threading.Event, wake: threading.Event | None, seconds: float) -> None:
    """Waits ``seconds``, or less if ``wake`` or ``stop`` is set (``stop`` seen within 0.25 s)."""
    if wake is None:
        stop.wait(seconds)
        return
    deadline = time.monotonic() + seconds
    while not stop.is_set():
        remaining = deadline - time.monotonic()
        if remaining <= 0 or wake.wait(min(remaining, 0.25)):
            return
