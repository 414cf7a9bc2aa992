"""Random ids from the pooled buffer: version 4, distinct, and never shared with a forked child."""

from __future__ import annotations

import os
from uuid import UUID

from shared.ids import random_uuid


def test_ids_are_version_4_uuids_and_distinct() -> None:
    ids = [random_uuid() for _ in range(2000)]  # several refills of the buffer
    assert all(
        isinstance(i, UUID) and i.version == 4 and i.variant == "specified in RFC 4122" for i in ids
    )
    assert len(set(ids)) == len(ids)


def test_a_forked_child_does_not_hand_out_the_parents_next_ids() -> None:
    random_uuid()  # the buffer now holds bytes the parent will hand out next
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        os.close(read)
        os.write(write, b"".join(random_uuid().bytes for _ in range(4)))
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        theirs = pipe.read()
    os.waitpid(child, 0)
    ours = b"".join(random_uuid().bytes for _ in range(4))
    assert len(theirs) == 64
    assert theirs != ours
