"""``wait_for_more``: a caught-up reader waits on a log that can be waited on, else sleeps."""

from __future__ import annotations

import threading
import time

from shared.log.idle import SLICE_S, wait_for_more


class BrokerLog:
    """A log whose records arrive at the ``arrives``-th wait (never, when None)."""

    def __init__(self, arrives: int | None) -> None:
        self.arrives = arrives
        self.waits: list[float] = []

    def wait_for_records(self, timeout_s: float) -> bool:
        self.waits.append(timeout_s)
        if self.arrives is not None and len(self.waits) >= self.arrives:
            return True
        time.sleep(timeout_s)
        return False


def test_it_returns_as_soon_as_records_arrive() -> None:
    log = BrokerLog(arrives=1)
    started = time.monotonic()
    wait_for_more(log, threading.Event(), threading.Event(), seconds=30)
    assert time.monotonic() - started < 1
    assert log.waits == [SLICE_S]


def test_it_waits_in_slices_until_the_interval_ends() -> None:
    log = BrokerLog(arrives=None)
    started = time.monotonic()
    wait_for_more(log, threading.Event(), threading.Event(), seconds=0.6)
    assert 0.55 <= time.monotonic() - started < 1.5
    assert len(log.waits) == 3  # 0.25 + 0.25 + the 0.1 left
    assert all(w <= SLICE_S for w in log.waits)


def test_a_stop_or_a_wake_ends_the_wait_within_a_slice() -> None:
    for which in ("stop", "wake"):
        stop, wake = threading.Event(), threading.Event()
        threading.Timer(0.3, (stop if which == "stop" else wake).set).start()
        started = time.monotonic()
        wait_for_more(BrokerLog(arrives=None), stop, wake, seconds=30)
        assert time.monotonic() - started < 0.3 + 2 * SLICE_S, which


def test_a_log_without_a_broker_sleeps_until_woken() -> None:
    wake = threading.Event()
    threading.Timer(0.2, wake.set).start()
    started = time.monotonic()
    wait_for_more(object(), threading.Event(), wake, seconds=30)
    assert 0.15 <= time.monotonic() - started < 2
