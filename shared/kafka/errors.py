"""What can go wrong between Entente and the broker, each named after the failure.

Every class derives from ``EntenteError`` so the CLI and the services report
them like any other platform error; none of them leaks a ``kafka`` type, so no
caller needs to import the client library to catch one.
"""

from __future__ import annotations

from shared.errors import ConfigurationError, EntenteError


class TopicMissingError(ConfigurationError):
    """Raised at start-up when a topic a service needs does not exist.

    Topics are created explicitly with their configuration, never by a client's
    first write, so a missing topic is a deployment mistake to report.
    """

    title = "Topic missing"


class TopicMisconfiguredError(ConfigurationError):
    """Raised when an existing topic could lose or rewrite history, or is shaped otherwise.

    A retention limit, compaction, unclean leader election or another
    partition count would break the log's promise (everything, forever, in
    order per record), so services refuse to start against such a topic.
    ``problems`` lists every difference found, not only the first.
    """

    title = "Topic misconfigured"

    def __init__(self, topic: str, problems: list[str]) -> None:
        super().__init__(f"topic {topic!r} is unsafe for the log: " + "; ".join(problems))
        self.topic = topic
        self.problems = problems


class BrokerUnavailableError(EntenteError):
    """Raised when no broker answers within the configured time (start-up or a read)."""

    title = "Broker unavailable"


class BrokerRequestError(EntenteError):
    """Raised when the broker answered a request with an error that waiting will not cure."""

    title = "Broker refused the request"


class PublishFailedError(EntenteError):
    """Raised when the broker did not acknowledge every message of a publication.

    Some messages may have been written: the caller must not advance its
    position and will publish them again (readers de-duplicate by event id).
    """

    title = "Publish failed"


class MissingOffsetError(EntenteError):
    """Raised when a reader asks for an offset the partition no longer (or never) holds.

    The consumer runs with ``auto_offset_reset="none"``: jumping silently to
    the earliest or latest record would skip or replay history unnoticed.
    """

    title = "Missing offset"
