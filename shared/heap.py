"""How Entente's processes treat their heap: freed memory kept, cycles collected less often.

Entente's long-running processes work in batches: a relay page of a thousand
messages, a projector batch, an audit page, an import of a hundred records.
Each builds a few MB of short-lived objects and frees them together. glibc's
allocator gives freed memory at the top of its heap back to the kernel as soon
as more than 128 KiB of it is free (``M_TRIM_THRESHOLD``), and serves requests
it deems large from fresh mappings (``M_MMAP_THRESHOLD``); the next batch then
touches new pages, and every first touch is a page fault, about 2.5 µs on
this project's virtual machines. Writing an event's canonical bytes (orjson,
about 1 KB) took 5.3 µs with two page faults in a page of a thousand, 0.6 µs
with the thresholds raised (measured with ``getrusage``'s minor faults); the
relay's whole catch-up went from about 8,200 to 9,400 events/s.

``keep_freed_memory`` raises both thresholds, so a process keeps up to
``TRIM_THRESHOLD`` of free heap for its next batch. Its memory stays bounded by
its largest batch; it simply stops shrinking between batches. Every ``entente``
command calls it first. Anything but glibc (musl, macOS) is left as it is.
"""

from __future__ import annotations

import ctypes
import gc
import logging

log = logging.getLogger("entente.heap")

#: glibc ``mallopt`` parameters (malloc.h).
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3

#: Requests below this size come from the heap, whose pages are reused (glibc's default: 128 KiB,
#: raised on the fly up to 32 MiB).
MMAP_THRESHOLD = 64 << 20
#: Free memory kept at the top of the heap before any goes back to the kernel (default: 128 KiB).
TRIM_THRESHOLD = 256 << 20


def keep_freed_memory() -> bool:
    """Raises glibc's trim and mmap thresholds for this process; whether it could.

    Settings made before a ``fork`` hold in the child too (the audit walk's
    decoding workers).
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc: nothing to tune
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    done = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
    if not done:
        log.debug("glibc refused the heap thresholds; the defaults stay")
    return done


#: Allocations (net of frees) between two young-generation collections (CPython's default: 700).
YOUNG_THRESHOLD = 50_000


def collect_less_often() -> None:
    """Runs the cyclic garbage collector every ``YOUNG_THRESHOLD`` allocations instead of 700.

    A batch allocates tens of thousands of objects that live until the batch
    ends (records, envelopes, rows), and with CPython's default every 700 of
    them the collector walked the young ones again, each surviving twice into
    older generations that it then walks too: a fifth of the projector's time
    over 10,000 events (0.27 of 1.36 s, measured with ``gc.callbacks``), a
    thirtieth with this threshold (8,900 events/s instead of 7,300). Almost
    everything is freed by reference counting anyway; the collector is only
    for cycles, which a larger threshold merely lets wait a little longer.
    Objects alive at start-up (modules, settings) are frozen out of every
    collection (``gc.freeze``).
    """
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
