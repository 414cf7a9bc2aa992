"""Why a relay stops or waits, each named after what went wrong."""

from __future__ import annotations

from shared.errors import EntenteError


class RelayStateConflictError(EntenteError):
    """Raised when the stored position moved under a relay: a second relay runs for the tenant.

    One sequencer per tenant computes the chain; two would publish everything
    twice and race on the position, so the one that notices stops.
    """

    title = "Relay state conflict"


class RelayStateAheadError(EntenteError):
    """Raised at start when the relay's position is beyond the event store's last event.

    The store lost events the log already carries (a restore from an older
    backup, a wrong database): publishing on would fork the chain.
    """

    title = "Relay ahead of its event store"


class RelayStoreUnavailableError(EntenteError):
    """Raised when the relay state table cannot be read or written (the database is away).

    Transient: the relay waits and tries again from the stored position.
    """

    title = "Relay state unavailable"
