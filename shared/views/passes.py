"""The signal a reader of the views sleeps on until the views may have moved.

Raised by the in-process projector after each committed pass, or by the
``ViewChangeListener`` on each PostgreSQL notification from a projector in
another process; ``shared.views.waiting`` sleeps on it instead of polling.
"""

from __future__ import annotations

import threading


class PassSignal:
    """Raised by an in-process projector after each committed pass; readers sleep on it."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._passes = 0

    @property
    def passes(self) -> int:
        """How many passes were committed so far (a reader notes it before it looks)."""
        with self._changed:
            return self._passes

    def committed(self) -> None:
        """A pass committed: wake every reader."""
        with self._changed:
            self._passes += 1
            self._changed.notify_all()

    def wait_after(self, seen: int, timeout_s: float) -> None:
        """Returns once a pass after the ``seen``-th committed, or after ``timeout_s``."""
        with self._changed:
            self._changed.wait_for(lambda: self._passes != seen, timeout=timeout_s)
