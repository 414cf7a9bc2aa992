"""Writing small histories through the real ledger, and tampering with the stores behind it.

The tamperers play a database administrator with write access: they change
the event tables with plain SQL, as an attacker would, never through the
library (which would refuse).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql

from shared.application.ledger import CooperationLedger, Idempotency
from shared.application.sqlite_recorder import GUARD
from shared.application.stores import SqliteStore
from shared.domain.agreement import Agreement
from shared.domain.context import Actor, CommandContext
from shared.log.embedded import EmbeddedEventLog
from shared.views.projector import Projector
from shared.views.store import open_view_store
from tests.agreements import signed_agreement

TODAY = date(2014, 6, 1)
RECORDER = Actor("u-recorder", "Claire Martin")
CORRECTOR = Actor("u-corrector", "Jean Dupont")


def sign(
    ledger: CooperationLedger,
    reference: str,
    signed_on: date = date(2011, 12, 9),
    key: Idempotency | None = None,
) -> UUID:
    """One new agreement (one event, version 1; and a receipt row when ``key`` is given)."""
    return ledger.create(
        lambda id: signed(ledger.tenant, id, reference, signed_on),
        key,
    ).record_id


def signed(tenant: str, id: UUID, reference: str, signed_on: date = date(2011, 12, 9)) -> Agreement:
    """A new agreement not yet saved (``sign`` saves it with its claims)."""
    return signed_agreement(CommandContext(tenant, RECORDER), id, reference, signed_on=signed_on)


def amend(ledger: CooperationLedger, record: UUID, on: date, summary: str) -> int:
    """One amendment; returns the new version."""
    ctx = CommandContext(ledger.tenant, RECORDER)
    version = ledger.record(Agreement, record).version
    return ledger.change(
        Agreement, record, version, lambda a: a.amend(ctx, on, summary), None
    ).version


def correct(ledger: CooperationLedger, record: UUID, on: date, **changes: Any) -> int:
    """One correction with a reason; returns the new version."""
    ctx = CommandContext(ledger.tenant, CORRECTOR)
    version = ledger.record(Agreement, record).version
    return ledger.change(
        Agreement,
        record,
        version,
        lambda a: a.correct(ctx, changes, "typing error in the register", on),
        None,
    ).version


def write_history(
    ledger: CooperationLedger, records: int = 3, rounds: int = 2, prefix: str = "A"
) -> list[UUID]:
    """``records`` agreements (references ``A-0``, ``A-1``…), then ``rounds`` amendments
    of each: interleaved histories. Call it again on one store with another ``prefix``.

    The first signature carries an Idempotency-Key, so its receipt follows its
    event and reference claim (and, in a new store, the claims marker): the
    chain's positions have holes there, as in real histories.
    """
    key = Idempotency(f"key-{ledger.tenant}-{prefix}-0", "fingerprint")
    first = sign(ledger, f"{prefix}-0", key=key)
    ids = [first] + [sign(ledger, f"{prefix}-{i}") for i in range(1, records)]
    for round_ in range(rounds):
        for i, record in enumerate(ids):
            amend(ledger, record, date(2012, 1 + round_, 1 + i % 28), f"Avenant {round_ + 1}")
    return ids


class StopAfter:
    """Asks a walk to stop once ``pages`` pages are done (Ctrl-C, deterministically)."""

    def __init__(self, pages: int) -> None:
        self.left = pages

    def requested(self) -> bool:
        self.left -= 1
        return self.left <= 0


class StoreTamper:
    """Plain-SQL changes to a ledger's event table (SQLite file or PostgreSQL schema)."""

    def __init__(self, ledger: CooperationLedger, postgres_url: str | None = None) -> None:
        self.env = dict(ledger.env)
        self.table: str = getattr(ledger.recorder, "events_table_name")  # noqa: B009
        self.postgres_url = postgres_url
        self.id = "rowid" if postgres_url is None else "notification_id"

    def update_state(self, position: int, change: Callable[[dict[str, Any]], None]) -> None:
        """Rewrites the stored JSON state of the event at ``position``."""
        with self._cursor() as (cursor, p):
            cursor.execute(self._q(f"SELECT state FROM {{t}} WHERE {self.id} = {p}"), (position,))
            state = json.loads(bytes(cursor.fetchone()[0]))
            change(state)
        self.replace_state(position, json.dumps(state).encode())

    def replace_state(self, position: int, raw: bytes) -> None:
        """Overwrites the stored bytes of the event at ``position``."""
        with self._cursor() as (cursor, p):
            cursor.execute(
                self._q(f"UPDATE {{t}} SET state = {p} WHERE {self.id} = {p}"), (raw, position)
            )

    def retype(self, position: int, topic: str) -> None:
        """Changes the stored topic (the event class) of the event at ``position``."""
        with self._cursor() as (cursor, p):
            cursor.execute(
                self._q(f"UPDATE {{t}} SET topic = {p} WHERE {self.id} = {p}"), (topic, position)
            )

    def topics(self, topic: str) -> set[int]:
        """The positions of the rows stored under ``topic``."""
        with self._cursor() as (cursor, p):
            cursor.execute(self._q(f"SELECT {self.id} FROM {{t}} WHERE topic = {p}"), (topic,))
            return {int(row[0]) for row in cursor.fetchall()}

    def delete(self, position: int) -> None:
        with self._cursor() as (cursor, p):
            cursor.execute(self._q(f"DELETE FROM {{t}} WHERE {self.id} = {p}"), (position,))

    def insert_copy(self, source: int, position: int, originator: UUID, version: int) -> None:
        """A forged row at ``position``: the event at ``source`` replayed as another record's."""
        with self._cursor() as (cursor, p):
            if self.postgres_url is None:  # as the tamperer can: positions only grow
                cursor.execute(f"DROP TRIGGER IF EXISTS {GUARD}")
            cursor.execute(
                self._q(f"SELECT topic, state FROM {{t}} WHERE {self.id} = {p}"), (source,)
            )
            topic, state = cursor.fetchone()
            ident: Any = originator.hex if self.postgres_url is None else originator
            cursor.execute(
                self._q(
                    f"INSERT INTO {{t}} (originator_id, originator_version, topic, state, "
                    f"{self.id}) VALUES ({p}, {p}, {p}, {p}, {p})"
                ),
                (ident, version, topic, bytes(state), position),
            )

    def swap(self, first: int, second: int) -> None:
        """Exchanges the notification ids of two rows (their order in the log)."""
        with self._cursor() as (cursor, p):
            for old, new in ((first, -1), (second, first), (-1, second)):
                cursor.execute(
                    self._q(f"UPDATE {{t}} SET {self.id} = {p} WHERE {self.id} = {p}"), (new, old)
                )

    def _q(self, template: str) -> Any:
        if self.postgres_url is None:
            return template.format(t=self.table)
        schema = self.env["POSTGRES_SCHEMA"]
        return sql.SQL(template).format(t=sql.Identifier(schema, self.table))

    @contextmanager
    def _cursor(self) -> Iterator[tuple[Any, str]]:
        if self.postgres_url is None:
            connection = sqlite3.connect(self.env["SQLITE_DBNAME"], timeout=10)
            try:
                with connection:
                    yield connection.cursor(), "?"
            finally:
                connection.close()
            return
        with psycopg.connect(self.postgres_url) as pg, pg.cursor() as cursor:
            yield cursor, "%s"


def projected_history(data: Path) -> None:
    """A police store under ``data`` with ``write_history``'s events, projected into its
    live views: the data folder a stopped ``make run`` leaves."""
    ledger = CooperationLedger("police", SqliteStore(data / "events"))
    write_history(ledger)
    views = open_view_store(None, data, ["police"])
    views.setup()
    Projector(views, EmbeddedEventLog({"police": ledger}), ["police"]).catch_up()
    views.dispose()
    ledger.close()
