"""Reading every tenant's partitions in turns: how the projectors make one pass.

One batch per partition in turn, so one directorate's backlog does not hold up
the others' (their read-your-writes, their figures). A partition is read again
in the same pass only while its batches bring records (a batch can stop short
before a poison message, which the next read parks); one that brought none is
at its end, and checking it again cost a transaction and a round trip to the
broker for nothing: with a command every few milliseconds, every partition was
read three times per command. Records that arrive later are the next pass's,
which the caught-up wait starts as soon as they come (``shared.log.idle``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from shared.log.ports import EventLog, topic_for

#: Records one pass consumes at most (the projectors' default ``run_once`` budget): a pass
#: that consumed fewer read every partition until it had nothing more.
PASS_RECORDS = 10_000

#: Projects the next records of one (tenant, topic, partition), at most the last
#: argument; returns how many it consumed.
Batch = Callable[[str, str, int, int], int]


def in_turns(
    log: EventLog, tenants: Sequence[str], batch: Batch, page_size: int, max_records: int
) -> int:
    """Batches of at most ``page_size`` records, partition after partition, until none
    has more or ``max_records`` were consumed; returns how many were.

    Fewer than ``max_records`` means every partition was read until it had nothing more.
    """
    pending = [
        (tenant, topic_for(tenant), partition)
        for tenant in tenants
        for partition in log.partitions(topic_for(tenant))
    ]
    done = 0
    while pending and done < max_records:
        brought = []  # the partitions whose batch brought records: they may hold more
        for tenant, topic, partition in pending:
            budget = min(page_size, max_records - done)
            if budget <= 0:
                break
            consumed = batch(tenant, topic, partition, budget)
            done += consumed
            if consumed:
                brought.append((tenant, topic, partition))
        pending = brought
    return done
