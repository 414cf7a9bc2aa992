"""What can go wrong while auditing, each named after the failure.

A tampered history is *not* an error: ``verify`` reports it as findings (the
CLI then exits 1). These errors are for audits that could not be carried out.
"""

from __future__ import annotations

from shared.errors import ConflictError, EntenteError, NotFoundError, TooManyWaitingError


class AuditError(EntenteError):
    """Base of the audit errors."""

    title = "Audit failed"


class UnknownRecordError(NotFoundError):
    """Raised when an audited id names no record of the tenant (or names a receipt)."""

    title = "Not found"


class NotExistingYetError(NotFoundError):
    """Raised when a record is asked for as of a time before its creation (on that axis)."""

    title = "Not found"


class UnreplayableHistoryError(ConflictError):
    """Raised when the events selected for an as-of state cannot be applied in version order.

    Business-time selection may leave out an event later ones depend on; the
    answer is then refused (409) rather than a state the record never had.
    """

    title = "History cannot be replayed"


class BundleError(AuditError):
    """Raised when a bundle cannot be read at all: not a zip, no manifest, unknown format.

    A bundle that reads but whose content was altered is reported as findings.
    """

    title = "Unreadable bundle"


class ResumeStateError(AuditError):
    """Raised when ``--resume`` finds no saved state, or one for another tenant or run."""

    title = "Cannot resume"


class RefusedPathError(AuditError):
    """Raised when a path given to an audit command is not one it may write.

    An audit only ever replaces what it wrote itself (its own saved state, its own
    interrupted export): an existing file of any other kind, a folder or an empty
    path is refused before anything is read or written.
    """

    title = "Refused path"


class ViewsKeptMovingError(AuditError):
    """Raised when the live views moved on during every attempt to compare them with a replay."""

    title = "Views kept moving"


class UndecodableHistoryError(AuditError):
    """Raised when a replay meets a stored event it cannot decode or the views cannot
    apply (a record's version skipped, data its handler cannot read), or a log that
    ends before what the live views read (an altered store).

    The replay cannot go on; ``entente audit verify`` names the events. The CLI
    reports it as a finding (exit 1), never a traceback.
    """

    title = "Undecodable history"


class ReplaysQueuedError(TooManyWaitingError):
    """Raised when a read of the views as of a past time would queue behind too many.

    Replays are built one at a time and each waiting read holds one of the process's
    worker threads: an auditor's 200 reads at distinct instants held them all, and
    every directorate's reads waited 15 to 30 s where the services share a process
    (probe 13). Past ``AsOfViews``' bound a read answers 503 at once (Retry-After),
    logged as a warning like any waiting read refused: a bound doing its job.
    """

    title = "Too many replays queued"
    rule = "too-many-replays"
    field = None  # no parameter of the caller's: the replays' own bound
