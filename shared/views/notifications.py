"""Views-changed notifications across processes: PostgreSQL ``NOTIFY`` on each commit.

A projector in another process (the deployed topology) moves a tenant's
tracking row; a tenant service whose readers wait for a position
(read-your-writes) would otherwise have to poll that row, and with many
waiters the polling queries become most of the service's work. So each
transaction that advances a tracking row also sends ``NOTIFY entente_views``
(PostgreSQL delivers it at commit, never for a rollback), and the tenant
service keeps one listening connection that raises its ``PassSignal``; waiters
then read the tracking row once per commit.

A notification can be lost (the listener reconnecting): waits therefore still
look at least every ``FALLBACK_S`` seconds (``shared.views.waiting``), so a
lost notification delays a reader, never strands it.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, text

from shared.notify import NotificationListener
from shared.views.passes import PassSignal

CHANNEL = "entente_views"
_NOTIFY = text(f"SELECT pg_notify('{CHANNEL}', :schema)")


def announce(connection: Connection, schema: str | None) -> None:
    """Tells listeners, at this transaction's commit, that ``schema``'s views moved."""
    if connection.dialect.name == "postgresql":
        connection.execute(_NOTIFY, {"schema": schema or ""})


class ViewChangeListener(NotificationListener):
    """One connection that ``LISTEN``s and raises ``signal`` when one of ``schemas`` moved.

    The channel is shared by every projector of the database; the payload (the
    views schema) keeps other tenants' and other deployments' commits from
    waking this service's readers.
    """

    def __init__(self, url: str, schemas: Iterable[str], signal: PassSignal | None = None) -> None:
        self.signal = signal or PassSignal()
        super().__init__(url, CHANNEL, schemas, self.signal.committed, "entente-views-listen")
