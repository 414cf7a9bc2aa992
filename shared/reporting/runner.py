"""The reporting projector as a background thread (embedded server and service).

It polls every ``poll_interval`` seconds (on Kafka, a caught-up pass waits on the
broker instead: ``shared.log.idle``) and can be woken with ``wake()``. A
``ProjectionError`` (version gap, unknown type, bad payload, poison message)
stops it — retrying cannot fix those and the tracking stays before the
event — and ``failure`` tells readiness why. Any other error (a locked file,
a dropped connection, a broker away) rolled its batch back and is retried
with a growing pause.
"""

from __future__ import annotations

import logging
import threading
import time

from shared.log.idle import wait_for_more
from shared.reporting.projector import ReportingProjector
from shared.views.errors import ProjectionError

log = logging.getLogger("entente.reporting")

MAX_RETRY_PAUSE = 5.0


class ReportingThread:
    """Runs ``projector.run_once`` in a daemon thread until ``stop()``."""

    def __init__(self, projector: ReportingProjector, poll_interval: float = 0.2) -> None:
        self.projector = projector
        self.poll_interval = poll_interval
        self.failure: BaseException | None = None
        self.last_pass_at: float | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="entente-reporting", daemon=True)

    @property
    def stopped_by_error(self) -> bool:
        """True when a projection error stopped the thread (readiness should fail)."""
        return isinstance(self.failure, ProjectionError) and not self._thread.is_alive()

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        pause = self.poll_interval
        while not self._stop.is_set():
            self._wake.clear()
            try:
                consumed = self.projector.run_once()
            except ProjectionError as error:
                self.failure = error
                log.error("reporting projector stopped: %s", error.detail)
                return
            except Exception as error:
                self.failure = error
                pause = min(max(pause * 2, self.poll_interval), MAX_RETRY_PAUSE)
                log.warning("reporting pass failed, retrying in %.2fs", pause, exc_info=True)
                self._wake.wait(pause)
                continue
            self.failure, pause = None, self.poll_interval
            self.last_pass_at = time.time()
            if consumed == 0:
                wait_for_more(self.projector.log, self._stop, self._wake, self.poll_interval)
