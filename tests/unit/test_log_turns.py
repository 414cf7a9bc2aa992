"""A pass reads the partitions in turns, and reads again only those that brought records.

Each read of a partition is a transaction and, when it has nothing buffered, a
round trip to the broker: under a steady trickle of commands, reading every
partition again after each productive batch, then making a whole second pass,
cost nine reads per command on three partitions.
"""

from __future__ import annotations

import logging
import time

from shared.log.turns import PASS_RECORDS, in_turns
from shared.views.halts import PartitionHalts
from shared.views.runner import PassThread

PARTITIONS = 3


class Partitions:
    """The ``partitions`` part of a log: three per topic."""

    def partitions(self, topic: str) -> list[int]:
        return list(range(PARTITIONS))


class Backlog:
    """A batch function over pending records per partition, noting each call."""

    def __init__(self, pending: dict[int, int], poison_after: dict[int, int] | None = None):
        self.pending = dict(pending)
        self.poison_after = poison_after or {}  # a batch stops short before a poison message
        self.calls: list[int] = []

    def __call__(self, tenant: str, topic: str, partition: int, limit: int) -> int:
        self.calls.append(partition)
        left = self.pending.get(partition, 0)
        stop = self.poison_after.pop(partition, None)
        taken = min(limit, left, stop if stop is not None else left)
        self.pending[partition] = left - taken
        return taken


def run(backlog: Backlog, page_size: int = 10, max_records: int = PASS_RECORDS) -> int:
    log = Partitions()
    return in_turns(log, ["police"], backlog, page_size, max_records)  # type: ignore[arg-type]


def test_a_partition_that_brought_nothing_is_not_read_again_in_the_pass() -> None:
    backlog = Backlog({1: 1})
    assert run(backlog) == 1
    assert backlog.calls == [0, 1, 2, 1]  # partition 1 once more: it may have had more


def test_a_backlog_is_read_page_after_page_in_turns_until_it_is_empty() -> None:
    backlog = Backlog({0: 25, 2: 5})
    assert run(backlog) == 30
    assert backlog.calls == [0, 1, 2, 0, 2, 0, 0]
    assert set(backlog.pending.values()) == {0}


def test_a_batch_cut_short_by_a_poison_message_is_followed_in_the_same_pass() -> None:
    backlog = Backlog({0: 4}, poison_after={0: 1})
    assert run(backlog) == 4
    assert backlog.calls == [0, 1, 2, 0, 0]


def test_a_pass_stops_at_its_budget() -> None:
    backlog = Backlog({0: 100, 1: 100})
    assert run(backlog, max_records=35) == 35
    assert backlog.calls == [0, 1, 2, 0, 1]  # 10 + 10 + 0 + 10 + 5


class Projector:
    """Passes over a log that cannot be waited on; the first pass consumes ``first``."""

    def __init__(self, first: int) -> None:
        self.log = object()
        self.halts: PartitionHalts | None = None
        self.first = first
        self.passes = 0

    def run_once(self) -> int:
        self.passes += 1
        return self.first if self.passes == 1 else 0


def passes_after(first: int, seconds: float) -> int:
    projector = Projector(first)
    thread: PassThread[Projector] = PassThread(
        projector, poll_interval=30, name="test-passes", logger=logging.getLogger("test")
    )
    thread.start()
    try:
        time.sleep(seconds)
        return projector.passes
    finally:
        thread.stop()


def test_after_a_pass_that_read_everything_the_thread_waits_for_more() -> None:
    assert passes_after(first=1, seconds=0.3) == 1  # no second pass to find nothing


def test_after_a_pass_that_used_its_whole_budget_the_next_one_follows_at_once() -> None:
    assert passes_after(first=PASS_RECORDS, seconds=0.3) >= 2


def test_a_wake_starts_the_next_pass() -> None:
    projector = Projector(first=1)
    thread: PassThread[Projector] = PassThread(
        projector, poll_interval=30, name="test-wake", logger=logging.getLogger("test")
    )
    thread.start()
    try:
        time.sleep(0.2)
        thread.wake()
        deadline = time.monotonic() + 5
        while projector.passes < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert projector.passes == 2
    finally:
        thread.stop()
