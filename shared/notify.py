"""Waking a process when another one commits: PostgreSQL ``LISTEN`` on one connection.

Used where a process would otherwise poll: the tenant services' readers wait for
the projector's commits (``shared.views.notifications``), and the relay waits
for the tenant service's inserts (``shared.application.recorder`` notifies at
each insert). A channel is shared by every writer of its kind in the database;
the payload (a schema name) lets a listener ignore the others.

A notification can be lost (while the listener reconnects): every user still
looks on its own every few seconds, so a lost one delays, never strands. After
a reconnection the listener wakes its user once, for whatever it missed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

import psycopg
from psycopg import sql

log = logging.getLogger("entente.notify")


class NotificationListener:
    """One connection that ``LISTEN``s on ``channel`` and calls ``wake`` for ``payloads``."""

    def __init__(
        self,
        url: str,
        channel: str,
        payloads: Iterable[str],
        wake: Callable[[], None],
        name: str = "entente-listen",
    ) -> None:
        self.url = url.replace("postgresql+psycopg://", "postgresql://", 1)
        self.channel = channel
        self.payloads = frozenset(payloads)
        self.wake = wake
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

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
                    connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
                    pause = 0.5
                    self.wake()  # anything missed while away: look again
                    while not self._stop.is_set():
                        for notification in connection.notifies(timeout=1.0):
                            if notification.payload in self.payloads:
                                self.wake()
            except psycopg.Error as error:
                log.warning("%s listener: %s; reconnecting in %.1fs", self.channel, error, pause)
                self._stop.wait(pause)
                pause = min(pause * 2, 10.0)
