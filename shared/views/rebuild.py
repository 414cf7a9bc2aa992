"""Rebuilding a tenant's views from offset 0, swapped in without downtime.

1. empty the rebuild area and replay the whole topic into it, while the live
   views keep serving and the live projector keeps running;
2. gather the rebuilt tables' statistics (ANALYZE), so that the first reads
   after the swap are planned with them;
3. open the live write transaction, which holds the live projector back,
   replay the few records that arrived meanwhile, and swap the rebuilt tables
   in (schema rename in PostgreSQL, copy in SQLite) before committing.

Readers see the old views until the commit and the new ones after it; the
rebuilt tracking rows come along, so the live projector resumes from them.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select, text

from shared.errors import ConflictError
from shared.log.ports import EventLog
from shared.private_dirs import make_private_dir
from shared.views.handlers import HANDLERS, Handler
from shared.views.postgres import PostgresViewStore
from shared.views.projector import Projector
from shared.views.sqlite import SqliteViewStore
from shared.views.store import LIVE, REBUILD, ViewSession, ViewStore
from shared.views.tracking import ViewPosition, tracked_offsets, view_position


class RebuildBehindError(ConflictError):
    """Raised when a rebuild would swap in views older than the live ones."""

    title = "Rebuild behind the live views"


class RebuildRunningError(ConflictError):
    """Raised when another rebuild of the same tenant's views is running."""

    title = "Rebuild already running"


def rebuild(
    store: ViewStore, log: EventLog, tenant: str, *, handlers: Mapping[str, Handler] = HANDLERS
) -> ViewPosition:
    """Replays ``tenant``'s log into fresh tables, swaps them in; returns their position."""
    with _only_rebuild(store, tenant):
        return _rebuild(store, log, tenant, handlers)


@contextmanager
def _only_rebuild(store: ViewStore, tenant: str) -> Iterator[None]:
    """Refuses a second rebuild of ``tenant``'s views while one runs (probe 11).

    Two rebuilds share the rebuild area: the second emptied it under the first, which
    then swapped in views at another position than the log's end ("rebuilt … 14357"
    while the log ended at 19003), and the second failed on a table the first had
    moved. A lock the system drops with its holder: ``flock`` on a file beside the
    SQLite views, a session advisory lock in PostgreSQL.
    """
    if isinstance(store, SqliteViewStore):
        path = store.path(tenant, REBUILD).with_suffix(".lock")
        make_private_dir(path.parent)
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise _running(tenant) from None
            yield
        finally:
            os.close(handle)
        return
    if isinstance(store, PostgresViewStore):
        key = f"entente-rebuild:{store.schema(tenant)}"
        with store.engine.connect() as connection:
            held = connection.execute(
                text("SELECT pg_try_advisory_lock(hashtext(:key))"), {"key": key}
            ).scalar()
            connection.commit()
            if not held:
                raise _running(tenant)
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(hashtext(:key))"), {"key": key})
                connection.commit()
        return
    yield


def _running(tenant: str) -> RebuildRunningError:
    return RebuildRunningError(
        f"another rebuild of {tenant!r}'s views is running: wait for it to end (its swap "
        "brings the views to the log's end); nothing was changed"
    )


def _rebuild(
    store: ViewStore, log: EventLog, tenant: str, handlers: Mapping[str, Handler]
) -> ViewPosition:
    store.reset(tenant, REBUILD)
    fresh = Projector(store, log, [tenant], handlers=handlers, area=REBUILD)
    try:
        fresh.catch_up()
        store.analyze(tenant, REBUILD)  # before the swap: rebuilt tables are read at once
        with store.write(tenant, LIVE) as live:
            fresh.catch_up()
            _refuse_going_back(store, tenant, live)
            store.promote(tenant, live)
    finally:  # a failed rebuild leaves no half-filled area; SQLite's copied one goes too
        store.discard(tenant, REBUILD)
    with store.read(tenant) as session:
        return view_position(session)


def _refuse_going_back(store: ViewStore, tenant: str, live: ViewSession) -> None:
    """The log only grows, so a whole replay reaches at least what the live views read.

    Short of it, the log read is not the one the views came from (a mistyped data
    folder, store or topic prefix gave an empty one): swapping it in emptied the
    live views and said "rebuilt".
    """
    with store.write(tenant, REBUILD) as rebuilt:
        reached = tracked_offsets(rebuilt)
    behind = {
        key: (offset, reached.get(key, -1))
        for key, offset in tracked_offsets(live).items()
        if reached.get(key, -1) < offset
    }
    if behind:
        where = "; ".join(
            f"{topic}[{partition}] ends at {got}, the live views read up to {offset}"
            for (topic, partition), (offset, got) in sorted(behind.items())
        )
        raise RebuildBehindError(
            f"the log of {tenant!r} holds less than the live views reflect ({where}): "
            "is it the right store, data folder or topic prefix? The live views are kept"
        )


def view_contents(session: ViewSession) -> dict[str, list[dict[str, Any]]]:
    """Every row of every view table, in primary-key order: two views compare equal
    exactly when they hold the same facts (used to check a replay against the live views).
    """
    contents: dict[str, list[dict[str, Any]]] = {}
    for table in session.tables.metadata.sorted_tables:
        order = list(table.primary_key.columns)
        rows = session.connection.execute(select(table).order_by(*order)).mappings()
        contents[table.name] = [dict(row) for row in rows]
    return contents
