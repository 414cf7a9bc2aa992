"""A projector thread whose passes keep failing says so to readiness (``shared.views.runner``).

An event in the store that could not be decoded was retried every 5 s for ever while
``/readyz`` answered 200 and the tenant's views stood still (operations probe).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from shared.views.halts import PartitionHalts
from shared.views.runner import PassThread


class _Passes:
    """A projector whose passes fail while ``broken`` holds a reason."""

    def __init__(self) -> None:
        self.broken: str | None = "the stored event at position 7 cannot be decoded"
        self.log = object()
        self.halts: PartitionHalts | None = None

    def run_once(self) -> int:
        if self.broken is not None:
            raise RuntimeError(self.broken)
        return 0


def _until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_passes_failing_past_the_grace_fail_readiness_and_recover() -> None:
    passes = _Passes()
    thread = PassThread(
        passes, 0.01, name="test-projector", logger=logging.getLogger("test"), failing_grace=0.3
    )
    thread.start()
    try:
        _until(lambda: thread.failure is not None)
        early = thread.stop_reason("the projector")  # a blip is retried, not reported
        _until(lambda: thread.failing)
        late = thread.stop_reason("the projector")
        passes.broken = None
        _until(lambda: thread.failure is None)
        recovered = thread.stop_reason("the projector")
    finally:
        thread.stop()

    assert early is None
    assert late is not None
    assert late.startswith("the projector has failed every pass for ")
    assert late.endswith(": the stored event at position 7 cannot be decoded")
    assert recovered is None
    assert not thread.failing
