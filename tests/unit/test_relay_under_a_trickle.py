"""The relay under a trickle of commands: little work per catch-up, checkpoints on time.

The running relay checkpoints its chain's head at most every interval, and
never later; a catch-up of a few events reads one page and saves it. A ledger
on SQLite, the relay's own SQLite state, a publisher that records what it is
given, and a hand-moved clock: each ``step`` is one look of ``run``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from shared.application.ledger import CooperationLedger
from shared.application.stores import SqliteStore
from shared.events import chain
from shared.events.wire import WireMessage
from shared.kafka.errors import PublishFailedError
from shared.kafka.names import checkpoints_topic, events_topic
from shared.relay.checkpoint import decode_checkpoint
from shared.relay.ports import RelayStateStore
from shared.relay.relay import Relay, RelayOptions
from shared.relay.state import relay_state_store
from tests.kafka.conftest import sign

TENANT = "police"


class Recording:
    """A publisher that keeps every message, by topic (acknowledged at once)."""

    def __init__(self) -> None:
        self.messages: dict[str, list[WireMessage]] = {}

    def publish(self, topic: str, messages: Sequence[WireMessage]) -> None:
        self.messages.setdefault(topic, []).extend(messages)

    def close(self) -> None:
        return None

    def checkpointed(self) -> list[int]:
        """The sizes of the chain checkpointed, in order."""
        return [
            decode_checkpoint(m.headers, m.value).size
            for m in self.messages.get(checkpoints_topic(TENANT), [])
        ]


class Clock:
    """A monotonic clock moved by the test."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[CooperationLedger]:
    ledger = CooperationLedger(TENANT, SqliteStore(tmp_path / "events"))
    yield ledger
    ledger.close()


@pytest.fixture
def state(tmp_path: Path, ledger: CooperationLedger) -> Iterator[RelayStateStore]:
    store = relay_state_store(SqliteStore(tmp_path / "events"), TENANT)
    yield store
    store.close()


def relay_of(
    ledger: CooperationLedger, publisher: Recording, state: RelayStateStore, clock: Clock
) -> Relay:
    options = RelayOptions(poll_interval=0.5, checkpoint_interval=1.0)
    return Relay(ledger, publisher, state, options, monotonic=clock)


def test_a_trickle_of_events_is_checkpointed_once_an_interval_not_once_a_look(
    ledger: CooperationLedger, state: RelayStateStore
) -> None:
    publisher, clock = Recording(), Clock()
    relay = relay_of(ledger, publisher, state, clock)
    pauses = []
    for i in range(25):  # an event every 1/8 s, and a look after each
        sign(ledger, f"A-{i}")
        pauses.append(relay.step())
        clock.now += 0.125

    assert len(publisher.messages[events_topic(TENANT)]) == 25
    # The first look checkpoints (a restarted relay replaces a lost checkpoint),
    # then the first look at least 1 s after the last checkpoint.
    assert publisher.checkpointed() == [1, 9, 17, 25]
    assert all(0 <= p <= 0.5 for p in pauses)
    assert pauses[1] == 0.5  # the poll interval bounds the wait
    assert pauses[5] == 0.375  # back when the head's checkpoint is due


def test_the_head_left_unchecked_is_checkpointed_by_the_look_that_finds_nothing_new(
    ledger: CooperationLedger, state: RelayStateStore
) -> None:
    publisher, clock = Recording(), Clock()
    relay = relay_of(ledger, publisher, state, clock)
    sign(ledger, "A-1")
    relay.step()
    clock.now += 0.25
    sign(ledger, "A-2")
    sign(ledger, "A-3")
    assert relay.step() == 0.5
    assert publisher.checkpointed() == [1]

    clock.now += 0.5
    assert relay.step() == 0.25  # nothing new, and the checkpoint not yet due
    assert publisher.checkpointed() == [1]
    clock.now += 0.25
    relay.step()  # nothing new, due: the head of all three events
    assert publisher.checkpointed() == [1, 3]
    clock.now += 5
    assert relay.step() == 0.5  # checked: nothing more to say
    assert publisher.checkpointed() == [1, 3]

    heads = [
        decode_checkpoint(m.headers, m.value).head
        for m in publisher.messages[checkpoints_topic(TENANT)]
    ]
    expected = chain.genesis(TENANT)
    for _position, event in ledger.read_log(0, 100):
        expected = chain.link(expected, event)
    assert heads[-1] == expected


def test_a_one_off_catch_up_still_checkpoints_its_end(
    ledger: CooperationLedger, state: RelayStateStore
) -> None:
    publisher, clock = Recording(), Clock()
    relay = relay_of(ledger, publisher, state, clock)
    for i in range(3):
        sign(ledger, f"A-{i}")
        relay.catch_up()  # as ``entente relay`` tools and tests call it: no interval

    assert publisher.checkpointed() == [1, 2, 3]


def test_a_stopping_relay_checkpoints_what_it_published_since_its_last_checkpoint(
    ledger: CooperationLedger, tmp_path: Path
) -> None:
    publisher = Recording()
    stop = threading.Event()

    def run() -> None:  # the relay's SQLite state belongs to the relay's thread
        state = relay_state_store(SqliteStore(tmp_path / "events"), TENANT)
        options = RelayOptions(poll_interval=0.01, checkpoint_interval=3600)
        try:
            Relay(ledger, publisher, state, options).run(stop)
        finally:
            state.close()

    def published() -> int:
        return len(publisher.messages.get(events_topic(TENANT), []))

    running = threading.Thread(target=run)
    sign(ledger, "A-1")
    running.start()
    try:
        _wait_for(lambda: published() == 1)
        sign(ledger, "A-2")
        _wait_for(lambda: published() == 2)
        assert publisher.checkpointed() == [1]  # an hour's interval: not yet
    finally:
        stop.set()
        running.join(timeout=10)
    assert not running.is_alive()
    assert publisher.checkpointed() == [1, 2]


def _wait_for(condition: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not reached in {seconds} s"
        time.sleep(0.01)


class Counting:
    """Counts the calls made to an object's methods, and passes them on."""

    def __init__(self, inner: object) -> None:
        self._inner = inner
        self.calls: dict[str, int] = {}

    def __getattr__(self, name: str) -> object:
        attribute = getattr(self._inner, name)
        if not callable(attribute):
            return attribute

        def counted(*args: object, **kwargs: object) -> object:
            self.calls[name] = self.calls.get(name, 0) + 1
            return attribute(*args, **kwargs)

        return counted


class FailingOnce(Recording):
    """Refuses its first events page (the broker is away), then records."""

    def __init__(self) -> None:
        super().__init__()
        self.refused = False

    def publish(self, topic: str, messages: Sequence[WireMessage]) -> None:
        if topic == events_topic(TENANT) and not self.refused:
            self.refused = True
            raise PublishFailedError("the broker is away")
        super().publish(topic, messages)


def test_a_catch_up_under_a_trickle_reads_one_page_and_saves_it_nothing_more(
    ledger: CooperationLedger, state: RelayStateStore
) -> None:
    source, store = Counting(ledger), Counting(state)
    relay = Relay(source, Recording(), store, RelayOptions())  # type: ignore[arg-type]
    sign(ledger, "A-1")
    relay.catch_up()
    assert (store.calls.get("load"), source.calls.get("position")) == (1, 1)
    source.calls.clear()
    store.calls.clear()

    sign(ledger, "A-2")
    assert relay.catch_up() == 1

    # The state was saved by this relay: no load, no check against the store's
    # end; a page short of its limit held everything: no second read.
    assert source.calls == {"read_published": 1}
    assert store.calls == {"save": 1}


def test_after_a_failure_the_relay_reads_its_stored_state_afresh(
    ledger: CooperationLedger, state: RelayStateStore
) -> None:
    store, publisher = Counting(state), FailingOnce()
    relay = Relay(ledger, publisher, store, RelayOptions())  # type: ignore[arg-type]
    sign(ledger, "A-1")
    with pytest.raises(PublishFailedError):
        relay.catch_up()
    assert relay.catch_up() == 1

    assert store.calls["load"] == 2
    assert len(publisher.messages[events_topic(TENANT)]) == 1
    assert state.load().count == 1


def test_a_relay_woken_while_commands_keep_coming_lingers_and_not_after_a_quiet_spell(
    ledger: CooperationLedger, state: RelayStateStore
) -> None:
    clock = Clock()
    options = RelayOptions(linger=0.005)
    relay = Relay(ledger, Recording(), state, options, monotonic=clock)
    ended = clock.now

    clock.now += 0.002  # woken 2 ms after the last catch-up: more are on their way
    assert relay.lingering(ended) == 0.005
    clock.now += 1.0  # woken after a second of nothing: publish at once
    assert relay.lingering(ended) == 0.0
    quiet = Relay(ledger, Recording(), state, RelayOptions(linger=0), monotonic=clock)
    assert quiet.lingering(clock.now) == 0.0


def test_a_running_relay_logs_what_it_published_once_every_ten_seconds_not_per_catch_up(
    ledger: CooperationLedger, state: RelayStateStore, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    relay = relay_of(ledger, Recording(), state, clock)
    with caplog.at_level(logging.INFO, logger="entente.relay"):
        for i in range(25):  # an event every second: 25 catch-ups
            sign(ledger, f"A-{i}")
            relay.step()
            clock.now += 1.0

    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    # The first catch-up, then the sums of the next ten seconds' catch-ups.
    assert lines == [
        "relay police: published 1 events",
        "relay police: published 10 events",
        "relay police: published 10 events",
    ]
