"""The view rows one write transaction changes, kept in memory and written at its end.

Why: applying events row by row cost about six round trips per event (read the
version, insert the row, replace its codes, read it again for the term…), and
capped the projector at a few hundred events a second. Now a batch's events
change the rows held here, and ``flush`` writes each table's changes with a few
multi-row statements, in the same transaction as the tracking and the dead
letters, so the commit still moves rows and offsets together.

Three kinds of table, three ways of writing:

- record tables (one row per aggregate, keyed by ``id``): rows are read once
  (``load`` fetches a whole batch's ids in one query), changed in memory, then
  inserted or updated as whole rows;
- child tables owned by a record (codes, coverage periods): an owner's rows are
  replaced as a whole (delete the owner's rows, insert the new ones);
- append-only tables (the agreement terms): rows are inserted.

Values must be plain Python, never SQL expressions: later events of the same
batch read them back. Nothing here decides *whether* to write: a write that
the row-by-row code would have refused (a second insert of one id) is still
sent, so the database refuses it the same way, at the flush.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from types import MappingProxyType
from typing import Any, NoReturn

from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    Connection,
    RowMapping,
    Select,
    String,
    Table,
    any_,
    bindparam,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import ArgumentError, CompileError, DBAPIError, NoResultFound
from sqlalchemy.sql.expression import ClauseElement

from shared.views.tables import Money, UtcDateTime

Row = dict[str, Any]

#: Ids per ``IN (…)`` list: well under SQLite's oldest limit of 999 parameters.
CHUNK = 500


class WorkingSet:
    """The rows of one view area that the current transaction has read or changed."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._records: dict[Table, dict[str, Row | None]] = {}
        self._inserted: dict[Table, dict[str, Row]] = {}
        self._updated: dict[Table, dict[str, Row]] = {}
        self._refused: list[tuple[Table, Row]] = []  # inserts of ids already held
        self._children: dict[Table, dict[str, list[Row]]] = {}
        self._created: dict[Table, set[str]] = {}  # owners with no stored rows (add_children)
        self._appended: dict[Table, list[Row]] = {}

    # --- record tables -------------------------------------------------------------

    def load(self, table: Table, ids: Iterable[str]) -> None:
        """Reads the rows of ``ids`` not held yet, in as few queries as possible."""
        known = self._records.setdefault(table, {})
        missing = list(dict.fromkeys(i for i in ids if i not in known))
        if not missing:
            return
        for row in rows_among(self._connection, select(table), table.c.id, missing):
            known[row["id"]] = dict(row)
        for id_ in missing:
            known.setdefault(id_, None)

    def record(self, table: Table, id_: str) -> Mapping[str, Any] | None:
        """The row of ``id_`` as the transaction has made it so far (None: no such row)."""
        row = self._row(table, id_)
        return None if row is None else MappingProxyType(row)

    def current(self, table: Table, id_: str) -> Mapping[str, Any]:
        """The row of ``id_``; NoResultFound when there is none (as a query's ``one()``)."""
        row = self.record(table, id_)
        if row is None:
            raise NoResultFound(f"no {table.name} row {id_!r}")
        return row

    def insert(self, table: Table, values: Mapping[str, Any]) -> None:
        """Adds a record row; the columns not given are NULL, as in an INSERT."""
        row = _full(table, values)
        id_ = str(row["id"])
        if self._row(table, id_) is not None:
            self._refused.append((table, row))  # the flush's INSERT fails on the key
            return
        self._records[table][id_] = row
        self._inserted.setdefault(table, {})[id_] = row

    def update(self, table: Table, id_: str, values: Mapping[str, Any]) -> None:
        """Sets columns of a record row; like an UPDATE, does nothing when there is no row."""
        _check(table, values)
        row = self._row(table, id_)
        if row is None:
            return
        row.update(values)
        if id_ not in self._inserted.get(table, {}):
            self._updated.setdefault(table, {})[id_] = row

    def _row(self, table: Table, id_: str) -> Row | None:
        known = self._records.setdefault(table, {})
        if id_ not in known:
            self.load(table, [id_])
        return known[id_]

    # --- child and append-only tables ----------------------------------------------

    def children(self, table: Table, owner: str) -> list[Row]:
        """The owner's rows of a child table, to change in place; written back as a whole."""
        owned = self._children.setdefault(table, {})
        if owner not in owned:
            column = _owner(table)
            found = self._connection.execute(select(table).where(column == owner))
            rows = [dict(row) for row in found.mappings()]
            # Rows this transaction appended for the owner are its rows too (an agreement's
            # status history, signed and corrected in one batch): held with the others.
            appended = self._appended.get(table, [])
            if any(row[column.name] == owner for row in appended):
                rows += [row for row in appended if row[column.name] == owner]
                self._appended[table] = [row for row in appended if row[column.name] != owner]
            owned[owner] = rows
        return owned[owner]

    def replace_children(self, table: Table, owner: str, rows: Iterable[Mapping[str, Any]]) -> None:
        """Makes the owner's rows of a child table exactly ``rows`` (no need to read them)."""
        self._children.setdefault(table, {})[owner] = [_full(table, row) for row in rows]

    def add_children(self, table: Table, owner: str, rows: Iterable[Mapping[str, Any]]) -> None:
        """``replace_children`` for an owner created in this transaction (its first event).

        Its record had no row, and an owner's child rows are only ever written
        by its own events, which are applied in order from the first: it has no
        stored rows to delete. (Deleting nothing still cost a statement per
        owner, a twelfth of a rebuild's time.)
        """
        self._created.setdefault(table, set()).add(owner)
        self.replace_children(table, owner, rows)

    def append(self, table: Table, values: Mapping[str, Any]) -> None:
        """A row for an insert-only table (with its owner's rows, when they are held)."""
        row = _full(table, values)
        owned = self._children.get(table)
        if owned and (held := owned.get(row[_owner(table).name])) is not None:
            held.append(row)
        else:
            self._appended.setdefault(table, []).append(row)

    # --- writing -------------------------------------------------------------------

    def flush(self) -> None:
        """Writes every change to the connection's transaction and forgets the rows."""
        connection = self._connection
        if connection.dialect.name == "postgresql":
            writer: _Writer = _PostgresWriter(connection)
        else:
            writer = _Writer(connection)
        for table, inserted in self._inserted.items():
            writer.insert(table, list(inserted.values()))
        for table, updated in self._updated.items():
            writer.update(table, list(updated.values()))
        for table, row in self._refused:
            connection.execute(insert(table), [row])
        for table, owned in self._children.items():
            created = self._created.get(table, set())
            writer.delete_owned(table, [owner for owner in owned if owner not in created])
            writer.insert(table, [row for rows in owned.values() for row in rows])
        for table, appended in self._appended.items():
            writer.insert(table, appended)
        self.clear()

    def clear(self) -> None:
        """Forgets every row held (after a flush, the database has them)."""
        for held in (self._records, self._inserted, self._updated, self._children, self._created):
            held.clear()
        self._refused.clear()
        self._appended.clear()


def rows_among(
    connection: Connection, statement: Select[Any], column: ColumnElement[Any], ids: list[str]
) -> Iterator[RowMapping]:
    """The rows of ``statement`` whose ``column`` is one of ``ids``: ``CHUNK`` ids a query,
    each planned with its ids (``planned_with_values``); on PostgreSQL the ids go as one
    array parameter (psycopg parsed 500 placeholders anew each time).

    Batches' look-ups by id (the views' ``load``, reporting's versions) go through here.
    Consume it whole: psycopg's preparing is back on when it ends.
    """
    postgres = connection.dialect.name == "postgresql"
    with planned_with_values(connection):
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            if postgres:
                among = column == any_(bindparam("ids", chunk, type_=ARRAY(String)))
            else:
                among = column.in_(chunk)
            yield from connection.execute(statement.where(among)).mappings()


@contextmanager
def planned_with_values(connection: Connection) -> Iterator[None]:
    """Statements run meanwhile are planned each time, with their values (PostgreSQL).

    psycopg prepares a statement it has run five times; PostgreSQL may then
    keep one generic plan for it, made for the table as it was. A batch's
    look-up of up to ``CHUNK`` ids has the same text batch after batch, so
    during a rebuild it was planned once for a small table and then read every
    row of a large one: 0.6 s per look-up at 45,000 agreements, and rising.
    Planned with the ids at hand, it stays an index look-up (planning costs
    well under a millisecond). Not thread-safe, like the connection itself.
    The reporting projector's look-up of its batch's versions uses it too.
    """
    driver: Any = connection.connection.driver_connection
    if connection.dialect.name != "postgresql" or not hasattr(driver, "prepare_threshold"):
        yield
        return
    threshold = driver.prepare_threshold
    driver.prepare_threshold = None  # psycopg: never prepare
    try:
        yield
    finally:
        driver.prepare_threshold = threshold


def _check(table: Table, values: Mapping[str, Any]) -> None:
    """Refuses what SQLAlchemy would refuse, before it is kept for the flush.

    Every row a handler writes passes here (about three per event), so the
    column names are a set made once per table, and values of the plain types
    handlers use skip the ``isinstance`` test (a third of the cost before).
    """
    names = _names(table)
    unknown = [name for name in values if name not in names]
    if unknown:
        raise CompileError(f"Unconsumed column names: {', '.join(unknown)}")
    for name, value in values.items():
        if type(value) not in _PLAIN and isinstance(value, ClauseElement):
            raise ArgumentError(f"{table.name}.{name}: held rows take values, not SQL")


def _full(table: Table, values: Mapping[str, Any]) -> Row:
    """A whole row: the columns not given are NULL, as in an INSERT (and every row of
    one executemany must name the same columns)."""
    _check(table, values)
    row: Row = dict(_blank(table))
    row.update(values)
    return row


#: Types no SQL expression has: their values need no ``isinstance(…, ClauseElement)``.
_PLAIN = frozenset({str, int, bool, float, Decimal, date, datetime, list, dict, type(None)})


@cache
def _names(table: Table) -> frozenset[str]:
    return frozenset(table.c.keys())


@cache
def _blank(table: Table) -> Row:
    """Every column of ``table``, NULL, in column order (copied for each new row)."""
    return dict.fromkeys(table.c.keys())


def _owner(table: Table) -> Column[Any]:
    """The first primary-key column of a child table: its owner's id."""
    return next(iter(table.primary_key.columns))


class _Writer:
    """Writes held rows through SQLAlchemy Core (SQLite, and any other database)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def insert(self, table: Table, rows: list[Row]) -> None:
        if rows:
            self._connection.execute(insert(table), rows)

    def update(self, table: Table, rows: list[Row]) -> None:
        """Whole-row updates, one executemany per table."""
        if not rows:
            return
        params = [{"_id": row["id"], **{k: v for k, v in row.items() if k != "id"}} for row in rows]
        self._connection.execute(update(table).where(table.c.id == bindparam("_id")), params)

    def delete_owned(self, table: Table, owners: list[str]) -> None:
        column = _owner(table)
        for start in range(0, len(owners), CHUNK):
            chunk = owners[start : start + CHUNK]
            self._connection.execute(delete(table).where(column.in_(chunk)))


class _PostgresWriter(_Writer):
    """The same writes in PostgreSQL, on the connection's psycopg connection.

    Why: through SQLAlchemy, compiling the statements and running each value
    through its bind processor cost more than the database's work. Inserts are
    one ``COPY`` per table (the rows are new: ``load`` found no such id, and a
    second insert of one id goes through ``_Writer`` above), updates one
    pipelined executemany of a statement built once per table, deletes one
    pipelined ``owner = %s`` per owner. Values are converted as the column
    types' bind processors would (``_converters``), so the stored rows are the
    same; errors are wrapped by SQLAlchemy as its own statements' are
    (IntegrityError…).

    Deletes are one statement per owner, not one ``owner = ANY(array)``: psycopg
    prepares a statement it runs repeatedly, and PostgreSQL then keeps the plan
    it made for the table as it was, often empty (a new view area, a rebuild).
    For ``= ANY($1)`` that plan is a sequential scan testing every row against
    every owner: a rebuild's batch of 1,000 owners took 1.2 s once the table
    held 80,000 rows, and more with every batch. An equality on the owner (the
    key's first column) stays an index look-up whatever the table had when
    planned: about 12 ms per 1,000 owners at any size.
    """

    def insert(self, table: Table, rows: list[Row]) -> None:
        if not rows:
            return
        names, statement, convert = _copy_plan(table)
        keys = list(rows[0])
        if keys != names:  # rows are built by _full, in column order; anything else: Core
            super().insert(table, rows)
            return
        pairs = list(enumerate(convert))
        cursor = self._cursor()
        try:
            with cursor.copy(statement) as copy:
                for row in rows:
                    values = list(row.values())
                    for index, fn in pairs:
                        values[index] = fn(values[index])
                    copy.write_row(values)
        except Exception as error:
            self._failed(error, statement, cursor)
        finally:
            cursor.close()

    def update(self, table: Table, rows: list[Row]) -> None:
        if not rows:
            return
        names, statement, convert = _update_plan(table)
        params = []
        for row in rows:
            if list(row) != names:
                super().update(table, rows)
                return
            values = [fn(value) for fn, value in zip(convert, row.values(), strict=True)]
            values.append(values[0])  # WHERE id = …
            params.append(values[1:])
        self._run(statement, params)

    def delete_owned(self, table: Table, owners: list[str]) -> None:
        if owners:
            self._run(_delete_plan(table), [[owner] for owner in owners])

    def _cursor(self) -> Any:
        return self._connection.connection.driver_connection.cursor()  # type: ignore[union-attr]

    def _run(self, statement: str, params: list[list[Any]]) -> None:
        """One statement per parameter list (pipelined by psycopg: one round trip)."""
        cursor = self._cursor()
        try:
            cursor.executemany(statement, params)
        except Exception as error:
            self._failed(error, statement, cursor)
        finally:
            cursor.close()

    def _failed(self, error: Exception, statement: str, cursor: Any) -> NoReturn:
        """Raises ``error`` as SQLAlchemy's own statements' errors are raised: wrapped in
        its DBAPIError subclass (IntegrityError...), the connection invalidated if it
        was lost (so the pool replaces it), through SQLAlchemy's public API."""
        dialect = self._connection.dialect
        base: type[Exception] = dialect.loaded_dbapi.Error
        if not isinstance(error, base):
            raise error
        dbapi_error: Any = error  # a DBAPI Error: checked just above
        lost = dialect.is_disconnect(
            dbapi_error, self._connection.connection.dbapi_connection, cursor
        )
        if lost:
            self._connection.invalidate(error)
        raise DBAPIError.instance(
            statement, None, error, base, connection_invalidated=lost, dialect=dialect
        ) from error


Convert = Callable[[Any], Any]


def _same(value: Any) -> Any:
    return value


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def _money(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _json(value: Any) -> str:
    return json.dumps(value)  # psycopg's Json dumper; None is JSON null, as in Core


def _converter(column: Column[Any]) -> Convert:
    """What the column type's bind processor does to a value in PostgreSQL."""
    kind = column.type
    if isinstance(kind, UtcDateTime):
        return _utc
    if isinstance(kind, Money):
        return _money
    if isinstance(kind, JSON):
        return _json
    return _same


_PREPARER = postgresql.dialect().identifier_preparer  # type: ignore[no-untyped-call]


def _quoted(table: Table) -> tuple[str, list[str]]:
    return _PREPARER.format_table(table), [_PREPARER.quote(c.name) for c in table.columns]


@cache
def _copy_plan(table: Table) -> tuple[list[str], str, list[Convert]]:
    name, columns = _quoted(table)
    statement = f"COPY {name} ({', '.join(columns)}) FROM STDIN"
    return list(table.c.keys()), statement, [_converter(c) for c in table.columns]


@cache
def _update_plan(table: Table) -> tuple[list[str], str, list[Convert]]:
    name, columns = _quoted(table)
    keys = list(table.c.keys())
    key = columns[keys.index("id")]
    sets = ", ".join(f"{c} = %s" for c, k in zip(columns, keys, strict=True) if k != "id")
    if keys[0] != "id":
        raise CompileError(f"{table.name}: the id must be the first column")
    return (
        keys,
        f"UPDATE {name} SET {sets} WHERE {key} = %s",
        [_converter(c) for c in table.columns],
    )


@cache
def _delete_plan(table: Table) -> str:
    name, _columns = _quoted(table)
    owner = _PREPARER.quote(_owner(table).name)
    return f"DELETE FROM {name} WHERE {owner} = %s"
