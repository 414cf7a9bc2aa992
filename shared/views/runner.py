"""The projector as a background thread, for the embedded server.

It polls every ``poll_interval`` seconds and can be woken at once with
``wake()`` (the API calls it after each command), so a client waiting for its
own write rarely waits a whole interval. On Kafka, a caught-up pass waits on
the broker instead (``shared.log.idle``), which answers as soon as a record arrives.

A ``ProjectionError`` (version gap, tenant mismatch, bad payload; a poison
message is parked instead, see ``dead_letters.py``) stops the thread, or with
the projector's ``halts`` only that tenant's partition (``halts.py``): retrying
cannot fix it, and the tracking stays before the event. ``failure`` tells
readiness checks why; ``last_pass_at`` when a pass last succeeded. Any other
error (a locked database, a dropped connection, a dead-letter topic that did
not acknowledge) is retried with a growing pause; the failed transaction
rolled back, so nothing was skipped. Retried errors that last ``FAILING_GRACE``
seconds fail readiness too, naming the error: an event in the store that cannot
be decoded (an altered store) was retried every 5 s for ever while ``/readyz``
answered 200 and the tenant's views stood still (operations probe).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Generic, Protocol, TypeVar

from shared.errors import EntenteError, first_line
from shared.log.idle import wait_for_more
from shared.log.ports import OpenedOnFirstUse
from shared.log.turns import PASS_RECORDS
from shared.views.errors import ProjectionError
from shared.views.halts import PartitionHalts
from shared.views.passes import PassSignal
from shared.views.projector import Projector

log = logging.getLogger("entente.views")


def _same(before: BaseException | None, now: Exception) -> bool:
    """Whether a retried pass failed as the one before it (same type, same message)."""
    return type(before) is type(now) and str(before) == str(now)


MAX_RETRY_PAUSE = 5.0
#: Seconds a pass may keep failing (retried) before readiness says so.
FAILING_GRACE = 10.0


class Passes(Protocol):
    """A projector: one pass over what the log holds, and the log it reads."""

    @property
    def log(self) -> object: ...

    @property
    def halts(self) -> PartitionHalts | None:
        """The partitions a ProjectionError stopped (None: such an error ends the pass)."""
        ...

    def run_once(self) -> int:
        """One pass; fewer than ``PASS_RECORDS`` consumed means the log was read to its end."""
        ...


P = TypeVar("P", bound=Passes)


class PassThread(Generic[P]):
    """Runs ``projector.run_once`` in a daemon thread until ``stop()``.

    The tenant views (``ProjectorThread``) and the consolidated figures
    (``shared.reporting.runner``) run their projectors the same way.
    """

    def __init__(
        self,
        projector: P,
        poll_interval: float,
        *,
        name: str,
        logger: logging.Logger,
        failing_grace: float = FAILING_GRACE,
    ) -> None:
        self.projector = projector
        self.poll_interval = poll_interval
        self.failing_grace = failing_grace
        self.failure: BaseException | None = None
        #: ``time.monotonic()`` of the first failed pass of the current run of failures.
        self.failing_since: float | None = None
        self.last_pass_at: float | None = None  # time.time() of the last successful pass
        self._log = logger
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    @property
    def stopped_by_error(self) -> bool:
        """True when a projection error stopped the thread, or one tenant's partition
        (``shared.views.halts``): readiness fails either way."""
        return self._thread_stopped() or bool(self.stopped_tenants)

    @property
    def stopped_tenants(self) -> dict[str, ProjectionError]:
        """The tenants whose partition a projection error stopped, with the error."""
        halts = self.projector.halts
        return {} if halts is None else halts.by_tenant()

    def stop_reason(self, what: str) -> str | None:
        """Why ``what`` (the projector, as the reader knows it) stopped, or None."""
        if self._thread_stopped():
            return f"{what} stopped: {self.failure}"
        stopped = self.stopped_tenants
        if stopped:
            each = "; ".join(f"for {tenant}: {error}" for tenant, error in stopped.items())
            return f"{what} stopped {each} (the other tenants go on)"
        log = self.projector.log
        if isinstance(log, OpenedOnFirstUse) and not log.opened:
            cause = "" if self.failure is None else f" ({self.failure})"
            return f"{what} has not reached its log yet{cause}: it tries again"
        if self.failing:
            return f"{what} has failed every pass for {self.failing_for():.0f} s: {self.failure}"
        return None

    @property
    def failing(self) -> bool:
        """True when passes have failed (and been retried) for ``failing_grace`` seconds."""
        return self.failing_since is not None and self.failing_for() >= self.failing_grace

    def failing_for(self) -> float:
        since = self.failing_since
        return 0.0 if since is None else time.monotonic() - since

    def _thread_stopped(self) -> bool:
        return isinstance(self.failure, ProjectionError) and not self._thread.is_alive()

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        """Asks for a pass now rather than at the next poll."""
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def _passed(self, consumed: int) -> None:
        """After a successful pass that consumed ``consumed`` messages."""

    def _retrying(self, error: Exception, pause: float) -> None:
        """Notes a failed pass to retry; its traceback once, not at every retry (probe 11).

        A server started before its topics existed logged about 40 lines every few
        seconds for the same missing topic. The platform's own errors say what is
        wrong in their message and get one line each time; another error gets its
        traceback the first time it comes, and one line while it comes again.
        """
        repeated = _same(self.failure, error)
        self.failure = error
        if self.failing_since is None:
            self.failing_since = time.monotonic()
        name = self._thread.name
        if isinstance(error, EntenteError) or repeated:
            said = f"{type(error).__name__}: {first_line(error)}"
            self._log.warning("%s pass failed, retrying in %.2fs: %s", name, pause, said)
        else:
            self._log.warning("%s pass failed, retrying in %.2fs", name, pause, exc_info=error)

    def _run(self) -> None:
        pause = self.poll_interval
        while not self._stop.is_set():
            self._wake.clear()  # before the pass: a wake during it triggers the next
            try:
                consumed = self.projector.run_once()
            except ProjectionError as error:
                self.failure = error
                self._log.error("%s stopped: %s", self._thread.name, error.detail)
                return
            except Exception as error:
                pause = min(max(pause * 2, self.poll_interval), MAX_RETRY_PAUSE)
                self._retrying(error, pause)
                self._wake.wait(pause)
                continue
            self.failure, self.failing_since, pause = None, None, self.poll_interval
            self.last_pass_at = time.time()
            self._passed(consumed)
            if consumed < PASS_RECORDS:  # read to the end: the next pass when more comes
                wait_for_more(self.projector.log, self._stop, self._wake, self.poll_interval)


class ProjectorThread(PassThread[Projector]):
    """The tenant views' projector; ``passes`` wakes read-your-writes waits after each commit."""

    def __init__(self, projector: Projector, poll_interval: float = 0.05) -> None:
        super().__init__(projector, poll_interval, name="entente-projector", logger=log)
        self.passes = PassSignal()  # read-your-writes waits sleep on it

    def _passed(self, consumed: int) -> None:
        if consumed:
            self.passes.committed()
