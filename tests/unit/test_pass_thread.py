"""A projector thread whose passes keep failing says so to readiness (``shared.views.runner``).

An event in the store that could not be decoded was retried every 5 s for ever while
``/readyz`` answered 200 and the tenant's views stood still (operations probe).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import pytest

from shared.kafka.errors import TopicMissingError
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


class _Failing(_Passes):
    """Passes failing with each error of ``errors`` in turn, then with the last for ever."""

    def __init__(self, errors: list[Exception]) -> None:
        super().__init__()
        self.errors = errors
        self.passes = 0

    def run_once(self) -> int:
        self.passes += 1
        raise self.errors[min(self.passes, len(self.errors)) - 1]


def _retries_logged(
    passes: _Failing, caplog: pytest.LogCaptureFixture, at_least: int
) -> list[logging.LogRecord]:
    thread = PassThread(passes, 0.001, name="test-projector", logger=logging.getLogger("test"))
    thread.start()
    try:
        _until(lambda: passes.passes >= at_least)
    finally:
        thread.stop()
    return [r for r in caplog.records if r.name == "test"]


def test_a_failure_that_repeats_is_logged_with_its_traceback_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A server waiting for its topics logged about 40 lines of traceback at every retry."""
    errors: list[Exception] = [KeyError("topic"), OSError("the broker went away")]
    with caplog.at_level(logging.WARNING, logger="test"):
        records = _retries_logged(_Failing(errors), caplog, at_least=5)

    with_traceback = [r for r in records if r.exc_info]
    assert [type(r.exc_info[1]) for r in with_traceback if r.exc_info] == [KeyError, OSError]
    repeats = [r.getMessage() for r in records if not r.exc_info]
    assert len(repeats) >= 2
    assert all(m.endswith(": OSError: the broker went away") for m in repeats), repeats


def test_the_platforms_own_errors_are_one_line_each_time(
    caplog: pytest.LogCaptureFixture,
) -> None:
    missing = TopicMissingError("topic 'entente.police.events' does not exist")
    with caplog.at_level(logging.WARNING, logger="test"):
        records = _retries_logged(_Failing([missing]), caplog, at_least=3)

    assert records
    assert not [r for r in records if r.exc_info]
    assert all(
        "TopicMissingError: topic 'entente.police.events' does not" in r.getMessage()
        for r in records
    )
