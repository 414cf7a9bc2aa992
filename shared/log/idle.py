"""What a caught-up reader of the log does until there may be more to read.

On Kafka (``WaitableLog``) it waits on the broker, which answers as soon as a
record arrives, so the views and the consolidated figures follow the log within
milliseconds; elsewhere it sleeps ``seconds`` (the embedded log has no broker to
wait on; its writers call ``wake``). The wait is cut in slices of
``SLICE_S`` so that a ``stop`` or a ``wake`` is seen promptly.
"""

from __future__ import annotations

import threading
import time

from shared.log.ports import WaitableLog

#: Longest single wait on the broker.
SLICE_S = 0.25


def wait_for_more(
    log: object, stop: threading.Event, wake: threading.Event, seconds: float
) -> None:
    """Returns when records arrived, ``wake`` or ``stop`` is set, or after ``seconds``."""
    if not isinstance(log, WaitableLog):
        wake.wait(seconds)
        return
    deadline = time.monotonic() + seconds
    while not (stop.is_set() or wake.is_set()):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or log.wait_for_records(min(remaining, SLICE_S)):
            return
