"""A time limit on every PostgreSQL connection attempt the process makes.

Why: libpq waits for ever on a server that accepts the TCP connection and never
answers (a black-holed address, a stuck proxy or load balancer): ``entente check``
and ``entente serve`` hung silently. psycopg, SQLAlchemy's engines and the
eventsourcing pool all connect through libpq, which reads ``PGCONNECT_TIMEOUT``
when a URL names no ``connect_timeout``; an operator's own value (the environment
variable or the URL's parameter) still wins.
"""

from __future__ import annotations

import os

#: Seconds one attempt may take: far above a healthy connection (milliseconds), far
#: below a probe's patience.
DEFAULT_SECONDS = 10


def bound_connection_attempts() -> None:
    """Sets ``PGCONNECT_TIMEOUT`` for this process unless the operator set it."""
    os.environ.setdefault("PGCONNECT_TIMEOUT", str(DEFAULT_SECONDS))
