"""Several writers released at the same instant, each with its own ledger (a process's)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

from shared.application.ledger import CooperationLedger

T = TypeVar("T")


def at_once(
    ledgers: Sequence[CooperationLedger],
    attempt: Callable[[CooperationLedger, int], T],
    refusal: type[Exception],
) -> list[T | Exception]:
    """``attempt(ledger, index)`` on every ledger in a thread of its own, all started
    together; each one's result, or its ``refusal``, in the order they finished."""
    results: list[T | Exception] = []
    start = threading.Barrier(len(ledgers))

    def run(ledger: CooperationLedger, index: int) -> None:
        start.wait()
        try:
            results.append(attempt(ledger, index))
        except refusal as refused:
            results.append(refused)

    threads = [threading.Thread(target=run, args=(ledger, i)) for i, ledger in enumerate(ledgers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results
