"""``keep_freed_memory``: a batch's freed memory serves the next batch without page faults.

Each case runs in a child process, so the test process's own allocator is
left as it was, and both settings are measured from the same start.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from shared.heap import keep_freed_memory

#: Batches of a thousand ~1 KB results, kept together then freed, as the relay's pages are;
#: prints the minor page faults of the batches after the first.
BATCHES = textwrap.dedent(
    """
    import json, resource, sys
    if sys.argv[1] == "keep":
        from shared.heap import keep_freed_memory
        assert keep_freed_memory()
    def batch():
        return [b"%d" % i + bytes(1000) for i in range(1000)]
    batch()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(10):
        kept = batch()
        del kept
    print(json.dumps(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before))
    """
)


def _faults(mode: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", BATCHES, mode], capture_output=True, text=True, check=True
    )
    faults: int = json.loads(done.stdout)
    return faults


def test_freed_batches_are_reused_without_page_faults() -> None:
    default, kept = _faults("default"), _faults("keep")
    # By default every batch faults its ~1 MB in again (about 250 pages); kept, none do.
    assert default >= 10 * 100
    assert kept < default / 10


def test_the_allocator_takes_the_settings() -> None:
    """The image and the machines Entente runs on are Debian: glibc."""
    assert keep_freed_memory() is True


#: Ten thousand young containers kept alive; prints how many young collections ran meanwhile.
YOUNG = textwrap.dedent(
    """
    import gc, json, sys
    if sys.argv[1] == "less":
        from shared.heap import collect_less_often
        collect_less_often()
    runs = []
    gc.callbacks.append(lambda phase, info: phase == "start" and runs.append(info["generation"]))
    kept = [[i] for i in range(10_000)]
    print(json.dumps(len(runs)))
    """
)


def _young_collections(mode: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", YOUNG, mode], capture_output=True, text=True, check=True
    )
    runs: int = json.loads(done.stdout)
    return runs


def test_a_batch_of_young_objects_is_not_walked_over_and_over() -> None:
    # By default every 700 allocations: about fourteen collections for 10,000 lists.
    assert _young_collections("default") >= 10
    assert _young_collections("less") == 0
