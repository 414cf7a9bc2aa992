"""Why a target is missed and what would close it, from profiles taken while building the suite.

"Profiled" means cProfile runs of the subject (see docs/performance.md); "not
profiled" marks a reasoned explanation that still needs a profile to confirm.
"""

WHY: dict[str, str] = {
    "H1": "not profiled yet. The command path does much more than one INSERT: RS256 token "
    "verification, loading and saving the aggregate through eventsourcing (whose PostgreSQL "
    "recorder takes a table lock on insert so the notification log has no gaps, serialising "
    "writers), the idempotency receipt, and the embedded projector woken after every POST, "
    "competing for the same two CPUs as the load generator, PostgreSQL and Kafka. To close: "
    "profile one request, cache verified tokens for their lifetime, run the projector in its "
    "own process (ENTENTE_EMBEDDED_PROJECTOR=false with `entente project`), and measure on a "
    "machine where the client does not share the server's CPUs.",
    "W2": "profiled in process (cProfile, PostgreSQL, one client): recording 100 missions "
    "through the ledger alone takes about 20 ms, a ceiling near 5,000 events/s per writer "
    "before any HTTP — about a third in the domain guards (vocabulary and country look-ups, "
    "text normalisation, `isinstance` on typing generics, run per item), a quarter in "
    "eventsourcing's event collection and JSON transcoding, the rest in the insert, which "
    "takes the events table's lock (gap-free notification ids) so concurrent imports write "
    "one after another. The baseline has none of that: psycopg pipelines 100 prepared "
    "INSERTs of ready-made JSON into a table without lock or index beyond its key, "
    "typically 15,000-35,000 rows/s here. The embedded projector then projects the import "
    "row by row (see P1) in the same process, on the same two CPUs as the clients and "
    "PostgreSQL: switching it off (ENTENTE_EMBEDDED_PROJECTOR=false) raised the subject "
    "from about 2,700 to about 4,100 events/s in a trial run. To close: the projector in "
    "its own process, domain guards that check each distinct vocabulary term once per "
    "import, one COPY or multi-row INSERT for the batch instead of eventsourcing's "
    "per-row parameters, and a machine where the load generator does not share the "
    "server's CPUs; a ratio of 0.6 against a pipelined plain-table insert is unlikely "
    "with per-event Python work at all.",
    "K1": "profiled through R2's walk, which shares its read path: the relay reads a page "
    "from the store and decodes it into envelopes (about a third of its time), chains and "
    "encodes it, and only then publishes and waits for every ack before reading the next "
    "page, so reading and producing never overlap; the baseline sends pre-encoded messages. "
    "To close: read and encode page n+1 while page n awaits its acks (one page in flight), "
    "and compute each event's canonical form once instead of in both chain and wire encoding.",
    "P1": "profiled: the projector applies each event row by row — about six SQL statements "
    "per agreement event (read current row, insert, replace codes, term…), each a round trip "
    "through SQLAlchemy Core and psycopg — so a 1,000-event batch costs about 6,000 round "
    "trips, where the raw baseline upserts 1,000 rows in one executemany. To close: let "
    "handlers collect a batch's rows and write them per table with one multi-row upsert "
    "(or psycopg pipeline mode), and cache compiled statements.",
    "R2": "profiled: the walk is CPU-bound Python on one core. Per event it parses the "
    "stored JSON (orjson), decodes the two timestamps, builds the canonical document and "
    "writes it (orjson, sorted keys), computes the event id (SHA-1) and two SHA-256 "
    "(digest and chain link); the page read itself (binary keyset query) is under a tenth "
    "of the time. The rows now go straight to canonical bytes (no domain-event object, no "
    "envelope), but the remaining per-event Python work still costs several times the raw "
    "read, which does none of it. To close: decode in several processes by notification-id "
    "ranges (the chain itself is sequential but cheap: SHA-256 over bytes already built), "
    "on a machine whose cores are not shared with PostgreSQL and the load generator.",
    "E1": "not profiled. It is not H1's backlog: the suite waits for the views to catch up "
    "before E1 starts (the time is in the notes). The commands themselves queue: at half of "
    "H1's closed-loop rate, each E1 command is followed by a view read that waits in "
    "`wait_for_position` by sleeping and polling inside one of the service's synchronous "
    "worker threads, while the embedded projector (row-by-row SQL, see P1) runs in the same "
    "process on the same two CPUs as the load generator, PostgreSQL and Kafka; the offered "
    "load exceeds what the process sustains, so latency is queueing that grows for as long "
    "as the run lasts. To close: a wait that does not hold a worker thread (async, woken by "
    "the projector's commit), the projector in its own process, the P1 fix, then a step "
    "search for the highest rate that keeps p99 ≤ 250 ms.",
}
