"""The log position of one stored event, looked up by (record id, version).

A retried command must answer the *same* position as its first attempt, so the
client waits for its own event and not for the receipt written beside it
(receipts never reach the views). The library exposes no such lookup, so this
module asks each recorder's own table, through the recorder's own connection;
the ledger suite checks it on both stores.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from psycopg import sql

from shared.application.recorder import events_table


def position_of(recorder: ApplicationRecorder, record_id: UUID, version: int) -> int | None:
    """The notification id of the event, or None if there is no such event."""
    if isinstance(recorder, SQLiteApplicationRecorder):
        statement = (
            f"SELECT rowid FROM {recorder.events_table_name} "
            "WHERE originator_id=? AND originator_version=?"
        )
        with recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(statement, (record_id.hex, version))
            row = cursor.fetchone()
        return int(row[0]) if row else None
    if isinstance(recorder, PostgresApplicationRecorder):
        query = sql.SQL(
            "SELECT notification_id FROM {events} WHERE originator_id=%s AND originator_version=%s"
        ).format(events=events_table(recorder))
        with recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(query, (record_id, version))
            found = cursor.fetchone()
        return int(found["notification_id"]) if found else None
    raise TypeError(f"no position lookup for {type(recorder).__name__}")
