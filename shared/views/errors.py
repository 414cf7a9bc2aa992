"""What can go wrong while projecting the log into views.

Every one of these stops the projector *before* the tracking position moves
past the offending event: a consumer never logs a failure and moves on, since
the view would then silently disagree with the log for ever.
"""

from __future__ import annotations

from shared.errors import EntenteError, NotFoundError


class ProjectionError(EntenteError):
    """Base of the errors that stop a projector; ``offset`` is where it stopped."""

    title = "Projection stopped"

    def __init__(self, detail: str, topic: str, offset: int) -> None:
        super().__init__(f"{detail} (topic {topic}, offset {offset})")
        self.topic = topic
        self.offset = offset


class UnknownEventTypeError(ProjectionError):
    """Raised when the log carries an event type (or type version) no handler knows.

    Typically a newer producer publishing ``….v3`` before the projector learned
    it: deploy the projector that knows it, and projection resumes where it
    stopped.
    """

    title = "Unknown event type"


class AggregateVersionGapError(ProjectionError):
    """Raised when an event's version is not the next one of its record in the view.

    Per-aggregate order is guaranteed by the log, so a gap means an event was
    lost upstream (or the view was written by something else); applying the
    later event would build a state that never existed.
    """

    title = "Aggregate version gap"


class UnexpectedEventDataError(ProjectionError):
    """Raised when a known event type carries a payload the handler cannot read."""

    title = "Unexpected event data"


class TenantMismatchError(ProjectionError):
    """Raised when a record's tenant differs from the tenant whose topic carried it.

    Applying it would show one directorate's record in another's views.
    """

    title = "Tenant mismatch"


class UnknownViewTenantError(NotFoundError):
    """Raised when views are asked for a tenant this view store was not set up for.

    A ``NotFoundError``, so the API answers 404 as for any unknown tenant.
    """

    title = "Unknown tenant"
