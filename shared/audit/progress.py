"""Progress and interruption of the long audit operations (verify, export, replay).

Each operation works in pages and, after every page, saves what it needs to
resume, tells its ``Progress`` how far it got, and asks its ``StopSignal``
whether to stop. When asked to, it raises ``Interrupted`` *between* pages, so
the saved state is always complete: ``--resume`` continues from it.

The CLI's ``StopSignal`` is Ctrl-C (SIGINT): the first press finishes the
page in flight, a second one aborts at once (the saved state stays usable:
files are appended line by line, and a torn last line is dropped on resume).
"""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Protocol, TextIO

from shared.audit.errors import AuditError


class Interrupted(AuditError):
    """Raised between two pages when the operation was asked to stop; its state is saved."""

    title = "Interrupted"


class Progress(Protocol):
    """Told what an operation is doing and how far it got."""

    def stage(self, label: str, total: int | None) -> None:
        """A new stage begins (``total`` units, or None when unknown)."""
        ...

    def update(self, done: int) -> None:
        """``done`` units of the current stage are finished."""
        ...


class StopSignal(Protocol):
    def requested(self) -> bool:
        """Whether the operation should stop after the current page."""
        ...


class Quiet:
    """No progress display (tests, library use)."""

    def stage(self, label: str, total: int | None) -> None:
        return None

    def update(self, done: int) -> None:
        return None


class Never:
    """A stop signal that never fires."""

    def requested(self) -> bool:
        return False


class Counter:
    """Counters on stderr: one line per stage, rewritten at most every ``every`` seconds."""

    def __init__(self, stream: TextIO | None = None, every: float = 0.5) -> None:
        self.stream = stream or sys.stderr
        self.every = every
        self._label = ""
        self._total: int | None = None
        self._shown = 0.0
        self._done = 0

    def stage(self, label: str, total: int | None) -> None:
        self._end_line()
        self._label, self._total, self._done, self._shown = label, total, 0, 0.0
        self._show()

    def update(self, done: int) -> None:
        self._done = done
        if time.monotonic() - self._shown >= self.every:
            self._show()

    def close(self) -> None:
        self._end_line()

    def _show(self) -> None:
        of = "" if self._total is None else f" / {self._total}"
        percent = ""
        if self._total:
            percent = f" ({min(100, 100 * self._done // self._total)} %)"
        self.stream.write(f"\r{self._label}: {self._done}{of}{percent}   ")
        self.stream.flush()
        self._shown = time.monotonic()

    def _end_line(self) -> None:
        if self._label:
            self._show()
            self.stream.write("\n")
            self.stream.flush()
            self._label = ""


class CtrlC:
    """SIGINT as a stop request: first press stops after the page, second aborts."""

    def __init__(self) -> None:
        self._pressed = False

    def requested(self) -> bool:
        return self._pressed

    @contextmanager
    def installed(self) -> Iterator[CtrlC]:
        previous = signal.getsignal(signal.SIGINT)

        def handle(_signum: int, _frame: FrameType | None) -> None:
            if self._pressed:
                raise KeyboardInterrupt
            self._pressed = True
            sys.stderr.write("\nstopping after the current page (Ctrl-C again to abort)\n")

        signal.signal(signal.SIGINT, handle)
        try:
            yield self
        finally:
            signal.signal(signal.SIGINT, previous)
