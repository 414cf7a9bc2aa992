"""What a tenant service checks before it serves: views it can open, stores not behind them.

Both were found by running the platform as an operator does (probe 4):

- a views file damaged while the server was stopped (its header overwritten,
  truncated) stopped the whole platform at start-up with SQLAlchemy's traceback,
  naming neither the file nor what to do;
- an event store put back from an older copy, or deleted, was served as it was:
  the views (derived from the store) already reflected later positions, so the
  next commands were acknowledged at positions the views had passed, and never
  shown. Only ``entente check`` noticed.

Each is refused with one line naming the tenant, the file or positions, and the
fix: views are derived, so deleting them rebuilds them from the store at start.
Only where the views' positions are the store's own (the embedded projector); a
projector reading Kafka tracks offsets of the topic, which ``entente check`` and
the audit compare.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy.exc import DatabaseError

from shared.application.ledger import CooperationLedger
from shared.application.stores import EventStoreConfig, SqliteStore, schema_for
from shared.errors import ConfigurationError
from shared.log.ports import topic_for
from shared.views.sqlite import SqliteViewStore
from shared.views.store import ViewStore
from shared.views.tracking import tracked_offsets


class StoreBehindViewsError(ConfigurationError):
    """An event store ends before the position its views reflect (see the module)."""


def views_open(views: ViewStore) -> None:
    """Creates the view tables, or names the damaged views file and the fix."""
    try:
        views.setup()
    except DatabaseError as error:
        damaged = _damaged_files(views)
        named = ", ".join(str(path) for path in damaged) or "the views database"
        raise ConfigurationError(
            f"the views cannot be opened ({_reason(error)}): {named}. Views are derived "
            "from the event store: stop, delete the damaged file, and start; they are "
            "rebuilt from the store"
        ) from None


def stores_reach_views(views: ViewStore, ledgers: Mapping[str, CooperationLedger]) -> None:
    """Refuses to serve a tenant whose store ends before the position its views reflect."""
    for tenant, ledger in ledgers.items():
        with views.read(tenant) as session:
            reached = tracked_offsets(session).get((topic_for(tenant), 0), 0)
        stored = ledger.position()
        if reached <= stored:
            continue
        where = views.path(tenant) if isinstance(views, SqliteViewStore) else None
        remove = f"delete {where} and" if where is not None else "drop its views and"
        raise StoreBehindViewsError(
            f"the event store of {tenant!r} ends at position {stored}, but its views reflect "
            f"position {reached}: the store was put back from an older copy, or deleted, and "
            "a new command would be acknowledged and never shown. Nothing was served. If "
            f"the store is the right one (`entente audit verify {tenant}`), rebuild what is "
            f"derived from it: stop, {remove} the reporting area (reporting.sqlite3), and "
            "start"
        )


class StoreGoneError(ConfigurationError):
    """A tenant's event store is not there, but its views show it held events."""


def no_store_made_over_views(views: ViewStore, absent: Mapping[str, EventStoreConfig]) -> None:
    """Refuses to make an empty store for a tenant whose views reflect events (probe 11).

    Called before the ledgers open the stores (which makes any that is missing): a
    deleted or emptied store was replaced by an empty one, which the audit then
    verified as "0 events, OK". Only where the views' positions are the stores' own.
    """
    views_open(views)
    for tenant, store in absent.items():
        with views.read(tenant) as session:
            reached = tracked_offsets(session).get((topic_for(tenant), 0), 0)
        if reached == 0:
            continue  # a new tenant, or one that never recorded anything
        where = (
            f"no file {store.path(tenant)}, or no events table in it"
            if isinstance(store, SqliteStore)
            else f"no events table in schema {store.schema_prefix}{schema_for(tenant)}"
        )
        raise StoreGoneError(
            f"the event store of {tenant!r} is not there ({where}), but its views reflect "
            f"position {reached}: it was deleted or emptied. Nothing was made or served. "
            "Put the store back from its backup and check it with `entente audit verify "
            f"{tenant}`; an empty store in its place would lose the whole history"
        )


def _damaged_files(views: ViewStore) -> list[Path]:
    """The views files SQLite cannot read (SQLite views only)."""
    if not isinstance(views, SqliteViewStore):
        return []
    damaged = []
    for tenant in views.tenants:
        path = views.path(tenant)
        if not path.exists():
            continue
        try:
            with contextlib.closing(
                sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
            ) as db:
                found = db.execute("PRAGMA quick_check").fetchall()
        except sqlite3.DatabaseError:
            damaged.append(path)
        else:
            if found != [("ok",)]:
                damaged.append(path)
    return damaged


def _reason(error: DatabaseError) -> str:
    return str(error.orig).splitlines()[0] if error.orig is not None else "unreadable"
