"""A Kafka log opened on first use, so a reader started before its broker waits for it.

The projector and reporting opened their ``KafkaEventLog`` (and checked their
topics) while starting: with the broker down they gave up after 30 s and the
process exited, where the relay waits, serving its probes (operations probe).
Behind this log, opening is the first call's work, in the pass thread: while
the broker does not answer, each pass fails with ``BrokerUnavailableError``,
the thread retries it with its growing pause, and readiness says why; once the
broker answers, the log opens and the passes go on. A topic with the wrong
configuration fails the same way, naming the topic, until it is fixed.

Not thread-safe, as the log it opens: one reader per instance. A second log for
other readers (the status endpoints) is opened only ``after`` the reader's:
before, each of its calls fails at once rather than waiting 30 s on the broker.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from shared.kafka.errors import BrokerUnavailableError
from shared.kafka.log import KafkaEventLog
from shared.log.ports import LogRecord


class DeferredKafkaLog:
    """An ``EventLog`` (and ``WaitableLog``) that calls ``opener`` until it returns a log."""

    def __init__(
        self, opener: Callable[[], KafkaEventLog], after: DeferredKafkaLog | None = None
    ) -> None:
        self._opener = opener
        self._after = after
        self._log: KafkaEventLog | None = None

    @property
    def opened(self) -> bool:
        return self._log is not None

    def _opened(self) -> KafkaEventLog:
        if self._log is None:
            if self._after is not None and not self._after.opened:
                raise BrokerUnavailableError("not connected to the Kafka broker yet")
            self._log = self._opener()
        return self._log

    def topics(self) -> list[str]:
        return self._opened().topics()

    def partitions(self, topic: str) -> list[int]:
        return self._opened().partitions(topic)

    def read(self, topic: str, partition: int, after: int, limit: int) -> list[LogRecord]:
        return self._opened().read(topic, partition, after, limit)

    def end_offset(self, topic: str, partition: int) -> int:
        return self._opened().end_offset(topic, partition)

    def wait_for_records(self, timeout_s: float) -> bool:
        """Waits on the broker once open; before, sleeps (the next pass tries to open)."""
        if self._log is None:
            time.sleep(timeout_s)
            return False
        return self._log.wait_for_records(timeout_s)

    def close(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None
