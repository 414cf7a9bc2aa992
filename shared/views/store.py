"""The view store port: where a tenant's read views live, and its transactions.

Two areas per tenant: ``live`` (what queries read) and ``rebuild`` (a fresh
table set a rebuild fills from offset 0 before it is swapped in). Writers get
an *exclusive* transaction per area, so two projectors (or a projector and a
rebuild's swap) serialise instead of interleaving; readers get a snapshot, so
the rows and the position they reflect are read consistently.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from sqlalchemy import Connection

from shared.views.errors import UnknownViewTenantError
from shared.views.tables import ViewTables
from shared.views.working import WorkingSet

Area = Literal["live", "rebuild"]
LIVE: Area = "live"
REBUILD: Area = "rebuild"


@dataclass(frozen=True)
class ViewSession:
    """A connection inside one transaction, and the tables of the area it targets.

    ``rows`` holds the view rows the transaction changes until they are flushed
    (see ``working.py``); the store flushes them before it commits.
    """

    connection: Connection
    tables: ViewTables
    rows: WorkingSet = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rows", WorkingSet(self.connection))


class ViewStore(Protocol):
    """Where read views are stored: SQLite files or PostgreSQL schemas."""

    @property
    def tenants(self) -> Sequence[str]:
        """The tenants whose views this store holds."""
        ...

    def setup(self) -> None:
        """Creates every tenant's live tables if missing (idempotent, safe at each start)."""
        ...

    def write(self, tenant: str, area: Area = LIVE) -> AbstractContextManager[ViewSession]:
        """An exclusive write transaction on one area: committed on exit, rolled back on error."""
        ...

    def read(
        self, tenant: str, *, one_statement: bool = False
    ) -> AbstractContextManager[ViewSession]:
        """A read-only snapshot of the live views.

        ``one_statement``: the caller runs a single statement, which is its own
        snapshot, so no transaction is opened around it (on PostgreSQL that
        saves the BEGIN and COMMIT round trips of every page read).
        """
        ...

    def reset(self, tenant: str, area: Area) -> None:
        """Empties ``area`` into a fresh, empty table set (used before a rebuild)."""
        ...

    def discard(self, tenant: str, area: Area) -> None:
        """Removes ``area`` (a rebuild that failed): nothing of it is left behind."""
        ...

    def analyze(self, tenant: str, area: Area) -> None:
        """Gathers the planner's statistics of ``area``'s tables (a rebuild, before its swap)."""
        ...

    def promote(self, tenant: str, live: ViewSession) -> None:
        """Replaces the live views with the rebuild area, inside ``live``'s transaction."""
        ...

    def dispose(self) -> None:
        """Closes every pooled connection."""
        ...


def check_tenant(tenant: str, tenants: Sequence[str]) -> str:
    """The tenant, if the store serves it; else a 404-mapped error."""
    if tenant not in tenants:
        raise UnknownViewTenantError(f"no views for tenant {tenant!r} here")
    return tenant


def open_view_store(views_url: str | None, data_dir: Path, tenants: Sequence[str]) -> ViewStore:
    """The view store a deployment's settings name (the composition root calls this).

    A PostgreSQL URL gives one schema per tenant; no URL gives one SQLite file
    per tenant under ``data_dir / "views"``.
    """
    if views_url and views_url.split(":", 1)[0].startswith("postgres"):
        from shared.views.postgres import PostgresViewStore

        return PostgresViewStore(views_url, tenants)
    from shared.views.sqlite import SqliteViewStore

    return SqliteViewStore(data_dir / "views", tenants)
