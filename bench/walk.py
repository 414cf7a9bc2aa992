"""``python -m bench.walk URL TENANT``: one timed audit walk, in a process of its own.

The audit commands run as their own processes, which is also what lets the
walk fork decoding workers (``allow_worker_processes``; the benchmark
process, like a web service, runs other threads by the time R2 comes).
Prints ``{"operations": n, "seconds": s, "workers": bool}`` as JSON.
"""

from __future__ import annotations

import json
import sys
import time

from shared.application.ledger import CooperationLedger
from shared.application.stores import PostgresStore
from shared.audit import store
from shared.heap import collect_less_often, keep_freed_memory


def main(url: str, tenant: str) -> None:
    keep_freed_memory()  # as `entente audit` does (its main)
    collect_less_often()
    store.allow_worker_processes()  # as `entente audit` does
    ledger = CooperationLedger(tenant, PostgresStore(url))
    try:
        workers = store._parallel_ok(ledger)
        started = time.perf_counter()
        cursor = store.walk(ledger, store.start(tenant), lambda _i, _e, _c: None)
        seconds = time.perf_counter() - started
    finally:
        ledger.close()
    print(json.dumps({"operations": cursor.count, "seconds": seconds, "workers": workers}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
