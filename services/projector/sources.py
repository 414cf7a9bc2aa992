"""Where the projector reads and parks: the event log and the dead letters of a deployment.

Embedded: the tenants' event stores read as one-partition topics, dead letters
in the view store. Kafka: ``KafkaEventLog`` over the tenant topics, verified
when opened (a missing or misconfigured topic is refused), dead letters on each
tenant's dead-letter topic and in the view store. The service opens them on
first use (``DeferredKafkaLog``), so it waits for a broker that is not up yet.

The Kafka consumer is not thread-safe, so the projector thread and the HTTP
endpoints (status, lag) get a log each; ``LockedLog`` serialises the
endpoints' concurrent requests on theirs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from services.projector.settings import ProjectorSettings
from shared.application.ledger import CooperationLedger
from shared.application.store_presence import require_sqlite_store
from shared.kafka.settings import KafkaSettings
from shared.log.embedded import EmbeddedEventLog
from shared.log.ports import EventLog, LogRecord
from shared.views.dead_letters import DeadLetters, ViewStoreDeadLetters


@dataclass
class Sources:
    """The projector's log, a log for the endpoints, its dead letters, and how to close them."""

    log: EventLog
    status_log: EventLog
    dead_letters: DeadLetters
    closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        for close in reversed(self.closers):
            close()
        self.closers.clear()


class LockedLog:
    """An ``EventLog`` whose calls run one at a time (for a client that is not thread-safe)."""

    def __init__(self, log: EventLog) -> None:
        self._log = log
        self._lock = threading.Lock()

    def topics(self) -> list[str]:
        with self._lock:
            return self._log.topics()

    def partitions(self, topic: str) -> list[int]:
        with self._lock:
            return self._log.partitions(topic)

    def read(self, topic: str, partition: int, after: int, limit: int) -> list[LogRecord]:
        with self._lock:
            return self._log.read(topic, partition, after, limit)

    def end_offset(self, topic: str, partition: int) -> int:
        with self._lock:
            return self._log.end_offset(topic, partition)


def open_sources(
    settings: ProjectorSettings,
    tenants: Sequence[str],
    kafka: KafkaSettings | None = None,
    *,
    deferred: bool = False,
) -> Sources:
    """The log and dead letters the settings name (``ENTENTE_EVENT_LOG``).

    ``deferred``: Kafka is reached (and the topics checked) on the logs' first
    use, in the projector's thread, which waits for a broker that does not answer
    yet (the service); otherwise now, and a broker that does not answer is an
    error (a rebuild, a command that ends).
    """
    if settings.event_log == "kafka":
        return _kafka_sources(kafka or KafkaSettings(), tenants, deferred)
    return _embedded_sources(settings, tenants)


def _embedded_sources(settings: ProjectorSettings, tenants: Sequence[str]) -> Sources:
    for tenant in tenants:  # projecting, or rebuilding, never makes a store
        require_sqlite_store(settings.data_dir, settings.event_store(tenant), tenant)
    ledgers = {
        tenant: CooperationLedger(tenant, settings.event_store(tenant)) for tenant in tenants
    }
    log = EmbeddedEventLog(ledgers)
    closers = [ledger.close for ledger in ledgers.values()]
    return Sources(log, log, ViewStoreDeadLetters(), closers)


def _kafka_sources(kafka: KafkaSettings, tenants: Sequence[str], deferred: bool) -> Sources:
    from shared.kafka.crc import require_native_crc32c
    from shared.kafka.dead_letters import KafkaDeadLetters
    from shared.kafka.deferred import DeferredKafkaLog
    from shared.kafka.log import KafkaEventLog
    from shared.kafka.producer import KafkaPublisher
    from shared.kafka.topics import KafkaTopicAdmin

    require_native_crc32c()

    def checked_log() -> KafkaEventLog:
        admin = KafkaTopicAdmin(kafka)
        try:
            for tenant in tenants:
                admin.verify_tenant_topics(tenant)
        finally:
            admin.close()
        return KafkaEventLog(kafka)

    def status_log() -> KafkaEventLog:
        return KafkaEventLog(kafka)

    log: EventLog
    status: EventLog
    if deferred:
        reader = DeferredKafkaLog(checked_log)
        log, status = reader, DeferredKafkaLog(status_log, after=reader)
    else:
        log, status = checked_log(), status_log()
    publisher = KafkaPublisher(kafka)  # connects on its first letter
    closers = [log.close, status.close, publisher.close]
    return Sources(log, LockedLog(status), KafkaDeadLetters(publisher), closers)
