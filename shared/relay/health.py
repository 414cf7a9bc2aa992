"""What a running relay tells its probes and metrics: is it turning, is it publishing.

A relay can be alive and useless: the broker or the database away, it waits
and retries, and its process looks fine from outside. ``RelayHealth`` is fed
by ``Relay.run`` (each look, each acknowledged page, each failure) and read by
the relay's HTTP face (``services/relay/app.py``):

- **alive** while the loop still turns: it beats at every look, retry and
  acknowledged page, so only a call stuck for ``stale_after`` seconds (a
  connection that never answers) makes it stale, and Kubernetes restarts it;
- **ready** once a look has succeeded and until one fails, or until a look has
  gone ``stalled_after`` seconds without progress (no page acknowledged): a relay
  waiting out an outage is alive but not ready, and says why. Before the second
  rule, a look blocked on a broker or a database that does not answer (up to the
  producer's 120 s delivery timeout) left the relay "ready" for two minutes of an
  outage (probe 5).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from shared.relay.ports import RelayState

#: Seconds without a beat after which the loop counts as stuck. Longer than any wait the
#: relay makes on purpose: a retry's backoff (30 s at most) after a publication that may
#: take the producer's delivery timeout (120 s by default) to fail.
STALE_AFTER_S = 300.0
#: Seconds a look may go without progress (a page acknowledged) and the relay still be
#: ready: a page takes milliseconds to a few seconds when the broker and database answer.
STALLED_AFTER_S = 20.0


@dataclass(frozen=True)
class HealthSnapshot:
    """One consistent reading of a relay's health (times from ``time.time``)."""

    #: Seconds since the loop last beat (None before its first beat).
    silent_for: float | None
    #: When the last look succeeded (None before the first).
    looked_at: float | None
    #: The error of the last look, while it is not followed by a successful one.
    failure: str | None
    #: When the current run of failures began.
    failing_since: float | None
    #: Notification id and chain size published so far (None before the first look).
    position: int | None
    count: int | None
    #: Events this process published, and looks that failed.
    published_total: int
    failures_total: int
    stale_after: float
    #: Seconds the look under way has gone without progress (None between looks).
    stalled_for: float | None = None
    stalled_after: float = STALLED_AFTER_S

    @property
    def alive(self) -> bool:
        return self.silent_for is not None and self.silent_for <= self.stale_after

    @property
    def stalled(self) -> bool:
        return self.stalled_for is not None and self.stalled_for > self.stalled_after

    @property
    def ready(self) -> bool:
        return (
            self.alive and self.looked_at is not None and self.failure is None and not self.stalled
        )


class RelayHealth:
    """Thread-safe: the relay's thread writes, the HTTP server's threads read."""

    def __init__(
        self,
        stale_after: float = STALE_AFTER_S,
        monotonic: Callable[[], float] = time.monotonic,
        clock: Callable[[], float] = time.time,
        stalled_after: float = STALLED_AFTER_S,
    ) -> None:
        self._stale_after = stale_after
        self._stalled_after = stalled_after
        self._progress: float | None = None  # while a look is under way: its last progress
        self._monotonic = monotonic
        self._clock = clock
        self._lock = threading.Lock()
        self._beat: float | None = None
        self._looked_at: float | None = None
        self._failure: str | None = None
        self._failing_since: float | None = None
        self._state: RelayState | None = None
        self._published = 0
        self._failures = 0

    def beat(self) -> None:
        """The loop is turning (a retry, a wait for the broker)."""
        with self._lock:
            self._beat = self._monotonic()

    def looking(self) -> None:
        """A look begins: it makes progress from now on, or stalls."""
        with self._lock:
            self._beat = self._progress = self._monotonic()

    def progressed(self) -> None:
        """The look under way moved on (a page acknowledged and saved)."""
        with self._lock:
            self._beat = self._monotonic()
            if self._progress is not None:
                self._progress = self._beat

    def looked(self, state: RelayState | None, published: int) -> None:
        """A look succeeded: ``published`` events more, the relay now at ``state``."""
        with self._lock:
            self._beat = self._monotonic()
            self._progress = None
            self._looked_at = self._clock()
            self._failure = self._failing_since = None
            if state is not None:
                self._state = state
            self._published += published

    def failed(self, error: BaseException) -> None:
        """A look failed with an error the relay waits out (it retries)."""
        with self._lock:
            self._beat = self._monotonic()
            self._progress = None
            self._failure = f"{type(error).__name__}: {error}"
            if self._failing_since is None:
                self._failing_since = self._clock()
            self._failures += 1

    def snapshot(self) -> HealthSnapshot:
        with self._lock:
            state, now = self._state, self._monotonic()
            return HealthSnapshot(
                silent_for=None if self._beat is None else now - self._beat,
                looked_at=self._looked_at,
                failure=self._failure,
                failing_since=self._failing_since,
                position=None if state is None else state.position,
                count=None if state is None else state.count,
                published_total=self._published,
                failures_total=self._failures,
                stale_after=self._stale_after,
                stalled_for=None if self._progress is None else now - self._progress,
                stalled_after=self._stalled_after,
            )
