"""Publishes the overlap alerts table to ``entente.reporting.alerts``, in order, at least once.

The reporting projector writes alerts into the ``alerts`` table in the same
transaction as the overlaps (an outbox), so an alert exists exactly when its
change to the overlaps list was committed. This relay then reads the rows after
the published sequence number, publishes them, waits for the broker's acks and
only then moves the position (a compare-and-set in ``alerts_published``). A
crash between the acks and the save publishes the same messages again — same
ids, same order — so consumers de-duplicate on ``ce_id``; nothing is skipped.
Two replicas of the reporting service may both relay: the compare-and-set
never lets the position go back, and the one that loses a race reads the
position again (its page went out twice, with the same ids).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update

from shared.kafka.errors import PublishFailedError, TopicMisconfiguredError
from shared.kafka.names import alerts_topic
from shared.relay.ports import Publisher
from shared.reporting.alert_messages import encode_alert
from shared.reporting.store import ReportingSession, ReportingStore

log = logging.getLogger("entente.reporting.alerts")


class AlertPositionConflictError(RuntimeError):
    """Another alert relay moved the position first: two relays for one reporting area."""


class AlertRelay:
    """``catch_up`` publishes every alert not yet published; ``run`` keeps doing so."""

    def __init__(
        self,
        store: ReportingStore,
        publisher: Publisher,
        page_size: int = 500,
        poll_interval: float = 0.5,
        max_backoff: float = 30.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        prepare: Callable[[], None] | None = None,
    ) -> None:
        """``prepare``: creates or verifies the topic, first thing ``run`` does (retried
        while the broker is away; a misconfigured topic stops the relay)."""
        self.topic = alerts_topic()
        self._prepare = prepare
        self._store = store
        self._publisher = publisher
        self._page_size = page_size
        self._poll_interval = poll_interval
        self._max_backoff = max_backoff
        self._clock = clock

    def position(self) -> int:
        """The sequence number of the last alert the broker acknowledged (0: none)."""
        with self._store.read() as session:
            return self._position(session)

    def catch_up(self, stop: threading.Event | None = None) -> int:
        """Publishes the alerts raised since the last acknowledged one; returns how many."""
        published = 0
        while not (stop and stop.is_set()):
            with self._store.read() as session:
                position = self._position(session)
                rows = self._page(session, position)
            if not rows:
                break
            self._publisher.publish(self.topic, [encode_alert(row) for row in rows])
            self._save(position, int(rows[-1]["seq"]))
            published += len(rows)
        return published

    def run(self, stop: threading.Event) -> None:
        """Catches up every ``poll_interval`` seconds until ``stop``; waits out outages."""
        backoff = self._poll_interval
        while not stop.is_set():
            try:
                if self._prepare is not None:
                    self._prepare()
                    self._prepare = None
                published = self.catch_up(stop)
            except AlertPositionConflictError as error:
                # Another replica published (and moved the position) first: what this one
                # sent meanwhile went out twice with the same ids; read the position again.
                log.info("alert relay: %s", error)
                stop.wait(self._poll_interval)
                continue
            except TopicMisconfiguredError as error:  # waiting will not fix it
                log.error("alert relay stopped: %s", error.detail)
                return
            except Exception as error:  # broker or database away: wait it out, never skip
                if not isinstance(error, PublishFailedError):
                    log.warning("alert relay pass failed", exc_info=True)
                log.warning("alert relay: %s; retrying in %.1fs", error, backoff)
                stop.wait(backoff)
                backoff = min(backoff * 2, self._max_backoff)
                continue
            backoff = self._poll_interval
            if published:
                log.info("alert relay: published %d alerts", published)
            stop.wait(self._poll_interval)

    def _position(self, session: ReportingSession) -> int:
        table = session.tables.alerts_published
        row = session.connection.execute(
            select(table.c.seq).where(table.c.topic == self.topic)
        ).first()
        return 0 if row is None else int(row[0])

    def _page(self, session: ReportingSession, position: int) -> list[dict[str, Any]]:
        table = session.tables.alerts
        statement = (
            select(table).where(table.c.seq > position).order_by(table.c.seq).limit(self._page_size)
        )
        return [dict(row) for row in session.connection.execute(statement).mappings()]

    def _save(self, previous: int, new: int) -> None:
        """Moves the position from ``previous`` to ``new`` (the write lock makes it atomic)."""
        with self._store.write() as session:
            table = session.tables.alerts_published
            row = session.connection.execute(
                select(table.c.seq).where(table.c.topic == self.topic)
            ).first()
            stored = 0 if row is None else int(row[0])
            if stored != previous:
                raise AlertPositionConflictError(
                    f"the published alert position is {stored}, not {previous}: "
                    "is another reporting service publishing alerts?"
                )
            if row is None:
                statement: Any = insert(table).values(topic=self.topic)
            else:
                statement = update(table).where(table.c.topic == self.topic)
            session.connection.execute(statement.values(seq=new, published_at=self._clock()))


class AlertRelayThread:
    """Runs ``AlertRelay.run`` in a daemon thread; ``alive`` tells readiness it still runs."""

    def __init__(self, relay: AlertRelay, close: Callable[[], None]) -> None:
        self.relay = relay
        self._close = close
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="entente-alerts", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float = 10.0) -> None:
        """Stops after the page in flight, then closes the publisher."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        self._close()

    def _run(self) -> None:
        self.relay.run(self._stop)
