"""What can go wrong while projecting the log into views.

A ``ProjectionError`` stops the projector (in a service, that tenant's partition
only: ``halts.py``) *before* the tracking position moves past the offending
event: a consumer never logs a failure and moves on, since the view would then
silently disagree with the log for ever. The one other
outcome is parking (``dead_letters.py``): a poison message (undecodable, of an
unknown type, failing its schema) is recorded with its reason and the tracking
moves past it in the same transaction, so it is handled, not skipped. Without
a dead-letter store (``Projector(dead_letters=None)``) those raise too.

Errors that are not ``ProjectionError`` (a dropped connection, a dead-letter
topic that did not acknowledge) roll the batch back and are retried.
"""

from __future__ import annotations

from shared.errors import EntenteError, NotFoundError


class ProjectionError(EntenteError):
    """Base of the errors that stop a projector; ``offset`` is where it stopped."""

    title = "Projection stopped"

    def __init__(self, detail: str, topic: str, offset: int, partition: int | None = None) -> None:
        where = f"topic {topic}" + ("" if partition is None else f", partition {partition}")
        super().__init__(f"{detail} ({where}, offset {offset})")
        self.topic = topic
        self.offset = offset
        self.partition = partition


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


class UndecodableMessageError(ProjectionError):
    """Raised, without a dead-letter store, when the log holds a message it cannot decode."""

    title = "Undecodable message"


class EventSchemaViolationError(ProjectionError):
    """Raised, without a dead-letter store, when an event's message fails its JSON Schema."""

    title = "Event schema violation"


class PoisonOffsetError(ProjectionError):
    """Raised when the log reports a poison message at or before the tracked offset.

    The log must only ever report the first record it could not decode after
    the offset the projector asked from; anything else is a broken adapter,
    and parking there could move the tracking backwards.
    """

    title = "Poison message out of place"


class DeadLetterPublishError(EntenteError):
    """Raised when the dead-letter topic did not acknowledge a parked message in time.

    Not a ``ProjectionError``: the view transaction rolls back (rows, tracking
    and the dead-letter row together) and the pass is retried, so the message
    is parked again rather than passed over.
    """

    title = "Dead letter not acknowledged"


class UnknownViewTenantError(NotFoundError):
    """Raised when views are asked for a tenant this view store was not set up for.

    A ``NotFoundError``, so the API answers 404 as for any unknown tenant.
    """

    title = "Unknown tenant"


class RefusedDataError(ProjectionError):
    """Raised when the views' database refuses a batch's values (SQLSTATE class 22).

    A value the database cannot store (U+0000 in PostgreSQL text, a number out of
    range) is refused again at every retry: the same events give the same values.
    Retried, the projector looked merely busy (``running``, no error) while its
    figures fell behind for good; stopped, readiness names the batch and the reason.
    """

    title = "Data refused by the database"
