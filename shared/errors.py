"""One error hierarchy for the whole platform, knowing nothing of HTTP.

The API maps each class to an RFC 9457 problem in one place
(``shared.http.problems``); the CLI maps them to a message and a non-zero exit.
Every class says when it is raised, so a caller knows which one to catch.
"""

from __future__ import annotations


def first_line(error: BaseException) -> str:
    """The first line of ``error``'s message, or its ``repr`` when the message is empty.

    Why: a driver's error runs over several lines (psycopg adds DETAIL, HINT and
    CONTEXT; SQLAlchemy adds the statement and its parameters, which may hold
    official text); the first says what failed and is what a one-line answer, a
    finding or a log line repeats. An error with no message still names itself.
    """
    lines = str(error).strip().splitlines()
    return lines[0] if lines else repr(error)


class EntenteError(Exception):
    """Base of every error the platform raises on purpose."""

    title = "Entente error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class ValidationError(EntenteError):
    """Raised when an input value breaks a rule of its own (type, range, vocabulary).

    ``field`` names the offending input (dotted path) and ``rule`` a stable code,
    so a client can point the user at the right box without parsing prose.
    """

    title = "Invalid input"

    def __init__(self, field: str, rule: str, detail: str) -> None:
        super().__init__(detail)
        self.field = field
        self.rule = rule


class InvalidFieldsError(ValidationError):
    """Raised when several fields of one command break their own rules.

    Named after the first (``field``, ``rule``), with every one in ``errors`` (field,
    rule, message, as the framework's format errors are listed), so a client fixes
    them all in one round trip instead of one per request.
    """

    def __init__(self, each: list[ValidationError]) -> None:
        first = each[0]
        super().__init__(
            first.field,
            first.rule,
            f"{len(each)} fields are invalid; first: {first.field}: {first.detail}",
        )
        self.each = each
        self.errors = [{"field": e.field, "rule": e.rule, "message": e.detail} for e in each]


class DomainRuleViolation(EntenteError):
    """Raised when a command is well-formed but breaks a business rule."""

    title = "Business rule violated"

    def __init__(self, rule: str, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.rule = rule
        self.field = field


class IllegalTransition(DomainRuleViolation):
    """Raised when a command is not allowed in the record's current status."""

    title = "Illegal transition"

    def __init__(self, record: str, status: str, command: str, allowed_from: list[str]) -> None:
        allowed = ", ".join(allowed_from) or "no status"
        super().__init__(
            rule="illegal-transition",
            detail=f"cannot {command} this {record}: it is {status}; allowed from: {allowed}",
        )
        self.status = status
        self.command = command


class NothingToWithdraw(DomainRuleViolation):
    """Raised when a withdrawal finds no step to undo (a mission not cancelled, an
    agreement whose last status change is a renewal): the record's state, a 409."""

    title = "Nothing to withdraw"

    def __init__(self, detail: str) -> None:
        super().__init__(rule="nothing-to-withdraw", detail=detail)


class BatchRejectedError(EntenteError):
    """Raised when items of a batch command break rules; nothing of the batch is recorded.

    ``errors`` names every offending item by its ``index`` in the batch, with
    the field, rule and message a single command would have given, so a client
    fixes all of them in one round trip.
    """

    title = "Invalid batch"

    def __init__(self, errors: list[dict[str, object]], size: int) -> None:
        first = errors[0]
        invalid = len({error.get("index") for error in errors})  # an item may break several
        super().__init__(
            f"{invalid} of {size} items are invalid and nothing was recorded; "
            f"first: {first['field']}: {first['message']}"
        )
        self.errors = errors


class NotFoundError(EntenteError):
    """Raised when a record, tenant or route does not exist *for the caller*.

    A record of another tenant raises exactly this, with the same wording, so
    nothing about other tenants leaks through status codes or messages.
    """

    title = "Not found"


class ConflictError(EntenteError):
    """Raised when a concurrent write to the same record won the race."""

    title = "Conflict"
    rule = "conflict"  # a stable code, as every refusal a client acts on carries one


class ValueTakenError(ConflictError):
    """Raised when a value one record of a directorate holds at a time (an agreement's
    reference, a country a post covers) is already another record's: ``holder`` names
    that record, ``field`` the input (None: the command has no such input, as a
    withdrawn closure, which takes its countries back)."""

    title = "Value already taken"

    def __init__(self, field: str | None, rule: str, detail: str, holder: str) -> None:
        super().__init__(detail)
        self.field = field
        self.rule = rule
        self.holder = holder


class PreconditionFailedError(EntenteError):
    """Raised when ``If-Match`` names a version that is no longer current."""

    title = "Precondition failed"
    field = "If-Match"  # the input to change: the record's current version
    rule = "precondition-failed"


class PreconditionRequiredError(EntenteError):
    """Raised when a change to an existing record comes without ``If-Match``."""

    title = "Precondition required"
    field = "If-Match"  # the header to send
    rule = "precondition-required"


class IdempotencyKeyReusedError(EntenteError):
    """Raised when an ``Idempotency-Key`` is replayed with a different request."""

    title = "Idempotency key reused"
    field = "Idempotency-Key"  # the input to change: a new key for a new request
    rule = "idempotency-key-reused"


class AuthenticationError(EntenteError):
    """Raised when a request carries no token or a token that fails verification.

    ``challenge``: the RFC 6750 §3.1 error code the 401's ``WWW-Authenticate``
    gives: ``invalid_token`` for a token that came and was refused,
    ``invalid_request`` for a malformed request, None when no token came.
    """

    title = "Unauthenticated"

    def __init__(self, detail: str, *, challenge: str | None = "invalid_token") -> None:
        super().__init__(detail)
        self.challenge = challenge


class PermissionDeniedError(EntenteError):
    """Raised when a verified caller lacks the role a route declares."""

    title = "Forbidden"


class PayloadTooLargeError(EntenteError):
    """Raised when a request body exceeds the configured limit."""

    title = "Payload too large"


class NotYetVisibleError(EntenteError):
    """Raised when a view has not reached the position a client waits for."""

    title = "Not yet visible"

    def __init__(self, detail: str, position: int) -> None:
        super().__init__(detail)
        self.position = position


class TooManyWaitingError(EntenteError):
    """Raised when a read would wait for a position while too many reads already wait.

    A waiting read holds one of the process's worker threads; unbounded, one
    tenant's readers could hold them all and stall every directorate's requests.
    """

    title = "Too many waiting reads"
    rule = "too-many-waiting-reads"
    field: str | None = "min_position"


class NotReadyError(EntenteError):
    """Raised by readiness checks when a component cannot serve (a stopped projector)."""

    title = "Not ready"


class AlteredHistoryError(EntenteError):
    """Raised when a record's stored events cannot be its history: versions missing,
    repeated or out of order, or events of another tenant's.

    Only a change made where the events are kept does that; the answer names what is
    wrong (``entente audit verify`` names the events) instead of serving a state the
    record never had, or another directorate's record, or "an unexpected error".
    """

    title = "Altered history"


class ConfigurationError(EntenteError):
    """Raised at start-up when settings are missing, unsafe or inconsistent."""

    title = "Configuration error"
