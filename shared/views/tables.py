"""The tables of one tenant's read views, built for one schema (or none).

The same definitions serve SQLite (one file per tenant, no schema) and
PostgreSQL (one schema per tenant, plus a second schema while a rebuild is
under way), so ``tables_for(schema)`` builds them for a given schema name.

Every record row keeps the ``version`` of its aggregate (the de-duplication
key), the log ``position`` and ``recorded_at`` of the last event applied to it,
and its ``classification``. Lists used by filters (countries, themes) also have
a child table so a filter is an indexed join, not a JSON search that differs
between databases. Amounts are exact (``Money``), never floats.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Connection,
    Date,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    TypeDecorator,
    text,
)
from sqlalchemy.schema import CreateIndex
from sqlalchemy.types import TypeEngine


class Money(TypeDecorator[Decimal]):
    """An exact amount: NUMERIC in PostgreSQL, text in SQLite (whose NUMERIC is a float).

    The amount is kept with the decimals it was given (its currency's, see
    ``shared.views.handlers.common.amount``): PostgreSQL's NUMERIC without a scale
    stores ``1.250`` as ``1.250`` and ``1000`` as ``1000``. Until 2026-12-06 the
    column was NUMERIC(18, 2), which would round a dinar's third decimal away
    silently; ``widen_money_columns`` turns existing columns into this one.
    """

    impl = String(32)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(asdecimal=True))
        return dialect.type_descriptor(String(32))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        amount = Decimal(value)
        return amount if dialect.name == "postgresql" else str(amount)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(str(value))


def widen_money_columns(connection: Connection, metadata: MetaData) -> None:
    """Turns the NUMERIC(18, 2) amount columns of earlier releases into NUMERIC (PostgreSQL).

    ``create_all`` never alters a table that exists, so a tenant's views made by an
    earlier release kept columns that round a third decimal (TND, KWD…) away. The
    change keeps every stored value; it runs once (an altered column has no scale).
    """
    if connection.dialect.name != "postgresql":
        return
    wanted = {
        (table.schema, table.name, column.name)
        for table in metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, Money)
    }
    schemas = sorted({schema for schema, _, _ in wanted if schema is not None})
    found = connection.execute(
        text(
            "SELECT table_schema, table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = ANY(:schemas) AND data_type = 'numeric' "
            "AND numeric_scale IS NOT NULL"
        ),
        {"schemas": schemas},
    )
    quote = connection.dialect.identifier_preparer.quote
    for schema, table, column in sorted(tuple(row) for row in found):
        if (schema, table, column) in wanted:
            connection.execute(
                text(
                    f"ALTER TABLE {quote(schema)}.{quote(table)} "
                    f"ALTER COLUMN {quote(column)} TYPE NUMERIC"
                )
            )


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC timestamp on both databases (SQLite would return it naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        return None if value is None else value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _record_columns() -> list[Column[Any]]:
    """What every record row carries: identity, de-duplication and as-of metadata."""
    return [
        Column("id", String(36), primary_key=True),
        Column("version", Integer, nullable=False),
        Column("position", BigInteger, nullable=False),
        Column("recorded_at", UtcDateTime, nullable=False),
        Column("classification", String(20), nullable=False),
    ]


def _code_list(metadata: MetaData, name: str, owner: str, code: str) -> Table:
    """A child table of (record id, code): one row per country or theme of a record."""
    return Table(
        name,
        metadata,
        Column(owner, String(36), primary_key=True),
        Column(code, String(80), primary_key=True, index=True),
    )


@dataclass(frozen=True)
class ViewTables:
    """The tables of one view area (a tenant's live views, or a rebuild in progress)."""

    metadata: MetaData
    agreements: Table
    agreement_countries: Table
    agreement_terms: Table
    missions: Table
    mission_countries: Table
    mission_themes: Table
    delegations: Table
    posts: Table
    post_coverage: Table
    tracking: Table

    @property
    def record_tables(self) -> dict[str, Table]:
        """The row table of each aggregate type, as named in event types."""
        return {
            "agreement": self.agreements,
            "mission": self.missions,
            "delegation-visit": self.delegations,
            "post-abroad": self.posts,
        }


def create_views(connection: Connection, tables: ViewTables) -> None:
    """Creates the missing tables, and the missing indexes of tables that exist.

    ``create_all`` creates a table's indexes only with the table, so an index
    added to a definition here would never reach a tenant's existing views
    without the second step (``CREATE INDEX IF NOT EXISTS``).
    """
    tables.metadata.create_all(connection)
    widen_money_columns(connection, tables.metadata)
    for table in tables.metadata.sorted_tables:
        for index in table.indexes:
            # IF NOT EXISTS, not ``checkfirst``: a long generated name is shortened when
            # compiled, and the check would look for the long one.
            connection.execute(CreateIndex(index, if_not_exists=True))


@cache
def tables_for(schema: str | None) -> ViewTables:
    """The view tables in ``schema`` (None: the database's default, as in SQLite)."""
    md = MetaData(schema=schema)
    tables = ViewTables(
        metadata=md,
        agreements=Table(
            "agreements",
            md,
            *_record_columns(),
            Column("reference", String(100), nullable=False),
            Column("title", Text, nullable=False),
            Column("kind", String(60), nullable=False, index=True),
            Column("status", String(20), nullable=False, index=True),
            Column("signed_on", Date, nullable=False),
            Column("signed_at", String(200), nullable=False),
            Column("duration_months", Integer),
            Column("term_start", Date, nullable=False),
            Column("expires_on", Date, index=True),
            Column("funding_amount", Money),
            Column("funding_currency", String(3)),
            Column("funder", Text),
            Column("partner_countries", JSON, nullable=False),
            Column("partner_organisations", JSON, nullable=False),
            Column("themes", JSON, nullable=False),
            Column("amendment_count", Integer, nullable=False),
            Column("suspended_on", Date),
            Column("terminated_on", Date),
        ),
        agreement_countries=_code_list(md, "agreement_countries", "agreement_id", "country"),
        # One row per status change, with the expiry then in effect, so "in force
        # on 31 December" is answered from the facts of that date, not today's.
        agreement_terms=Table(
            "agreement_terms",
            md,
            Column("agreement_id", String(36), primary_key=True),
            Column("version", Integer, primary_key=True),
            Column("effective_on", Date, nullable=False),
            Column("status", String(20), nullable=False),
            Column("expires_on", Date),
        ),
        missions=Table(
            "missions",
            md,
            *_record_columns(),
            Column("title", Text, nullable=False),
            Column("mission_type", String(60), nullable=False, index=True),
            Column("status", String(20), nullable=False, index=True),
            Column("countries", JSON, nullable=False),
            Column("organisations", JSON, nullable=False),
            Column("themes", JSON, nullable=False),
            Column("requested_by", String(200), nullable=False),
            Column("post_id", String(100), index=True),
            Column("requested_on", Date, nullable=False),
            Column("description", Text, nullable=False),
            # year of the start date, else of the request: the board's "year"
            Column("board_year", Integer, nullable=False, index=True),
            Column("decided_on", Date),
            Column("decided_by", String(200)),
            Column("decision_reference", String(100)),
            Column("decline_reason", Text),
            Column("scheduled_on", Date),
            Column("start_date", Date, index=True),
            Column("end_date", Date),
            Column("place", String(200)),
            Column("expert_count", Integer),
            Column("budget_amount", Money),
            Column("budget_currency", String(3)),
            Column("launched_on", Date),
            Column("completed_on", Date),
            Column("participants", Integer),
            Column("actual_cost_amount", Money),
            Column("actual_cost_currency", String(3)),
            Column("outcome", Text),
            Column("cancelled_on", Date),
            Column("cancellation_reason", Text),
            Column("evaluated_on", Date),
            Column("rating", Integer),
            Column("findings", Text),
            Column("recommendations", Text),
        ),
        mission_countries=_code_list(md, "mission_countries", "mission_id", "country"),
        mission_themes=_code_list(md, "mission_themes", "mission_id", "theme"),
        delegations=Table(
            "delegations",
            md,
            *_record_columns(),
            Column("country", String(2), index=True),
            Column("organisation", String(20)),
            Column("head_of_delegation", String(200), nullable=False),
            Column("size", Integer, nullable=False),
            Column("start_date", Date, nullable=False),
            Column("end_date", Date, nullable=False),
            Column("host_site", String(200), nullable=False, index=True),
            Column("topics", JSON, nullable=False),
            Column("status", String(20), nullable=False, index=True),
            Column("reschedulings", Integer, nullable=False),
            Column("hosted_on", Date),
            Column("actual_size", Integer),
            Column("cancelled_on", Date),
            Column("cancellation_reason", Text),
        ),
        posts=Table(
            "posts",
            md,
            *_record_columns(),
            Column("name", String(200), nullable=False),
            Column("city", String(200), nullable=False),
            Column("host_country", String(2), nullable=False),
            Column("status", String(20), nullable=False),
            Column("opened_on", Date, nullable=False),
            Column("closed_on", Date),
            Column("covered_countries", JSON, nullable=False),
        ),
        # Coverage periods: [valid_from, valid_until) per covered country; an
        # action counts for the post that covered its country on its date.
        post_coverage=Table(
            "post_coverage",
            md,
            Column("post_id", String(36), primary_key=True),
            Column("country", String(2), primary_key=True, index=True),
            Column("valid_from", Date, primary_key=True),
            Column("valid_until", Date),
        ),
        tracking=Table(
            "view_tracking",
            md,
            Column("topic", String(255), primary_key=True),
            Column("partition", Integer, primary_key=True, autoincrement=False),
            Column("offset", BigInteger, nullable=False),
            Column("position", BigInteger, nullable=False),
            Column("recorded_at", UtcDateTime, nullable=False),
        ),
    )
    _page_orders(tables)
    return tables


def _page_orders(tables: ViewTables) -> None:
    """An index in the exact order of each paged list (``queries``), so a page reads its
    rows from the index instead of sorting every row that matches (many share a date)."""
    agreements, missions, delegations = tables.agreements, tables.missions, tables.delegations
    Index("ix_agreements_register_order", agreements.c.signed_on.desc(), agreements.c.id)
    Index("ix_missions_board_order", missions.c.requested_on.desc(), missions.c.id)
    Index("ix_missions_awaiting_order", missions.c.status, missions.c.requested_on, missions.c.id)
    Index("ix_delegations_calendar_order", delegations.c.start_date, delegations.c.id)
