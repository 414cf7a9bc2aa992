"""The relay process of one tenant: wires the ledger, the Kafka publisher and the state table.

``run`` refuses to start unless the CRC-32C extension is in use and the
tenant's topics exist with the log's configuration (it creates missing ones
explicitly, and refuses misconfigured ones); a broker that does not answer yet
is waited for, the probes saying so. It then publishes until SIGTERM or
SIGINT, finishing the page in flight, so a clean stop never republishes. On
PostgreSQL it is woken by each insert's notification (``shared.notify``) and
otherwise looks every ``poll_interval`` seconds.

With ``http=(host, port)`` it also serves its probes and metrics
(``services/relay/app.py``) from a thread of its own; the relay's loop keeps the
main thread, so a fatal error still ends the process with a non-zero status.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from types import FrameType
from typing import TYPE_CHECKING

from shared.application.ledger import CooperationLedger
from shared.application.recorder import CHANNEL, LockingInsertRecorder
from shared.application.store_presence import require_sqlite_store
from shared.application.stores import EventStoreConfig, PostgresStore
from shared.errors import ConfigurationError
from shared.kafka.crc import require_native_crc32c
from shared.kafka.errors import BrokerUnavailableError
from shared.kafka.producer import KafkaPublisher
from shared.kafka.settings import KafkaSettings
from shared.kafka.topics import KafkaTopicAdmin
from shared.notify import NotificationListener
from shared.relay.health import RelayHealth
from shared.relay.relay import Relay, RelayOptions
from shared.relay.state import relay_state_store
from shared.settings import Settings
from shared.tenancy import check_slug

if TYPE_CHECKING:
    import uvicorn

log = logging.getLogger("entente.relay")

#: How long the probes' server may take to listen.
SERVE_WITHIN_S = 10.0
#: How long a stop may wait for the page in flight (see ``_stop_on_signals``).
STOP_WITHIN_S = 20.0
#: The longest wait between two tries to reach the broker at start-up (doubling from 1 s).
MAX_BROKER_WAIT_S = 30.0


def _leave_now(within: float) -> None:
    log.warning(
        "relay: not stopped %.0f s after the signal (waiting on the store or the broker): "
        "leaving now; the page in flight is published again at the next start",
        within,
    )
    logging.shutdown()
    os._exit(1)


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
    http: tuple[str, int] | None = None,
) -> None:
    """Publishes ``tenant``'s events until ``stop`` is set (by SIGTERM/SIGINT when not given).

    ``http``: the host and port of the probes and metrics (none when not given).
    """
    check_slug(tenant)
    kafka = kafka or KafkaSettings()
    require_native_crc32c()
    if stop is None:
        stop = _stop_on_signals()
    store = settings.event_store(tenant)
    require_sqlite_store(settings.data_dir, store, tenant)  # a relay never makes a store
    ledger = CooperationLedger(tenant, store)
    health = RelayHealth()
    server = listener = publisher = state = None
    try:
        if http is not None:  # first: a relay waiting for its broker answers "not ready, why"
            server = _serve(tenant, health, ledger, http)
        if not topics_prepared(kafka, tenant, health, stop):
            return
        publisher = KafkaPublisher(kafka)
        state = relay_state_store(store, tenant)
        wake = threading.Event()
        listener = _listen_for_inserts(store, ledger, wake)
        relay = Relay(ledger, publisher, state, options, health=health)
        log.info("relay %s: publishing to %s", tenant, kafka.bootstrap_servers)
        relay.run(stop, wake)
    finally:
        if server is not None:
            server.should_exit = True
        if listener is not None:
            listener.stop()
        if publisher is not None:
            publisher.close()
        if state is not None:
            state.close()
        ledger.close()
        log.info("relay %s: stopped", tenant)


def topics_prepared(
    kafka: KafkaSettings,
    tenant: str,
    health: RelayHealth,
    stop: threading.Event,
    first_wait: float = 1.0,
) -> bool:
    """Prepares the tenant's topics, waiting out a broker that does not answer yet.

    Why: a relay started before its broker (a whole stack started at once, a cluster
    being restarted) exited after 30 s, and its orchestrator's back-off then delayed
    publication for minutes after the broker came back. Like an outage during a run,
    it now waits, alive and not ready, saying why. False if ``stop`` was set meanwhile;
    a misconfigured topic (TopicMisconfiguredError) is still fatal: waiting cannot fix it.
    """
    wait = first_wait
    while not stop.is_set():
        health.beat()
        try:
            prepare_topics(kafka, tenant)
            return True
        except BrokerUnavailableError as error:
            health.failed(error)
            log.warning(
                "relay %s: waiting for the broker (next try in %.0f s): %s", tenant, wait, error
            )
        if stop.wait(wait):
            break
        wait = min(wait * 2, MAX_BROKER_WAIT_S)
    return False


def _serve(
    tenant: str, health: RelayHealth, ledger: CooperationLedger, http: tuple[str, int]
) -> uvicorn.Server:
    """Serves the relay's probes and metrics from a daemon thread (uvicorn leaves signals
    to the main thread there).

    Returns once it listens; ConfigurationError if it cannot (the port taken, say),
    rather than a relay whose probes never answer. The HTTP stack is imported only
    here: a relay without ``--port`` does not carry it (about 28 MiB resident, measured at rest).
    """
    import uvicorn

    from services.relay.app import create_app
    from shared.http.malformed import ProblemH11Protocol

    host, port = http
    app = create_app(tenant, health, ledger.last_event_position)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        server_header=False,
        http=ProblemH11Protocol,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="entente-relay-http", daemon=True)
    thread.start()
    deadline = time.monotonic() + SERVE_WITHIN_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise ConfigurationError(f"the relay could not serve its probes on {host}:{port}")
        time.sleep(0.02)
    log.info("relay: probes and metrics on http://%s:%d", host, _bound_port(server, port))
    return server


def _bound_port(server: uvicorn.Server, asked: int) -> int:
    """The port the server listens on: the one ``--port 0`` got, not 0 (probe 11)."""
    for listening in server.servers:
        for sock in listening.sockets:
            return int(sock.getsockname()[1])
    return asked


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


def _stop_on_signals(within: float = STOP_WITHIN_S) -> threading.Event:
    """SIGTERM or SIGINT stop the relay after its page; past ``within`` seconds, at once.

    A page takes well under a second; a relay still running after that is waiting on
    a store or broker that does not answer (its library's retries took 150 s), past
    compose's and Kubernetes' grace periods. Leaving then loses nothing: the position
    is saved only after the broker acknowledged, so the page is published again.
    """
    stop = threading.Event()

    def handle(signum: int, _frame: FrameType | None) -> None:
        log.info("relay: %s received, stopping after the current page", signal.strsignal(signum))
        stop.set()
        timer = threading.Timer(within, _leave_now, args=(within,))
        timer.daemon = True
        timer.start()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    return stop
