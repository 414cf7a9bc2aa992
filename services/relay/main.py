"""The relay process of one tenant: wires the ledger, the Kafka publisher and the state table.

``run`` refuses to start unless the CRC-32C extension is in use and the
tenant's topics exist with the log's configuration (it creates missing ones
explicitly, and refuses misconfigured ones). It then publishes until SIGTERM or
SIGINT, finishing the page in flight, so a clean stop never republishes. On
PostgreSQL it is woken by each insert's notification (``shared.notify``) and
otherwise looks every ``poll_interval`` seconds.
"""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

from shared.application.ledger import CooperationLedger
from shared.application.recorder import CHANNEL, LockingInsertRecorder
from shared.application.stores import EventStoreConfig, PostgresStore
from shared.kafka.crc import require_native_crc32c
from shared.kafka.producer import KafkaPublisher
from shared.kafka.settings import KafkaSettings
from shared.kafka.topics import KafkaTopicAdmin
from shared.notify import NotificationListener
from shared.relay.relay import Relay, RelayOptions
from shared.relay.state import relay_state_store
from shared.settings import Settings
from shared.tenancy import check_slug

log = logging.getLogger("entente.relay")


def prepare_topics(kafka: KafkaSettings, tenant: str) -> None:
    """Creates the tenant's missing topics and verifies all (TopicMisconfiguredError)."""
    admin = KafkaTopicAdmin(kafka)
    try:
        admin.ensure_tenant_topics(tenant)
    finally:
        admin.close()


def run(
    settings: Settings,
    tenant: str,
    kafka: KafkaSettings | None = None,
    options: RelayOptions | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Publishes ``tenant``'s events until ``stop`` is set (by SIGTERM/SIGINT when not given)."""
    check_slug(tenant)
    kafka = kafka or KafkaSettings()
    require_native_crc32c()
    prepare_topics(kafka, tenant)
    if stop is None:
        stop = _stop_on_signals()
    store = settings.event_store()
    ledger = CooperationLedger(tenant, store)
    publisher = KafkaPublisher(kafka)
    state = relay_state_store(store, tenant)
    wake = threading.Event()
    listener = _listen_for_inserts(store, ledger, wake)
    try:
        log.info("relay %s: publishing to %s", tenant, kafka.bootstrap_servers)
        Relay(ledger, publisher, state, options).run(stop, wake)
    finally:
        if listener is not None:
            listener.stop()
        publisher.close()
        state.close()
        ledger.close()
        log.info("relay %s: stopped", tenant)


def _listen_for_inserts(
    store: EventStoreConfig, ledger: CooperationLedger, wake: threading.Event
) -> NotificationListener | None:
    """On PostgreSQL, wakes the relay at each insert's commit (SQLite: it polls)."""
    recorder = ledger.recorder
    if not isinstance(store, PostgresStore) or not isinstance(recorder, LockingInsertRecorder):
        return None
    listener = NotificationListener(
        store.url, CHANNEL, [recorder.datastore.schema], wake.set, "entente-relay-listen"
    )
    listener.start()
    return listener


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def handle(signum: int, _frame: FrameType | None) -> None:
        log.info("relay: %s received, stopping after the current page", signal.strsignal(signum))
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    return stop
