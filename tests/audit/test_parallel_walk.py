"""The walk's worker processes (PostgreSQL, long stores) give what the single process gives.

Same items, entries and cursor, an undecodable row reported the same way, in
order across receipts' gaps in positions, and an interrupted walk resumes.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence

import pytest

from shared.application.ledger import CooperationLedger, Idempotency
from shared.audit import store
from shared.audit.findings import Entry
from shared.audit.progress import Interrupted
from shared.audit.store import Cursor, Item, start, walk

from .support import StoreTamper, sign, write_history


def _walk(
    ledger: CooperationLedger, cursor: Cursor, *, stop_after: int | None = None
) -> tuple[list[Item], list[Entry], Cursor]:
    items: list[Item] = []
    entries: list[Entry] = []
    pages = [0]

    class Stop:
        def requested(self) -> bool:
            return stop_after is not None and pages[0] >= stop_after

    def keep(page: Sequence[Item], linked: Sequence[Entry], _cursor: Cursor) -> None:
        items.extend(page)
        entries.extend(linked)
        pages[0] += 1

    end = walk(ledger, cursor, keep, page_size=3, stop=Stop())
    return items, entries, end


@pytest.fixture
def parallel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "PARALLEL_MIN", 1)
    monkeypatch.setenv(store.WORKERS_VARIABLE, "2")
    monkeypatch.setattr(store, "_fork_safe", lambda: True)  # pytest may run other threads


@pytest.mark.parametrize("store", ["postgres"], indirect=True)  # workers read PostgreSQL only
def test_workers_give_what_one_process_gives(
    ledger: CooperationLedger, postgres: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert postgres is not None
    write_history(ledger, records=4, rounds=3)
    positions = [position for position, _ in ledger.read_log(0, 1000)]
    StoreTamper(ledger, postgres).replace_state(positions[5], b"{not json")
    monkeypatch.setenv(store.WORKERS_VARIABLE, "1")
    expected = _walk(ledger, start(ledger.tenant))
    assert expected[1][5].where  # undecodable, reported with its reason

    monkeypatch.setattr(store, "PARALLEL_MIN", 1)
    monkeypatch.setenv(store.WORKERS_VARIABLE, "2")
    monkeypatch.setattr(store, "_fork_safe", lambda: True)  # pytest may run other threads
    assert store._parallel_ok(ledger)
    assert _walk(ledger, start(ledger.tenant)) == expected


@pytest.mark.usefixtures("parallel")
@pytest.mark.parametrize("store", ["postgres"], indirect=True)  # workers read PostgreSQL only
def test_an_interrupted_parallel_walk_resumes(
    ledger: CooperationLedger, postgres: str | None
) -> None:
    assert postgres is not None
    write_history(ledger, records=4, rounds=3)
    everything = _walk(ledger, start(ledger.tenant))
    stopped: list[Cursor] = []

    def keep(_items: Sequence[Item], _entries: Sequence[Entry], cursor: Cursor) -> None:
        stopped.append(cursor)

    class Once:
        def requested(self) -> bool:
            return len(stopped) >= 2

    with pytest.raises(Interrupted):
        walk(ledger, start(ledger.tenant), keep, page_size=3, stop=Once())
    # The workers are gone when the interruption arrives, not whenever the pages'
    # generator is collected (terminating a pool from a finaliser could hang).
    assert multiprocessing.active_children() == []
    done = stopped[-1].count
    assert 0 < done < len(everything[0])
    assert stopped[-1] == Cursor(
        everything[0][done - 1].position, everything[1][done - 1].link, done
    )
    rest = _walk(ledger, stopped[-1])
    assert rest[2] == everything[2]
    assert rest[1] == everything[1][done:]


def test_only_the_audit_commands_let_a_walk_fork_workers() -> None:
    """The audit web service walks in a process full of threads: it must walk in it."""
    import subprocess
    import sys

    probe = (
        "import services.audit.main, shared.audit.store as s; "
        "before = s._fork_safe(); "
        "from typer.testing import CliRunner; from shared.audit.cli import audit_app; "
        "CliRunner().invoke(audit_app, ['verify', '--help']); "
        "print(before, s._fork_safe())"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.split() == ["False", "True"]


def test_a_finished_walk_shows_its_counter_at_the_end_even_past_the_last_event(
    ledger: CooperationLedger,
) -> None:
    """The last positions were command receipts, which the walk skips: the counter of a
    finished walk said 2405 / 2406 (99 %)."""
    sign(ledger, "FR-VN-2011", key=Idempotency("walk-counter-0001", "fingerprint"))
    seen: list[tuple[str, int | None, int]] = []

    class Recorded:
        total: int | None = None

        def stage(self, label: str, total: int | None) -> None:
            self.total = total

        def update(self, done: int) -> None:
            seen.append(("update", self.total, done))

    end = walk(ledger, start(ledger.tenant), lambda *_: None, progress=Recorded())

    last = ledger.position()
    assert end.position < last  # a receipt after the last event
    assert seen[-1] == ("update", last, last)
