"""Store faults that pass: a 503 with ``Retry-After``, not "an unexpected error".

A SQLite store another process holds (``database is locked`` after the lock
timeout), a full disk, a PostgreSQL server that does not answer: the command was
not recorded (its transaction rolled back) and the same request will succeed once
the fault is gone. They answered ``500 internal-error``, so a client could not
tell a retry would do (operations probe). The views database too: through
SQLAlchemy, a PostgreSQL views server down answered 500 on every read (probe 5).
Every other database error (a missing table, a refused value) stays a 500:
retrying would not cure it.
"""

from __future__ import annotations

import sqlite3
import sys

#: What SQLite says of the faults that pass, and what the answer says of each.
_SQLITE_PASSING = {
    "database is locked": "the database is held by another writer",
    "database table is locked": "the database is held by another writer",
    "database or disk is full": "the disk holding the database is full",
    "disk i/o error": "the disk holding the database failed to answer",
}


def passing_fault(error: BaseException) -> str | None:
    """What passes in ``error`` (a store fault a retry may cure), or None."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, sqlite3.OperationalError):
            text = str(seen).lower()
            return next((why for said, why in _SQLITE_PASSING.items() if said in text), None)
        psycopg = sys.modules.get("psycopg")
        if psycopg is not None and isinstance(seen, psycopg.OperationalError):
            return "the database does not answer"
        # SQLAlchemy keeps the driver's error as ``orig`` (and raises from it)
        seen = getattr(seen, "orig", None) or seen.__cause__ or seen.__context__
    return None
