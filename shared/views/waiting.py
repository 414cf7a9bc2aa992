"""Read-your-writes: wait until a tenant's views reflect a given log position.

A command answers the position of its events; a client that reads right after
passes it back, and the read waits (briefly, bounded) until the projector has
applied it. The answer always comes from the tracking row, so it is the same
for SQLite and PostgreSQL and for the embedded and Kafka logs.

How the wait learns that something changed differs. With the projector in the
same process (the embedded default), it sleeps on a ``PassSignal`` that the
projector raises after each committed pass and reads the tracking row once per
pass: no CPU is spent while nothing happens, which matters when many readers
wait at once (a polling reader costs a query every few milliseconds, and on a
busy service those queries are what delays the projector it waits for).
Without one (the projector in its own process), it polls with a growing pause.

A waiting read holds one of the process's worker threads (the routes are
synchronous) for up to 30 s. Unbounded, one directorate's reader sending a few
dozen waits for a position never reached held every thread, and every tenant's
reads and commands, the reporting and the audit queued behind them (measured
by a probe: 0.08 s answers took 7 s). ``WAITING`` bounds the reads that wait at
once, per tenant, per caller and in all: past it a read that would wait answers 503 at once
(``too-many-waiting-reads``, Retry-After), and reads that need no wait are
never refused.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from shared.errors import NotYetVisibleError, TooManyWaitingError, ValidationError
from shared.views.passes import PassSignal
from shared.views.store import ViewStore
from shared.views.tracking import ViewPosition, view_position

#: Longest wait a caller may ask for: past it the answer is a 503 with Retry-After.
MAX_TIMEOUT_S = 30.0
#: Longest sleep on a signal between two looks: a lost notification delays, never strands.
FALLBACK_S = 0.25
_FIRST_PAUSE, _LONGEST_PAUSE = 0.002, 0.05


class WaitingReads:
    """How many reads wait at once: at most ``per_tenant`` of one tenant, ``per_caller``
    of one caller, ``total`` in all.

    ``total`` stays well below the worker thread pool (40 by default), so commands
    and plain reads always find a thread; ``per_tenant`` below ``total``, so one
    directorate cannot take every waiting place either; ``per_caller`` below
    ``per_tenant``, so one caller who reads several directorates (an auditor, a
    reader of two) cannot take a directorate's places, nor all of them (probe 13:
    an auditor's 16 waits answered 503 to every directorate's readers).
    """

    def __init__(self, total: int = 16, per_tenant: int = 6, per_caller: int = 4) -> None:
        self.total = total
        self.per_tenant = per_tenant
        self.per_caller = per_caller
        self._lock = threading.Lock()
        self._waiting: dict[str, int] = {}
        self._callers: dict[str, int] = {}

    def count(self, tenant: str) -> int:
        """How many reads of ``tenant`` wait now."""
        with self._lock:
            return self._waiting.get(tenant, 0)

    @contextmanager
    def place(self, tenant: str, caller: str | None = None) -> Iterator[None]:
        """A waiting place for one read of ``tenant`` by ``caller`` (a token's subject;
        None: counted by tenant only), or TooManyWaitingError."""
        with self._lock:
            mine = self._waiting.get(tenant, 0)
            theirs = 0 if caller is None else self._callers.get(caller, 0)
            if theirs >= self.per_caller:
                raise TooManyWaitingError(
                    f"{theirs} of your reads already wait for a position here (at most "
                    f"{self.per_caller} per caller): retry once one has answered, or read "
                    "without min_position"
                )
            if mine >= self.per_tenant:
                raise TooManyWaitingError(
                    f"{mine} reads of the {tenant} views already wait for a position here "
                    f"(at most {self.per_tenant} per directorate): retry shortly, or read "
                    "without min_position"
                )
            everyone = sum(self._waiting.values())
            if everyone >= self.total:  # it named the directorate's count (probe 14)
                raise TooManyWaitingError(
                    f"{everyone} reads already wait for a position here, every directorate's "
                    f"({self.total} at most in all): retry shortly, or read without "
                    "min_position"
                )
            self._waiting[tenant] = mine + 1
            if caller is not None:
                self._callers[caller] = theirs + 1
        try:
            yield
        finally:
            with self._lock:
                self._waiting[tenant] -= 1
                if caller is not None:
                    left = self._callers[caller] - 1
                    if left:
                        self._callers[caller] = left
                    else:
                        del self._callers[caller]  # not kept for every subject ever seen


#: The process's bound (every app of a process shares its worker threads).
WAITING = WaitingReads()


def current_position(store: ViewStore, tenant: str) -> ViewPosition:
    """The position the tenant's live views reflect now."""
    with store.read(tenant, one_statement=True) as session:
        return view_position(session)


def wait_for_position(
    store: ViewStore,
    tenant: str,
    position: int,
    timeout_s: float = 5.0,
    signal: PassSignal | None = None,
    waiting: WaitingReads | None = None,
    caller: str | None = None,
) -> ViewPosition:
    """Returns once the views reflect ``position``; NotYetVisibleError after ``timeout_s``.

    ``signal``: the in-process projector's, if there is one (see the module's
    docstring). A read that must wait takes a place in ``waiting`` (the
    process's ``WAITING`` by default) first: TooManyWaitingError when there is none.
    """
    if not 0 <= timeout_s <= MAX_TIMEOUT_S:
        raise ValidationError("timeout", "range", f"timeout must be 0 to {MAX_TIMEOUT_S:g} s")
    deadline = time.monotonic() + timeout_s
    seen = signal.passes if signal is not None else 0
    reached = current_position(store, tenant)
    if reached.position >= position:
        return reached
    with (waiting or WAITING).place(tenant, caller):
        return _wait(store, tenant, position, timeout_s, deadline, signal, seen, reached)


def _wait(
    store: ViewStore,
    tenant: str,
    position: int,
    timeout_s: float,
    deadline: float,
    signal: PassSignal | None,
    seen: int,
    reached: ViewPosition,
) -> ViewPosition:
    """``wait_for_position``'s loop, once the first look (``seen``, ``reached``) found
    the views behind."""
    pause = _FIRST_PAUSE
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise NotYetVisibleError(
                f"the {tenant} views reflect position {reached.position}; "
                f"position {position} was not reached within {timeout_s:g} s",
                position,
            )
        if signal is not None:
            signal.wait_after(seen, min(remaining, FALLBACK_S))
        else:
            time.sleep(min(pause, remaining))
            pause = min(pause * 2, _LONGEST_PAUSE)
        seen = signal.passes if signal is not None else 0
        reached = current_position(store, tenant)
        if reached.position >= position:
            return reached
