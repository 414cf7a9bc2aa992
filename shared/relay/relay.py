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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from eventsourcing.persistence import OperationalError as StoreOperationalError

from shared.events import chain, wire
from shared.events.envelope import EventEnvelope
from shared.kafka.errors import PublishFailedError
from shared.kafka.names import checkpoints_topic, events_topic
from shared.relay.checkpoint import Checkpoint, encode_checkpoint
from shared.relay.errors import RelayStateAheadError, RelayStoreUnavailableError
from shared.relay.ports import EventSource, Publisher, RelayState, RelayStateStore

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
        """Publishes every event stored so far (until ``stop`` is set); returns how many."""
        state = self._store.load()
        self._refuse_if_ahead(state)
        published = 0
        while not (stop and stop.is_set()):
            page = self._source.read_log(state.position, self._page_limit(state))
            if not page:
                break
            state = self._publish(state, page)
            published += len(page)
        first = self._checkpointed is None
        if state.count and state.count != self._checkpointed and (published or first):
            self._checkpoint(state)
        return published

    def run(self, stop: threading.Event) -> None:
        """Catches up every ``poll_interval`` seconds until ``stop``; waits out outages."""
        backoff = self._options.poll_interval
        while not stop.is_set():
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
            stop.wait(self._options.poll_interval)

    def _publish(self, state: RelayState, page: Sequence[tuple[int, EventEnvelope]]) -> RelayState:
        head = state.head
        messages = []
        for _position, event in page:
            head = chain.link(head, event)
            messages.append(wire.encode(event, head))
        self._publisher.publish(events_topic(self.tenant), messages)
        new = RelayState(position=page[-1][0], head=head, count=state.count + len(page))
        if new.count % self._options.checkpoint_every == 0:
            self._checkpoint(new)
        self._store.save(state, new)
        return new

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
