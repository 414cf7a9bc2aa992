"""Reads waiting for a position are bounded, so one tenant's waits cannot stall the others.

A probe sent 45 reads of police's views waiting for a position never reached:
each held one of the process's worker threads, and gendarmerie's reads,
commands, the reporting and the audit took 7 s instead of 0.08 s.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.errors import NotYetVisibleError, TooManyWaitingError
from shared.views.sqlite import SqliteViewStore
from shared.views.waiting import WaitingReads, wait_for_position

TENANTS = ["police", "gendarmerie"]
NEVER = 10**12  # a position no view reaches here


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteViewStore]:
    views = SqliteViewStore(tmp_path / "views", TENANTS)
    yield views
    views.dispose()


def _waiters(
    store: SqliteViewStore, waiting: WaitingReads, tenant: str, count: int
) -> tuple[list[threading.Thread], list[BaseException]]:
    """``count`` reads of ``tenant`` waiting (up to 2 s) for a position never reached."""
    outcomes: list[BaseException] = []

    def wait() -> None:
        try:
            wait_for_position(store, tenant, NEVER, timeout_s=2, waiting=waiting)
        except (NotYetVisibleError, TooManyWaitingError) as error:
            outcomes.append(error)

    threads = [threading.Thread(target=wait) for _ in range(count)]
    for thread in threads:
        thread.start()
    return threads, outcomes


def _until_waiting(waiting: WaitingReads, tenant: str, count: int) -> None:
    for _ in range(400):
        if waiting.count(tenant) == count:
            return
        threading.Event().wait(0.005)
    raise AssertionError(f"{count} {tenant} reads never waited")


def test_past_its_places_a_tenant_s_read_is_refused_at_once_and_others_still_wait(
    store: SqliteViewStore,
) -> None:
    waiting = WaitingReads(total=3, per_tenant=2)
    threads, outcomes = _waiters(store, waiting, "police", 2)
    _until_waiting(waiting, "police", 2)

    with pytest.raises(TooManyWaitingError) as refused:
        wait_for_position(store, "police", NEVER, timeout_s=2, waiting=waiting)
    assert refused.value.rule == "too-many-waiting-reads"
    assert "2 reads of the police views already wait" in refused.value.detail
    # A read that needs no wait is answered, places or not.
    assert wait_for_position(store, "police", 0, timeout_s=2, waiting=waiting).position == 0
    # Another directorate still has a place; past the total, it is refused too.
    with pytest.raises(NotYetVisibleError):
        wait_for_position(store, "gendarmerie", NEVER, timeout_s=0.05, waiting=waiting)
    more, more_outcomes = _waiters(store, waiting, "gendarmerie", 1)
    _until_waiting(waiting, "gendarmerie", 1)
    with pytest.raises(TooManyWaitingError) as past_total:
        wait_for_position(store, "gendarmerie", NEVER, timeout_s=2, waiting=waiting)
    # The bound it met: all directorates' (it named gendarmerie's own count: probe 14).
    assert "3 reads already wait for a position here, every directorate's" in (
        past_total.value.detail
    )

    for thread in threads + more:
        thread.join(10)
    assert all(isinstance(o, NotYetVisibleError) for o in outcomes + more_outcomes)
    assert len(outcomes + more_outcomes) == 3
    assert (waiting.count("police"), waiting.count("gendarmerie")) == (0, 0)  # given back
    with pytest.raises(NotYetVisibleError):  # and taken again
        wait_for_position(store, "police", NEVER, timeout_s=0.01, waiting=waiting)


def test_one_caller_reading_several_directorates_cannot_take_their_places(
    store: SqliteViewStore,
) -> None:
    """An auditor's 16 waits over three directorates answered 503 to every directorate's
    readers (probe 13): a caller has fewer places than a directorate."""
    waiting = WaitingReads(total=16, per_tenant=3, per_caller=2)
    held = threading.Event()
    release = threading.Event()

    def hold(tenant: str) -> None:
        with waiting.place(tenant, "auditor-subject"):
            held.set()
            release.wait(5)

    holders = [threading.Thread(target=hold, args=(t,)) for t in TENANTS]
    for thread in holders:
        thread.start()
    _until_waiting(waiting, "police", 1)
    _until_waiting(waiting, "gendarmerie", 1)

    with pytest.raises(TooManyWaitingError) as refused:
        wait_for_position(
            store, "police", NEVER, timeout_s=1, waiting=waiting, caller="auditor-subject"
        )
    assert "2 of your reads already wait" in refused.value.detail
    assert refused.value.rule == "too-many-waiting-reads"
    # The directorate's own readers still wait, and are answered.
    with pytest.raises(NotYetVisibleError):
        wait_for_position(store, "police", NEVER, timeout_s=0.05, waiting=waiting, caller="reader")
    release.set()
    for thread in holders:
        thread.join(5)
    assert (waiting.count("police"), waiting.count("gendarmerie")) == (0, 0)
    with pytest.raises(NotYetVisibleError):  # its places given back
        wait_for_position(
            store, "police", NEVER, timeout_s=0.01, waiting=waiting, caller="auditor-subject"
        )
