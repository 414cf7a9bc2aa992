"""The PostgreSQL recorder of a tenant's events: the whole insert in one round trip.

The library's recorder takes the events table's EXCLUSIVE lock (which keeps
notification ids committed in the order they were given, so a reader of the
log never skips one), inserts, waits for the answer in Python, then commits:
the lock is held across two round trips and whatever the writing thread waits
for in between — under load, the interpreter lock, for several switch
intervals while other request threads run. Every other writer of the tenant
queues behind it, so commands per second were capped by Python scheduling,
not by PostgreSQL.

``LockingInsertRecorder`` sends one statement instead: a function that sets
the lock timeout, takes the same lock, inserts every event and notifies
``CHANNEL`` with the schema's name (delivered at commit, so the tenant's
relay publishes at once instead of at its next look), run as its own
transaction (the library's connections are in autocommit). The lock is taken
and released inside PostgreSQL, for the time the insert and its commit take.
Same table, same lock, same order guarantee, same errors (a duplicate
(originator, version) is an ``IntegrityError``).

The library's own ``POSTGRES_ENABLE_DB_FUNCTIONS`` function does not take the
lock, which is why it stays off (``shared/application/stores.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import retry
from psycopg.sql import SQL, Composed, Identifier, Literal

#: The function's name; its definition is (re)written by ``create_table``.
FUNCTION = "entente_insert_events"
#: Notified at each insert's commit, with the schema as payload: the relay listens.
CHANNEL = "entente_events_stored"


#: Attempts of a store call before its fault is answered (503 store-unavailable): the
#: library's. Fewer would not do: after PostgreSQL restarts, each pooled connection
#: fails once before the pool drops it, so a call must outlast the pool's stale ones.
ATTEMPTS = 10
#: Seconds each attempt waits for a pooled connection (the library's
#: ``POSTGRES_CONNECT_TIMEOUT``). At the library's 30, a command was held four minutes
#: while PostgreSQL was down (10 attempts), and a client that gave up first could find
#: its command recorded minutes later; now a fault is answered in about 20 s.
POOL_WAIT_S = 2


class LockingInsertRecorder(PostgresApplicationRecorder):
    """``PostgresApplicationRecorder`` whose ``insert_events`` is one locking function call."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        schema, table = Identifier(datastore.schema), Identifier(self.events_table_name)
        id_type = SQL(datastore.originator_id_type)  # "uuid" or "text", set by the library
        self._create_function = SQL(
            "CREATE OR REPLACE FUNCTION {schema}.{function}("
            " ids {id_type}[], versions bigint[], topics text[], states bytea[])"
            " RETURNS SETOF bigint LANGUAGE plpgsql AS $body$"
            " BEGIN"
            "  PERFORM set_config('lock_timeout', {timeout}, true);"
            "  LOCK TABLE {schema}.{table} IN EXCLUSIVE MODE;"
            "  PERFORM pg_notify({channel}, {schema_name});"
            "  RETURN QUERY"
            "   INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state)"
            "   SELECT e.i, e.v, e.t, e.s FROM unnest(ids, versions, topics, states)"
            "    WITH ORDINALITY AS e(i, v, t, s, n) ORDER BY e.n"
            "   RETURNING notification_id;"
            " END $body$"
        ).format(
            schema=schema,
            function=Identifier(FUNCTION),
            id_type=id_type,
            timeout=Literal(f"{datastore.lock_timeout}s"),
            table=table,
            channel=Literal(CHANNEL),
            schema_name=Literal(datastore.schema),
        )
        # Binary parameters (%b): psycopg writes a text array element by element in
        # Python (escaping each state as hex), about 2 ms for an import of 100 events;
        # the binary form costs a seventh of that.
        self._call = SQL(
            "SELECT n FROM {schema}.{function}("
            "%b::{id_type}[], %b::bigint[], %b::text[], %b::bytea[]) AS f(n)"
        ).format(schema=schema, function=Identifier(FUNCTION), id_type=id_type)
        # New functions are executable by PUBLIC; a read-only role must not even try.
        self._revoke = SQL(
            "REVOKE ALL ON FUNCTION {schema}.{function}("
            "{id_type}[], bigint[], text[], bytea[]) FROM PUBLIC"
        ).format(schema=schema, function=Identifier(FUNCTION), id_type=id_type)
        self._lock_key = f"entente set-up of {datastore.schema}"
        self._lock = SQL("SELECT pg_advisory_lock(hashtext(%s))")
        self._unlock = SQL("SELECT pg_advisory_unlock(hashtext(%s))")

    def create_table(self) -> None:
        """The library's tables, then the function, one process at a time.

        The services of one tenant (API, relay, projector) may start together;
        concurrent ``CREATE TABLE IF NOT EXISTS`` of the same table can fail on
        its row type, and concurrent ``CREATE OR REPLACE FUNCTION`` with "tuple
        concurrently updated", so set-ups of one schema take turns on a
        session advisory lock.
        """
        with self.datastore.get_connection() as connection:
            connection.execute(self._lock, (self._lock_key,))
            try:
                super().create_table()
                with self.datastore.transaction(commit=True) as cursor:
                    cursor.execute(self._create_function)
                    cursor.execute(self._revoke)  # only the schema's owner inserts
            finally:
                connection.execute(self._unlock, (self._lock_key,))

    @retry((InterfaceError, OperationalError), max_attempts=ATTEMPTS, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Inserts ``stored_events`` atomically; their notification ids, in the order given."""
        if not stored_events:
            return []
        parameters = (
            [e.originator_id for e in stored_events],
            [e.originator_version for e in stored_events],
            [e.topic for e in stored_events],
            [e.state for e in stored_events],
        )
        with self.datastore.get_connection() as connection, connection.cursor() as cursor:
            cursor.execute(self._call, parameters, prepare=True)
            return [row["n"] for row in cursor.fetchall()]


def events_table(recorder: PostgresApplicationRecorder) -> Composed:
    """``schema.table`` of a PostgreSQL recorder's events, quoted, for queries of our own."""
    return SQL("{}.{}").format(
        Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name)
    )
