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
