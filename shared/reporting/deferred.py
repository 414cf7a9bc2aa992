"""Inserts a reporting batch holds back, then sends as one statement per table.

Why: the consolidated projector writes through SQLAlchemy, one round trip per
statement, and most of an agreement's or a mission's first event is inserts
(the record, its codes, its first term): about 1 ms per event, two thirds of it
waiting for PostgreSQL. A batch's inserts now wait here and go out together
(SQLAlchemy's multi-row insert), before any other statement of the
transaction runs, so every read, update and delete still sees them and the
order of writes to a table is kept. Nothing is decided here: a row the
database refuses is refused at that flush, inside the same transaction, which
then rolls back as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Table, event, insert

if TYPE_CHECKING:
    from shared.reporting.store import ReportingSession


class DeferredInserts:
    """Rows to insert, by table and column set, in the order their tables first came."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._rows: dict[tuple[Table, frozenset[str]], list[Mapping[str, Any]]] = {}
        self._flushing = False

    def add(self, table: Table, rows: Iterable[Mapping[str, Any]]) -> None:
        for row in rows:
            self._rows.setdefault((table, frozenset(row)), []).append(row)

    def flush(self) -> None:
        """Sends every held row (one multi-row insert per table and column set)."""
        if self._flushing or not self._rows:
            return
        pending, self._rows = self._rows, {}
        self._flushing = True  # its own statements must not flush again
        try:
            for (table, _columns), rows in pending.items():
                self._connection.execute(insert(table), list(rows))
        finally:
            self._flushing = False


@contextmanager
def deferring_inserts(session: ReportingSession) -> Iterator[ReportingSession]:
    """``session`` with its handlers' inserts held back until another statement or the end.

    Any statement run on the session's connection first sends the held rows
    (a ``before_execute`` listener); the rest are sent when the block ends
    without an error (with one, the transaction rolls back and they are dropped).
    """
    inserts = DeferredInserts(session.connection)

    def before_execute(*_: Any) -> None:
        inserts.flush()

    event.listen(session.connection, "before_execute", before_execute)
    try:
        yield replace(session, inserts=inserts)
        inserts.flush()
    finally:
        event.remove(session.connection, "before_execute", before_execute)
