"""The access log: who consulted what, when — every audit and reporting read.

Append-only by construction: the class has no update or delete, and the table
refuses them itself (a trigger in SQLite and in PostgreSQL), so a bug or a
careless script cannot rewrite who read what. Embedded deployments keep it in
one SQLite file (``<data_dir>/access-log.sqlite3``); production in the
PostgreSQL schema ``entente_access`` (``access_log_for`` picks from the
settings). Auditors read it through ``AccessLog.entries``, oldest first, with a
keyset cursor (``after``: the last id seen) that never skips or repeats a row.

Usage::

    log = access_log_for(settings)
    log.setup()                                   # idempotent, at start-up
    log.record(principal, "audit.history", "/police/records/3f1c…", "police")
    page = log.entries(tenant="police", after=0, limit=100)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    insert,
    make_url,
    select,
    text,
)
from sqlalchemy.schema import CreateSchema

from shared.auth.roles import Principal
from shared.errors import NotReadyError, ValidationError
from shared.private_dirs import make_private_dir, private_database_file
from shared.settings import Settings

SCHEMA = "entente_access"
TABLE = "access_log"
MAX_LIMIT = 1000
#: The advisory lock's namespace of the schema's set-up (one per schema name).
SETUP_LOCK = 0x454E5441
_REFUSE = "the access log is append-only"

log = logging.getLogger("entente.access_log")


class AccessLogError(NotReadyError):
    """Raised when the access log cannot record a read (the read is then not served: 503)."""

    title = "Access log unavailable"


@dataclass(frozen=True)
class AccessEntry:
    """One read: when, by whom (token subject and name), what action on which resource."""

    id: int
    at: datetime
    subject: str
    name: str
    action: str
    resource: str
    tenant: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "subject": self.subject,
            "name": self.name,
            "action": self.action,
            "resource": self.resource,
            "tenant": self.tenant,
        }


def _table(schema: str | None) -> Table:
    metadata = MetaData(schema=schema)
    return Table(
        TABLE,
        metadata,
        Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("subject", String(200), nullable=False),
        Column("name", Text, nullable=False),
        Column("action", String(80), nullable=False),
        Column("resource", Text, nullable=False),
        Column("tenant", String(40)),
        Index(f"{TABLE}_at", "at"),
        Index(f"{TABLE}_subject", "subject"),
        Index(f"{TABLE}_tenant", "tenant"),
    )


class AccessLog:
    """The append-only record of reads, in SQLite or in a PostgreSQL schema."""

    def __init__(
        self,
        engine: Engine,
        schema: str | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.engine = engine
        self.schema = schema
        self.table = _table(schema)
        self.clock = clock
        self._ready = False

    @classmethod
    def open(
        cls,
        url: str | None,
        data_dir: Path,
        schema: str = SCHEMA,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> AccessLog:
        """PostgreSQL ``schema`` at ``url`` when it is a PostgreSQL URL, else a SQLite file."""
        if url and url.split(":", 1)[0].startswith("postgres"):
            engine = create_engine(
                make_url(url).set(drivername="postgresql+psycopg"), pool_pre_ping=True
            )
            return cls(engine, schema, clock)
        make_private_dir(data_dir)
        return cls(_sqlite(data_dir / "access-log.sqlite3"), None, clock)

    def setup(self) -> None:
        """Creates the schema, table and append-only triggers if missing (idempotent).

        ``record`` and ``entries`` call it on first use, so a service mounted
        without its own start-up (the embedded server) still finds the table.
        """
        if self._ready:
            return
        with self.engine.begin() as connection:
            if self.schema is not None:
                # Services starting together all set it up: without the lock, one
                # crashed on CREATE SCHEMA's unique name, or on "tuple concurrently
                # updated" replacing the guard function (probe 5).
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:namespace, hashtext(:schema))"),
                    {"namespace": SETUP_LOCK, "schema": self.schema},
                )
                connection.execute(CreateSchema(self.schema, if_not_exists=True))
            self.table.metadata.create_all(connection)
            for statement in _guards(self.engine.dialect.name, self.schema):
                connection.execute(text(statement))
        self._ready = True

    def record(
        self, principal: Principal, action: str, resource: str, tenant: str | None
    ) -> AccessEntry:
        """Appends one read and returns it; AccessLogError if it could not be stored."""
        if action not in ACTIONS:  # a new action is named in ACTIONS, so filters know it
            raise AccessLogError(f"the access log does not know the action {action!r}")
        values: dict[str, Any] = {
            "at": self.clock().astimezone(UTC),
            "subject": principal.subject,
            "name": principal.name,
            "action": action,
            "resource": resource,
            "tenant": tenant,
        }
        try:
            self.setup()
            with self.engine.begin() as connection:
                result = connection.execute(insert(self.table).values(**values))
                key = result.inserted_primary_key
        except Exception as error:
            # The database's own message holds the statement and its parameters (the
            # reader's subject, the resource): for the operator's log, not the answer.
            log.error("the access log could not record %s: %s", action, error)
            raise AccessLogError(
                f"the access log could not record {action} ({type(error).__name__}); "
                "the read is not served unrecorded"
            ) from None
        assert key is not None
        return AccessEntry(id=int(key[0]), **values)

    def entries(
        self,
        *,
        subject: str | None = None,
        tenant: str | None = None,
        action: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        after: int = 0,
        limit: int = 100,
    ) -> list[AccessEntry]:
        """Entries with id above ``after``, oldest first, filtered; at most ``limit``.

        ``action`` matches a whole action (``audit.history``) or a prefix ending
        in a dot (``audit.``); ``since``/``until`` bound ``at`` (inclusive).
        """
        if not 1 <= limit <= MAX_LIMIT:
            raise ValidationError("limit", "range", f"limit must be between 1 and {MAX_LIMIT}")
        if action is not None and not _names_actions(action):
            families = ", ".join(sorted({name.split(".")[0] + "." for name in ACTIONS}))
            raise ValidationError(
                "action",
                "unknown-action",
                f"{action!r} is no action of the access log; give a whole action "
                f"({', '.join(sorted(ACTIONS))}) or a prefix ending in '.' ({families})",
            )
        c = self.table.c
        query = select(self.table).where(c.id > after).order_by(c.id).limit(limit)
        if subject is not None:
            query = query.where(c.subject == subject)
        if tenant is not None:
            query = query.where(c.tenant == tenant)
        if action is not None:
            query = query.where(
                c.action.startswith(action, autoescape=True)
                if action.endswith(".")
                else c.action == action
            )
        if since is not None:
            query = query.where(c.at >= since.astimezone(UTC))
        if until is not None:
            query = query.where(c.at <= until.astimezone(UTC))
        self.setup()
        with self.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [_entry(row) for row in rows]

    def dispose(self) -> None:
        self.engine.dispose()


#: Every action the platform records (``record`` refuses any other, so a new one is
#: added here). A filter naming none of them answered an empty page, which reads as
#: "nobody consulted this": it is refused instead.
ACTIONS = frozenset(
    {
        "tenant.read",
        "reporting.figures",
        "reporting.matrix",
        "reporting.agreements",
        "reporting.overlaps",
        "reporting.alerts",
        "reporting.status",
        "reporting.vocabularies",
        "audit.tenants",
        "audit.history",
        "audit.as-of-recorded",
        "audit.as-of-business",
        "audit.view-as-of-recorded",
        "audit.view-as-of-business",
        "audit.access-log",
        "audit.verify",
        "audit.replay",
        "audit.export",
    }
)


def _names_actions(action: str) -> bool:
    """A whole action, or a prefix ending in a dot of at least one action."""
    if action.endswith("."):
        return any(name.startswith(action) for name in ACTIONS)
    return action in ACTIONS


def access_log_for(
    settings: Settings, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> AccessLog:
    """Where a deployment keeps its access log: beside its PostgreSQL views or store, or SQLite.

    The views database if it is PostgreSQL, else the event store's PostgreSQL
    server, else ``<data_dir>/access-log.sqlite3`` — so every service of one
    deployment (audit, reporting) finds the same log without another setting.
    """
    url = settings.views_url if _is_postgres(settings.views_url) else None
    if url is None and settings.store == "postgres":
        url = settings.postgres_url
    return AccessLog.open(url, settings.data_dir, clock=clock)


def _is_postgres(url: str | None) -> bool:
    return bool(url) and str(url).split(":", 1)[0].startswith("postgres")


def _entry(row: Any) -> AccessEntry:
    at: datetime = row["at"]
    return AccessEntry(
        id=int(row["id"]),
        at=at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC),
        subject=row["subject"],
        name=row["name"],
        action=row["action"],
        resource=row["resource"],
        tenant=row["tenant"],
    )


def _sqlite(path: Path) -> Engine:
    private_database_file(path)
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _wal(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    return engine


def _guards(dialect: str, schema: str | None) -> list[str]:
    """Triggers that make the table refuse UPDATE, DELETE (and TRUNCATE in PostgreSQL)."""
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_{verb.lower()} BEFORE {verb} ON {TABLE} "
            f"BEGIN SELECT RAISE(ABORT, '{_REFUSE}'); END"
            for verb in ("UPDATE", "DELETE")
        ]
    table = f'"{schema}"."{TABLE}"'
    function = f'"{schema}"."{TABLE}_refuse_change"'
    return [
        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN RAISE EXCEPTION '{_REFUSE}'; END $$",
        f"CREATE OR REPLACE TRIGGER {TABLE}_no_change BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {function}()",
        f"CREATE OR REPLACE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
    ]
