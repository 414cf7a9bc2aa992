"""Where a tenant's events are stored: one SQLite file or one PostgreSQL schema.

The settings build the library's environment explicitly; nothing is read from
``os.environ`` behind our back (the library merges it by default, which would
let a stray ``POSTGRES_ENABLE_DB_FUNCTIONS`` switch off the insert lock that
gap-free log reading depends on). Events are inserted by
``LockingInsertRecorder`` (one round trip, same lock).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import psycopg
from eventsourcing.utils import get_topic
from psycopg import sql

from shared.application.recorder import POOL_WAIT_S, LockingInsertRecorder
from shared.application.sqlite_recorder import GrowingPositionsRecorder
from shared.errors import ConfigurationError
from shared.private_dirs import make_private_dir


def schema_for(tenant: str) -> str:
    """``civil-protection`` → ``entente_civil_protection``: a valid, quoted-free name."""
    return "entente_" + tenant.replace("-", "_")


@dataclass(frozen=True)
class SqliteStore:
    """The embedded default: one database file per tenant under ``directory``."""

    directory: Path
    #: Open the file read-only (the audit): SQLite then writes nothing to it, not even
    #: the checkpoint of its write-ahead log that a closing connection makes, so the
    #: evidence an auditor reads keeps its bytes as found.
    read_only: bool = False

    def prepare(self, tenant: str) -> None:
        make_private_dir(self.directory)

    def path(self, tenant: str) -> Path:
        return self.directory / f"{tenant}.events.sqlite3"

    def env(self, tenant: str) -> dict[str, str]:
        name = str(self.path(tenant))
        if self.read_only:  # the library connects with uri=True
            name = f"{self.path(tenant).resolve().as_uri()}?mode=ro"
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": name,
            "APPLICATION_RECORDER_TOPIC": get_topic(GrowingPositionsRecorder),
            "SQLITE_LOCK_TIMEOUT": "10",
            "CREATE_TABLE": "y",
        }


@dataclass(frozen=True)
class PostgresStore:
    """Production: one schema per tenant in a PostgreSQL database.

    ``lock_timeout`` and ``idle_timeout`` (seconds) stop a stuck writer from
    holding the table lock for ever.
    """

    url: str
    lock_timeout: int = 5
    idle_timeout: int = 10
    schema_prefix: str = ""

    def prepare(self, tenant: str) -> None:
        """Creates the tenant's schema; the library creates tables, not schemas."""
        schema = self.schema_prefix + schema_for(tenant)
        # Another service of the tenant may create it at the same moment: that is fine.
        with (
            psycopg.connect(self.url, autocommit=True) as connection,
            contextlib.suppress(psycopg.errors.UniqueViolation),
        ):
            connection.execute(
                sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema))
            )

    def env(self, tenant: str) -> dict[str, str]:
        parts = urlsplit(self.url)
        if parts.scheme not in {"postgresql", "postgres"} or not parts.hostname:
            raise ConfigurationError(f"not a PostgreSQL URL: {parts.scheme}://{parts.hostname}")
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": parts.path.lstrip("/") or "postgres",
            "POSTGRES_HOST": parts.hostname,
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": unquote(parts.username or ""),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
            "POSTGRES_SCHEMA": self.schema_prefix + schema_for(tenant),
            "POSTGRES_LOCK_TIMEOUT": str(self.lock_timeout),
            "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": str(self.idle_timeout),
            "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
            "APPLICATION_RECORDER_TOPIC": get_topic(LockingInsertRecorder),
            "POSTGRES_POOL_SIZE": "5",
            "POSTGRES_CONNECT_TIMEOUT": str(POOL_WAIT_S),  # the pool's wait for a connection
            "CREATE_TABLE": "y",
        }


EventStoreConfig = SqliteStore | PostgresStore
