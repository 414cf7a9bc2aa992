"""One tenant's relay: event store → chain → topic, position saved only after the acks.

Each page of up to ``page_size`` events (read in notification order) is
chained (``link(n) = sha256(link(n-1) || canonical(n))``), encoded as
CloudEvents keyed by record id, published, and acknowledged by the broker;
only then is (position, head, count) saved. A crash before the save publishes
the page again with the very same messages (ids and links are deterministic),
so readers de-duplicate and nothing is skipped.

Pages end on multiples of ``checkpoint_every``, and a checkpoint follows each
such page, the first catch-up of a process (so a checkpoint lost in a crash is
replaced), and the end of each catch-up that published something. Under a
steady trickle of commands (``run``), that last one comes at most every
``checkpoint_interval`` seconds: one catch-up per command would otherwise
publish and flush a checkpoint per command (a third of the relay's CPU). The
chain's head is still checkpointed within ``checkpoint_interval`` of its last
event, by the catch-up that finds nothing new.
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
from shared.relay.health import RelayHealth
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

#: Seconds between two "published" log lines of a running relay (each sums the catch-ups).
LOG_EVERY_S = 10.0

#: A wake this soon after the last catch-up means commands are coming in: ``linger``.
BUSY_WITHIN_S = 0.05

#: Failures the relay waits out (broker or database away); anything else stops it.
TRANSIENT = (PublishFailedError, RelayStoreUnavailableError, StoreOperationalError)


@dataclass(frozen=True)
class RelayOptions:
    """Page size (1,000: reading the notification log in large sections is ~4x faster).

    ``checkpoint_interval``: in ``run``, the longest a published head waits for
    its checkpoint (pages on a ``checkpoint_every`` boundary are checkpointed
    at once).

    ``linger``: in ``run``, woken less than ``BUSY_WITHIN_S`` after its last
    catch-up (commands are coming in), the relay waits this long before the
    next, so that one catch-up publishes several commands' events. At 300
    commands a second, 5 ms took its CPU from 0.32 to 0.22 of a core; a relay
    woken after a quiet spell publishes at once.
    """

    page_size: int = 1000
    checkpoint_every: int = 1000
    poll_interval: float = 0.5
    max_backoff: float = 30.0
    checkpoint_interval: float = 1.0
    linger: float = 0.005

    def __post_init__(self) -> None:
        """A page of 0 events would publish nothing for ever, silently; a checkpoint every
        0 events divides by zero; a negative wait spins. Refused, naming the option."""
        if self.page_size < 1 or self.checkpoint_every < 1:
            raise ValueError(
                f"page_size and checkpoint_every must be at least 1 "
                f"(got {self.page_size} and {self.checkpoint_every})"
            )
        waits = {
            "poll_interval": self.poll_interval,
            "max_backoff": self.max_backoff,
            "checkpoint_interval": self.checkpoint_interval,
            "linger": self.linger,
        }
        negative = [name for name, seconds in waits.items() if not seconds >= 0]
        if negative or self.poll_interval == 0:
            raise ValueError(
                f"relay waits must be positive seconds (poll_interval above 0): {waits}"
            )


class Relay:
    """Publishes one tenant's events; ``catch_up`` once, or ``run`` until stopped."""

    def __init__(
        self,
        source: EventSource,
        publisher: Publisher,
        store: RelayStateStore,
        options: RelayOptions | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
        health: RelayHealth | None = None,
    ) -> None:
        self.tenant = source.tenant
        #: What ``run`` reports to the probes and metrics (``shared.relay.health``).
        self.health = health or RelayHealth()
        self._source = source
        self._publisher = publisher
        self._store = store
        self._options = options or RelayOptions()
        self._clock = clock
        self._monotonic = monotonic
        self._checkpointed: int | None = None
        self._checkpointed_at = -float("inf")  # ``monotonic`` time of the last checkpoint
        self._published: RelayState | None = None  # as of the last catch-up
        self._saved: RelayState | None = None  # what this relay last loaded or saved
        self._unlogged = 0  # events published since the last "published" log line
        self._logged_at = -float("inf")

    def catch_up(self, stop: threading.Event | None = None, *, settle: bool = True) -> int:
        """Publishes every event stored so far (until ``stop`` is set); returns how many.

        ``settle``: checkpoint the head at the end when this catch-up published
        something. ``run`` passes False while a checkpoint is younger than
        ``checkpoint_interval``, and checkpoints the head later (``_checkpoint_tail``).

        A page shorter than its limit ends the catch-up: it held every event
        stored when it was read (what is stored later wakes the next one).

        One page in flight, in one thread: page n is handed to the producer
        (whose I/O thread sends it), page n+1 is read, chained and encoded
        meanwhile, then page n's acks are awaited and its state saved; page
        n+1 is sent only after that save. (A reader thread for page n+1 was
        slower: it fought the producer's calls for the GIL.)
        """
        topic = events_topic(self.tenant)
        if isinstance(self._publisher, WarmPublisher):
            self._publisher.warm_up([topic, checkpoints_topic(self.tenant)])
        state = self._state()
        published = 0
        try:
            page = None if _stopped(stop) else self._prepare(state)
            while page is not None:
                delivery = self._send(topic, page.messages)
                following = None if _stopped(stop) or not page.full else self._prepare(page.state)
                delivery.wait()
                self._commit(state, page.state)
                state, published = page.state, published + len(page.messages)
                page = following
        except BaseException:
            self._saved = None  # the next catch-up reads the stored state afresh
            raise
        first = self._checkpointed is None
        self._published = state
        if state.count and state.count != self._checkpointed and ((published and settle) or first):
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
            self.health.looking()
            try:
                pause = self.step(stop)
            except TRANSIENT as error:
                self.health.failed(error)
                log.warning("relay %s: %s; retrying in %.1fs", self.tenant, error, backoff)
                stop.wait(backoff)
                backoff = min(backoff * 2, self._options.max_backoff)
                continue
            backoff = self._options.poll_interval
            ended = self._monotonic()
            _pause(stop, wake, pause)
            stop.wait(self.lingering(ended))
        self._checkpoint_on_stop()

    def lingering(self, ended: float) -> float:
        """How long to wait before the next catch-up, the last having ended at ``ended``."""
        busy = self._monotonic() - ended < BUSY_WITHIN_S
        return self._options.linger if busy else 0.0

    def step(self, stop: threading.Event | None = None) -> float:
        """One look of ``run``: a catch-up, and the head's checkpoint when due.

        Returns how long to wait before the next look: ``poll_interval``, or
        less when a checkpoint of the head is pending.
        """
        published = self.catch_up(stop, settle=self._checkpoint_due() <= 0)
        if published:
            self._log_published(published)
        else:
            self._checkpoint_tail()
        pause = self._options.poll_interval
        if self._unchecked():  # back when the head's checkpoint is due, at the latest
            pause = min(pause, max(self._checkpoint_due(), 0.0))
        self.health.looked(self._published, published)
        return pause

    def _log_published(self, published: int) -> None:
        """One INFO line per ``LOG_EVERY_S`` with the events published meanwhile.

        Under a trickle of commands every catch-up publishes a few events: a
        line each was a hundred lines a second in the relay's log.
        """
        self._unlogged += published
        now = self._monotonic()
        if now - self._logged_at >= LOG_EVERY_S:
            log.info("relay %s: published %d events", self.tenant, self._unlogged)
            self._unlogged, self._logged_at = 0, now
        else:
            log.debug("relay %s: published %d events", self.tenant, published)

    def _checkpoint_on_stop(self) -> None:
        """A stopping relay checkpoints what it published since its last checkpoint."""
        if not self._unchecked():
            return
        assert self._published is not None
        try:
            self._checkpoint(self._published)
        except TRANSIENT as error:  # the next start checkpoints it (its first catch-up)
            log.warning("relay %s: no checkpoint on stop: %s", self.tenant, error)

    def _checkpoint_due(self) -> float:
        """Seconds until the next end-of-catch-up checkpoint may be published."""
        return self._checkpointed_at + self._options.checkpoint_interval - self._monotonic()

    def _unchecked(self) -> bool:
        """Whether events were published since the last checkpoint."""
        state = self._published
        return state is not None and state.count > 0 and state.count != self._checkpointed

    def _checkpoint_tail(self) -> None:
        """Checkpoints the head a catch-up left unchecked (``settle=False``), once it is due."""
        if self._unchecked() and self._checkpoint_due() <= 0:
            assert self._published is not None
            self._checkpoint(self._published)

    def _state(self) -> RelayState:
        """Where publishing resumes: the state this relay saved last, or the stored one.

        The stored state is read once, then after each failure (``run`` retries
        with a fresh look); in between, this relay is its only writer (``save``
        refuses a state another relay moved), so a catch-up under a trickle of
        commands costs two queries, not four.
        """
        if self._saved is None:
            state = self._store.load()
            self._refuse_if_ahead(state)
            self._saved = state
        return self._saved

    def _prepare(self, state: RelayState) -> _Page | None:
        """The next page after ``state``, chained and encoded; None when there is none."""
        limit = self._page_limit(state)
        events = self._source.read_published(state.position, limit)
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
        return _Page(messages, after, full=len(events) == limit)

    def _commit(self, previous: RelayState, new: RelayState) -> None:
        """After the acks: the checkpoint at a boundary, then the saved position."""
        if new.count % self._options.checkpoint_every == 0:
            self._checkpoint(new)
        self._saved = None  # unknown until the save returns
        self._store.save(previous, new)
        self._saved = new
        self.health.progressed()  # a long catch-up is neither stuck nor stalled

    def _checkpoint(self, state: RelayState) -> None:
        checkpoint = Checkpoint(self.tenant, state.count, state.head, state.position, self._clock())
        self._publisher.publish(checkpoints_topic(self.tenant), [encode_checkpoint(checkpoint)])
        self._checkpointed = state.count
        self._checkpointed_at = self._monotonic()

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
    #: Whether the page reached its limit (more events may follow at once).
    full: bool


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
