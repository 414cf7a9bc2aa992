"""The projector as a background thread, for the embedded server.

It polls every ``poll_interval`` seconds and can be woken at once with
``wake()`` (the API calls it after each command), so a client waiting for its
own write rarely waits a whole interval. On Kafka, a caught-up pass waits on
the broker instead (``shared.log.idle``), which answers as soon as a record arrives.

A ``ProjectionError`` (version gap, tenant mismatch, bad payload; a poison
message is parked instead, see ``dead_letters.py``) stops the thread: retrying
cannot fix it, and the tracking stays before the event. ``failure`` tells
readiness checks why; ``last_pass_at`` when a pass last succeeded. Any other
error (a locked database, a dropped connection, a dead-letter topic that did
not acknowledge) is retried with a growing pause; the failed transaction
rolled back, so nothing was skipped.
"""

from __future__ import annotations

import logging
import threading
import time

from shared.log.idle import wait_for_more
from shared.views.errors import ProjectionError
from shared.views.passes import PassSignal
from shared.views.projector import Projector

log = logging.getLogger("entente.views")

MAX_RETRY_PAUSE = 5.0


class ProjectorThread:
    """Runs ``projector.run_once`` in a daemon thread until ``stop()``."""

    def __init__(self, projector: Projector, poll_interval: float = 0.05) -> None:
        self.projector = projector
        self.poll_interval = poll_interval
        self.failure: BaseException | None = None
        self.last_pass_at: float | None = None  # time.time() of the last successful pass
        self.passes = PassSignal()  # read-your-writes waits sleep on it
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="entente-projector", daemon=True)

    @property
    def stopped_by_error(self) -> bool:
        """True when a projection error stopped the thread (readiness should fail)."""
        return isinstance(self.failure, ProjectionError) and not self._thread.is_alive()

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        """Asks for a pass now rather than at the next poll."""
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        pause = self.poll_interval
        while not self._stop.is_set():
            self._wake.clear()  # before the pass: a wake during it triggers the next
            try:
                consumed = self.projector.run_once()
            except ProjectionError as error:
                self.failure = error
                log.error("projector stopped: %s", error.detail)
                return
            except Exception as error:
                self.failure = error
                pause = min(max(pause * 2, self.poll_interval), MAX_RETRY_PAUSE)
                log.warning("projector pass failed, retrying in %.2fs", pause, exc_info=True)
                self._wake.wait(pause)
                continue
            self.failure, pause = None, self.poll_interval
            self.last_pass_at = time.time()
            if consumed:
                self.passes.committed()
            if consumed == 0:
                wait_for_more(self.projector.log, self._stop, self._wake, self.poll_interval)
