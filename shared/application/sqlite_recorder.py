"""The SQLite recorder of a tenant's events: positions that never go back.

The library's SQLite table numbers events by SQLite's implicit ``rowid``, which
is the largest one plus one: once the newest rows are deleted, the next event
takes a position that was given before. The views (and the relay) have already
passed that position, so the new event was recorded and acknowledged but never
shown anywhere (audit probe: deleting the newest events by hand, then recording,
lost the new records from every view, and verify without a witness said OK).

``GrowingPositionsRecorder`` keeps the last position the store ever gave in a
one-row table (``entente_last_position``), written by a trigger in the insert's
own transaction (a rolled-back insert rolls it back too). An insert at or below
it aborts, and the command is refused as an altered history (500
``altered-history``), nothing recorded; ``entente audit verify`` reports the gap
between that position and the store's last row as deleted events. PostgreSQL
numbers events by a sequence, which never goes back: it needs none of this.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder

from shared.errors import AlteredHistoryError

#: The table holding the last position given, the trigger keeping it, and the message
#: of a refused insert.
LAST_POSITION_TABLE = "entente_last_position"
GUARD = "entente_positions_only_grow"
_REUSED = "entente: a position given before"


class GrowingPositionsRecorder(SQLiteApplicationRecorder):
    """``SQLiteApplicationRecorder`` whose positions only grow (see the module's docstring)."""

    def construct_create_table_statements(self) -> list[str]:
        events = self.events_table_name
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {LAST_POSITION_TABLE} "
            "(id INTEGER PRIMARY KEY CHECK (id = 1), position INTEGER NOT NULL)",
            # A store of an earlier release starts from its last row.
            f"INSERT OR IGNORE INTO {LAST_POSITION_TABLE} (id, position) "
            f"SELECT 1, coalesce(max(rowid), 0) FROM {events}",
            f"CREATE TRIGGER IF NOT EXISTS {GUARD} "
            f"AFTER INSERT ON {events} BEGIN "
            f"SELECT RAISE(ABORT, '{_REUSED}') WHERE NEW.rowid <= "
            f"(SELECT position FROM {LAST_POSITION_TABLE} WHERE id = 1); "
            f"UPDATE {LAST_POSITION_TABLE} SET position = NEW.rowid WHERE id = 1; "
            "END",
        ]

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        try:
            return super().insert_events(stored_events, **kwargs)
        except IntegrityError as error:
            if _REUSED not in str(error):
                raise  # a version taken first: the ledger's conflict
            raise AlteredHistoryError(
                "the event store was altered: its newest events were deleted, so this "
                "command would take a position already given (and never be shown); "
                "nothing was recorded; `entente audit verify` names the deleted positions"
            ) from None


class PositionsGiven(NamedTuple):
    """What a SQLite store says of its positions (``positions_given``)."""

    given: int  # the last position it gave
    last: int  # the position of its last row
    guarded: bool  # whether the trigger keeping ``given`` is still there


def positions_given(recorder: Any) -> PositionsGiven | None:
    """What the store says of its positions, or None where it keeps none (PostgreSQL, a
    store no writer of this release has opened, a table emptied or edited). ``given``
    beyond ``last``: the newest rows were deleted; not ``guarded``: the trigger was
    dropped, and rows may have been inserted at positions given before."""
    if not isinstance(recorder, SQLiteApplicationRecorder):
        return None
    with recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE name IN (?, ?)", (LAST_POSITION_TABLE, GUARD)
        )
        found = {row[0] for row in cursor.fetchall()}
        if LAST_POSITION_TABLE not in found:
            return None
        cursor.execute(f"SELECT position FROM {LAST_POSITION_TABLE} WHERE id = 1")
        given = cursor.fetchone()
        cursor.execute(f"SELECT coalesce(max(rowid), 0) FROM {recorder.events_table_name}")
        (last,) = cursor.fetchone()
    if given is None or type(given[0]) is not int:
        return None
    return PositionsGiven(int(given[0]), int(last), GUARD in found)
