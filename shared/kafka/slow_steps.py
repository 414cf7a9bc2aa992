"""kafka-python's "blocking the event loop" warning, left out of Entente's logs.

kafka-python 3 times each step of its I/O thread by the wall clock and warns past
0.1 s: "Task … ran for 0.122s (>0.100s threshold). It is blocking the event loop --
likely a tight sync loop inside a coroutine. Other pollers will time out." In
Entente's processes the main thread prepares or applies a whole page at a time
while it holds the interpreter lock (the relay, the projectors, the bench), so the
I/O thread's step waits for the lock, not for a loop of its own: under any
backlog, a few such warnings a second, telling operators of time-outs none of
which happen (no consumer group; partitions are assigned, acknowledgements
arrive). Every other kafka-python warning is kept.
"""

from __future__ import annotations

import logging

#: The part of the warning that names it (kafka/net/selector.py).
SLOW_STEP = "It is blocking the event loop -- likely a tight sync loop inside a coroutine."


class LeaveOutSlowSteps(logging.Filter):
    """Drops the slow-step warning (see the module), keeps every other record."""

    def filter(self, record: logging.LogRecord) -> bool:
        return SLOW_STEP not in record.getMessage()


def leave_out_slow_steps() -> None:
    """Installs the filter on kafka-python's selector logger, once per process."""
    selector = logging.getLogger("kafka.net.selector")
    if not any(isinstance(f, LeaveOutSlowSteps) for f in selector.filters):
        selector.addFilter(LeaveOutSlowSteps())
