"""Reading every tenant's partitions in turns: how the projectors make one pass.

One batch per partition in turn, so one directorate's backlog does not hold up
the others' (their read-your-writes, their figures).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from shared.log.ports import EventLog, topic_for

#: Projects the next records of one (tenant, topic, partition), at most the last
#: argument; returns how many it consumed.
Batch = Callable[[str, str, int, int], int]


def in_turns(
    log: EventLog, tenants: Sequence[str], batch: Batch, page_size: int, max_records: int
) -> int:
    """Batches of at most ``page_size`` records, partition after partition, until none
    has more or ``max_records`` were consumed; returns how many were."""
    partitions = [
        (tenant, topic_for(tenant), partition)
        for tenant in tenants
        for partition in log.partitions(topic_for(tenant))
    ]
    done, progress = 0, True
    while progress and done < max_records:
        progress = False
        for tenant, topic, partition in partitions:
            budget = min(page_size, max_records - done)
            if budget <= 0:
                break
            consumed = batch(tenant, topic, partition, budget)
            done += consumed
            progress = progress or consumed > 0
    return done
