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
"""

from __future__ import annotations

import time

from shared.errors import NotYetVisibleError, ValidationError
from shared.views.passes import PassSignal
from shared.views.store import ViewStore
from shared.views.tracking import ViewPosition, view_position

#: Longest wait a caller may ask for: past it the answer is a 503 with Retry-After.
MAX_TIMEOUT_S = 30.0
#: Longest sleep on a signal between two looks: a lost notification delays, never strands.
FALLBACK_S = 0.25
_FIRST_PAUSE, _LONGEST_PAUSE = 0.002, 0.05


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
) -> ViewPosition:
    """Returns once the views reflect ``position``; NotYetVisibleError after ``timeout_s``.

    ``signal``: the in-process projector's, if there is one (see the module's docstring).
    """
    if not 0 <= timeout_s <= MAX_TIMEOUT_S:
        raise ValidationError("timeout", "range", f"timeout must be 0 to {MAX_TIMEOUT_S:g} s")
    deadline = time.monotonic() + timeout_s
    pause = _FIRST_PAUSE
    while True:
        seen = signal.passes if signal is not None else 0
        reached = current_position(store, tenant)
        if reached.position >= position:
            return reached
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise NotYetVisibleError(
                f"the {tenant} views reflect position {reached.position}; "
                f"position {position} was not reached within {timeout_s:g} s",
                position,
            )
        if signal is not None:
            signal.wait_after(seen, min(remaining, FALLBACK_S))
            continue
        time.sleep(min(pause, remaining))
        pause = min(pause * 2, _LONGEST_PAUSE)
