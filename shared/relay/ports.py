"""What the relay needs from the outside, as protocols: a source, a publisher, a state store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from shared.events.envelope import EventEnvelope
from shared.events.stored import Published
from shared.events.wire import WireMessage


class EventSource(Protocol):
    """A tenant's stored events in notification order (``CooperationLedger`` is one)."""

    tenant: str

    def read_published(
        self, after: int, limit: int
    ) -> Sequence[tuple[int, Published | EventEnvelope]]:
        """Domain events after notification id ``after``, in order: each as its canonical
        document and bytes, or as its envelope (``CooperationLedger.read_published``)."""
        ...

    def position(self) -> int:
        """The highest notification id recorded (0 when empty)."""
        ...


class Publisher(Protocol):
    """Sends messages to a topic and returns only once every one was acknowledged."""

    def publish(self, topic: str, messages: Sequence[WireMessage]) -> None:
        """Raises ``PublishFailedError`` unless the broker acknowledged all of ``messages``."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class WarmPublisher(Publisher, Protocol):
    """A publisher that can start connecting before its first publication.

    The relay asks it to while it reads its first page (``KafkaPublisher`` can;
    any plain ``Publisher`` still works, connecting on first use).
    """

    def warm_up(self, topics: Sequence[str]) -> None:
        """Starts connecting for ``topics`` in the background; errors wait for ``publish``."""
        ...


class Delivery(Protocol):
    """Messages handed to a publisher, not yet known to be acknowledged."""

    def wait(self) -> None:
        """Returns once the broker acknowledged every message; ``PublishFailedError`` otherwise."""
        ...


@runtime_checkable
class SendingPublisher(Publisher, Protocol):
    """A publisher that can hand messages over now and be waited on later.

    The relay reads and encodes its next page meanwhile (``KafkaPublisher``
    can; with a plain ``Publisher`` the relay publishes, then reads).
    """

    def send(self, topic: str, messages: Sequence[WireMessage]) -> Delivery:
        """Starts sending ``messages``; nothing is acknowledged before ``wait()`` returns."""
        ...


@dataclass(frozen=True)
class RelayState:
    """How far a tenant's events are published: the chain's size and head at a position."""

    position: int
    head: str
    count: int


class RelayStateStore(Protocol):
    """Where the relay keeps its state: beside the events, in the tenant's own database."""

    def load(self) -> RelayState:
        """The stored state; the genesis state (position 0) when none was stored."""
        ...

    def save(self, previous: RelayState, new: RelayState) -> None:
        """Stores ``new`` if ``previous`` is still stored, else ``RelayStateConflictError``."""
        ...

    def close(self) -> None: ...
