"""The reporting service's composition root: settings in, a wired service out.

Nothing is built at import time. Tests (and the embedded server) pass their
own log — ``EmbeddedEventLog`` over ledgers already open in the process — and
their own access log and clock, so the code under test is wired as in
production.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Protocol

from services.reporting.settings import ReportingSettings
from shared.access_log import access_log_for
from shared.application.ledger import CooperationLedger
from shared.auth.roles import Principal
from shared.errors import ConfigurationError
from shared.kafka.settings import KafkaSettings
from shared.log.embedded import EmbeddedEventLog
from shared.log.ports import EventLog
from shared.reporting.alert_relay import AlertRelay, AlertRelayThread
from shared.reporting.area_key import KEY_FILE, decoded_key, file_key, seed
from shared.reporting.overlaps import OverlapAlerts
from shared.reporting.projector import ReportingProjector
from shared.reporting.runner import ReportingThread
from shared.reporting.store import ReportingStore, open_reporting_store
from shared.tenancy import check_slug
from shared.views.halts import PartitionHalts

log = logging.getLogger("entente.reporting")
Clock = Callable[[], datetime]


class AccessRecorder(Protocol):
    """What reporting needs of the access log (``shared.access_log.AccessLog`` is one)."""

    def setup(self) -> None: ...

    def record(
        self, principal: Principal, action: str, resource: str, tenant: str | None
    ) -> object: ...

    def dispose(self) -> None: ...


@dataclass
class ReportingService:
    """The running parts: the consolidated store, the log, the projector thread, the access log."""

    settings: ReportingSettings
    tenants: list[str]
    store: ReportingStore
    projector: ReportingProjector
    runner: ReportingThread
    access: AccessRecorder
    clock: Clock
    closers: list[Callable[[], None]] = field(default_factory=list)
    #: Publishes the alerts table to ``entente.reporting.alerts`` (Kafka deployments).
    alert_relay: AlertRelayThread | None = None

    def start(self) -> None:
        """Creates the tables if missing and starts consuming every tenant topic."""
        self.prepare()
        self.access.setup()
        self.runner.start()
        if self.alert_relay is not None:
            self.alert_relay.start()
        log.info("reporting consolidates %s", ", ".join(self.tenants))

    def prepare(self) -> None:
        """The area's tables, and its key seeded from the one kept outside it (if any)."""
        self.store.setup()
        keyed = area_key(self.settings, self.store)
        if keyed is not None:
            seed(self.store, *keyed)

    def stop(self) -> None:
        self.runner.stop()
        if self.alert_relay is not None:
            self.alert_relay.stop()
        for close in reversed(self.closers):
            close()
        self.store.dispose()
        self.access.dispose()

    def wake(self) -> None:
        """A command committed somewhere: look at the log now rather than at the next poll."""
        self.runner.wake()

    def today(self) -> date:
        return self.clock().date()


def bootstrap(
    settings: ReportingSettings,
    *,
    log: EventLog | None = None,
    access: AccessRecorder | None = None,
    alerts: OverlapAlerts | None = None,
    clock: Clock = lambda: datetime.now(UTC),
    kafka: KafkaSettings | None = None,
) -> ReportingService:
    """Wires the service; ``log`` defaults to what ``ENTENTE_EVENT_LOG`` names.

    With Kafka (``kafka`` defaults to the ``ENTENTE_KAFKA_*`` settings) the
    service also publishes its overlap alerts to ``entente.reporting.alerts``.
    """
    if settings.event_log == "kafka" and kafka is None:
        kafka = KafkaSettings()
    tenants = [check_slug(t) for t in settings.tenants]
    if not tenants:
        raise ConfigurationError("ENTENTE_TENANTS names no tenant")
    closers: list[Callable[[], None]] = []
    if log is None:
        log, closers = _open_log(settings, tenants, kafka)
    store = open_reporting_store(
        settings.reporting_store_url(), settings.data_dir, settings.reporting_schema
    )
    projector = ReportingProjector(
        store,
        log,
        tenants,
        alerts=alerts,
        page_size=settings.reporting_page_size,
        halts=PartitionHalts(logging.getLogger("entente.reporting")),  # one tenant's stop
    )
    runner = ReportingThread(projector, poll_interval=settings.reporting_poll_interval)
    access = access or access_log_for(settings, clock)
    alert_relay = None if kafka is None else _alert_relay(store, settings, kafka)
    return ReportingService(
        settings, tenants, store, projector, runner, access, clock, closers, alert_relay
    )


def area_key(settings: ReportingSettings, store: ReportingStore) -> tuple[bytes, str] | None:
    """The key kept outside the area (``area_key``) and where it comes from: the setting,
    else the embedded SQLite area's key file; None for a PostgreSQL area without one
    (its key is then the area's own, and a rebuild gives new ids)."""
    if settings.reporting_key is not None:
        where = "ENTENTE_REPORTING_KEY"
        return decoded_key(settings.reporting_key.get_secret_value(), where), where
    if settings.reporting_store_url() is None:
        path = settings.data_dir / KEY_FILE
        return file_key(path, store), str(path)
    return None


def _alert_relay(
    store: ReportingStore, settings: ReportingSettings, kafka: KafkaSettings
) -> AlertRelayThread:
    """The alert relay; it first creates (or verifies) the alerts topic.

    Not at start: a broker that did not answer yet made the service exit after
    30 s. A misconfigured topic stops the relay, and readiness says so.
    """
    from shared.kafka.producer import KafkaPublisher
    from shared.kafka.topics import KafkaTopicAdmin

    def ensure_topic() -> None:
        admin = KafkaTopicAdmin(kafka)
        try:
            admin.ensure_reporting_topics()
        finally:
            admin.close()

    publisher = KafkaPublisher(kafka)
    relay = AlertRelay(
        store, publisher, poll_interval=settings.reporting_poll_interval, prepare=ensure_topic
    )
    return AlertRelayThread(relay, publisher.close)


def _open_log(
    settings: ReportingSettings, tenants: list[str], kafka: KafkaSettings | None
) -> tuple[EventLog, list[Callable[[], None]]]:
    """The tenant topics on Kafka, or the tenants' event stores read as topics."""
    if kafka is not None:
        from shared.kafka.crc import require_native_crc32c
        from shared.kafka.deferred import DeferredKafkaLog
        from shared.kafka.log import KafkaEventLog

        require_native_crc32c()
        # Opened by the projector's first pass, which waits for a broker not up yet.
        kafka_log = DeferredKafkaLog(lambda: KafkaEventLog(kafka))
        return kafka_log, [kafka_log.close]
    ledgers = {
        tenant: CooperationLedger(tenant, settings.event_store(tenant)) for tenant in tenants
    }
    return EmbeddedEventLog(ledgers), [ledger.close for ledger in ledgers.values()]
