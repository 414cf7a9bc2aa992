"""Views-changed notifications across processes: PostgreSQL ``NOTIFY`` on each commit.

A projector in another process (the deployed topology) moves a tenant's
tracking row; a tenant service whose readers wait for a position
(read-your-writes) would otherwise have to poll that row, and with many
waiters the polling queries become most of the service's work. So each
transaction that advances a tracking row also sends ``NOTIFY entente_views``
(PostgreSQL delivers it at commit, never for a rollback), and the tenant
service keeps one listening connection that raises its ``PassSignal``; waiters
then read the tracking row once per commit.

A notification can be lost (the listener reconnecting): waits therefore still
look at least every ``FALLBACK_S`` seconds (``shared.views.waiting``), so a
lost notification delays a reader, never strands it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

import psycopg
from sqlalchemy import Connection, text

from shared.views.passes import PassSignal

log = logging.getLogger("entente.views")

CHANNEL = "entente_views"
_NOTIFY = text(f"SELECT pg_notify('{CHANNEL}', :schema)")


def announce(connection: Connection, schema: str | None) -> None:
    """Tells listeners, at this transaction's commit, that ``schema``'s views moved."""
    if connection.dialect.name == "postgresql":
        connection.execute(_NOTIFY, {"schema": schema or ""})


class ViewChangeListener:
    """One connection that ``LISTEN``s and raises ``signal`` when one of ``schemas`` moved.

    The channel is shared by every projector of the database; the payload (the
    views schema) keeps other tenants' and other deployments' commits from
    waking this service's readers.
    """

    def __init__(self, url: str, schemas: Iterable[str], signal: PassSignal | None = None) -> None:
        self.url = url.replace("postgresql+psycopg://", "postgresql://", 1)
        self.schemas = frozenset(schemas)
        self.signal = signal or PassSignal()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="entente-views-listen", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        pause = 0.5
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    pause = 0.5
                    self.signal.committed()  # anything missed while away: look again
                    while not self._stop.is_set():
                        for notification in connection.notifies(timeout=1.0):
                            if notification.payload in self.schemas:
                                self.signal.committed()
            except psycopg.Error as error:
                log.warning("views listener: %s; reconnecting in %.1fs", error, pause)
                self._stop.wait(pause)
                pause = min(pause * 2, 10.0)
