"""Turning a database's refusal of a batch's values into a projection error.

Why: a projector retries any error that is not a ``ProjectionError`` (a dropped
connection, a locked file: retrying fixes those). A *data exception* (SQLSTATE
class 22: U+0000 in PostgreSQL text, a number out of range) is refused again
at every retry, so the projector looked busy while it never moved again.
"""

from __future__ import annotations

import sqlite3

import psycopg
import sqlalchemy.exc

from shared.errors import first_line
from shared.views.errors import RefusedDataError

#: What a database raises for a value it cannot store (SQLAlchemy wraps the drivers';
#: COPY through the driver's own connection raises psycopg's directly).
DATA_EXCEPTIONS = (sqlalchemy.exc.DataError, psycopg.DataError, sqlite3.DataError)


def refused(error: Exception, topic: str, partition: int, after: int) -> RefusedDataError:
    """The projection error of a batch (records after offset ``after``) the database refused."""
    reason = first_line(getattr(error, "orig", None) or error)
    return RefusedDataError(
        f"the database refused a value of the batch after offset {after}: {reason}",
        topic,
        after + 1,
        partition,
    )
