"""One direct connection to see whether a PostgreSQL database answers, and why not.

Used where a pool would hide the reason: before a server starts (``entente serve``,
``project``) and when the audit service first opens a tenant's store.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import psycopg


def answers(url: str, timeout: int | None = None) -> None:
    """Returns if the database at ``url`` accepts one connection (closed at once), else
    raises psycopg's error, whose message is the server's reason.

    Why: a pool (eventsourcing's, SQLAlchemy's) retries for its own time and then says
    only that it timed out; one direct attempt answers at once with "database does
    not exist" or "password authentication failed". ``timeout`` (seconds) bounds the
    attempt below ``PGCONNECT_TIMEOUT`` where a probe's patience is shorter; a URL
    written for SQLAlchemy (``postgresql+psycopg://``) is read as libpq's.
    """
    plain = urlsplit(url)._replace(scheme="postgresql").geturl()
    if timeout is None:
        psycopg.connect(plain).close()
    else:
        psycopg.connect(plain, connect_timeout=timeout).close()
