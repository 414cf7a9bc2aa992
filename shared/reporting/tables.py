"""The tables of the consolidated reporting area, built for one schema (or none).

Every record row is keyed by ``(tenant, id)``: ids are unique within a tenant's
store, and the tenant is what the figures are broken down by ("directorate").
Rows keep the ``version`` of their aggregate (the de-duplication key) and the
``classification`` of their last event, so restricted records can be counted
yet redacted at the moment of answering.

Only what reporting needs is copied: a mission's dates, type, status, budget and
codes (and its title and place, shown in overlaps while it is not restricted; kept
while it is, since it can be declassified), an agreement's kind, term and status
history. Never an agreement's reference or title, which no answer shows: areas
made before 2026-12-07 lose those columns at start (``forget_unserved_columns``).
Country and theme lists also get child tables so filters are indexed joins on
both databases. Amounts are exact (``Money``), never floats.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Connection,
    Date,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    inspect,
    text,
)

from shared.views.tables import Money, UtcDateTime

TENANT = 40  # check_slug's limit
ID = 36


def _record_columns() -> list[Column[Any]]:
    return [
        Column("tenant", String(TENANT), primary_key=True),
        Column("id", String(ID), primary_key=True),
        Column("version", Integer, nullable=False),
        Column("position", BigInteger, nullable=False),
        Column("recorded_at", UtcDateTime, nullable=False),
        Column("classification", String(20), nullable=False),
    ]


def _codes(metadata: MetaData, name: str, owner: str, code: str) -> Table:
    """(tenant, record id, code): one row per country or theme of a record."""
    table = Table(
        name,
        metadata,
        Column("tenant", String(TENANT), primary_key=True),
        Column(owner, String(ID), primary_key=True),
        Column(code, String(80), primary_key=True),
    )
    Index(f"ix_{name}_{code}", table.c[code], table.c.tenant)
    return table


@dataclass(frozen=True)
class ReportingTables:
    """Every table of the reporting area."""

    metadata: MetaData
    missions: Table
    mission_countries: Table
    mission_themes: Table
    agreements: Table
    agreement_countries: Table
    agreement_terms: Table
    overlaps: Table
    alerts: Table
    alerts_published: Table
    tracking: Table
    cursor_keys: Table

    @property
    def record_tables(self) -> dict[str, Table]:
        """The row table of each aggregate type reporting consumes."""
        return {"mission": self.missions, "agreement": self.agreements}


@cache
def tables_for(schema: str | None) -> ReportingTables:
    """The reporting tables in ``schema`` (None: SQLite's single file)."""
    md = MetaData(schema=schema)
    return ReportingTables(
        metadata=md,
        missions=Table(
            "missions",
            md,
            *_record_columns(),
            Column("title", Text, nullable=False),
            Column("mission_type", String(60), nullable=False, index=True),
            Column("status", String(20), nullable=False, index=True),
            Column("countries", JSON, nullable=False),
            Column("themes", JSON, nullable=False),
            Column("start_date", Date, index=True),
            Column("end_date", Date),
            Column("place", String(200)),
            Column("budget_amount", Money),
            Column("budget_currency", String(3)),
            Column("actual_cost_amount", Money),
            Column("actual_cost_currency", String(3)),
            Column("rating", Integer),
        ),
        mission_countries=_codes(md, "mission_countries", "mission_id", "country"),
        mission_themes=_codes(md, "mission_themes", "mission_id", "theme"),
        agreements=Table(
            "agreements",
            md,
            *_record_columns(),
            Column("kind", String(60), nullable=False, index=True),
            Column("status", String(20), nullable=False),
            Column("signed_on", Date, nullable=False, index=True),
            Column("duration_months", Integer),
            Column("term_start", Date, nullable=False),
            Column("expires_on", Date),
            Column("partner_countries", JSON, nullable=False),
            Column("themes", JSON, nullable=False),
        ),
        agreement_countries=_codes(md, "agreement_countries", "agreement_id", "country"),
        # Each status change with the expiry then in effect: "in force on a
        # date" is answered from the facts of that date, as in the annual report.
        agreement_terms=Table(
            "agreement_terms",
            md,
            Column("tenant", String(TENANT), primary_key=True),
            Column("agreement_id", String(ID), primary_key=True),
            Column("version", Integer, primary_key=True),
            Column("effective_on", Date, nullable=False),
            Column("status", String(20), nullable=False),
            Column("expires_on", Date),
        ),
        # One row per pair of missions of two directorates that overlap; the
        # pair is stored in a canonical order (first < second) so it is unique.
        overlaps=Table(
            "overlaps",
            md,
            Column("country", String(2), primary_key=True),
            Column("theme", String(80), primary_key=True),
            Column("first_tenant", String(TENANT), primary_key=True),
            Column("first_id", String(ID), primary_key=True),
            Column("second_tenant", String(TENANT), primary_key=True),
            Column("second_id", String(ID), primary_key=True),
            Column("overlap_start", Date, nullable=False, index=True),
            Column("overlap_end", Date, nullable=False),
            Column("detected_at", UtcDateTime, nullable=False),
        ),
        # The embedded OverlapAlerts: the alert events, in the order raised.
        # ``seq`` lets a reader page on; ``id`` is the event's id (de-duplication).
        alerts=Table(
            "alerts",
            md,
            Column("seq", Integer, primary_key=True, autoincrement=True),
            Column("id", String(ID), nullable=False, unique=True),
            Column("type", String(120), nullable=False),
            Column("time", UtcDateTime, nullable=False),
            Column("country", String(2), nullable=False),
            Column("theme", String(80), nullable=False),
            Column("caused_by", String(ID), nullable=False),
            Column("data", JSON, nullable=False),
        ),
        # How far the AlertRelay has published the alerts table to the alerts topic.
        alerts_published=Table(
            "alerts_published",
            md,
            Column("topic", String(255), primary_key=True),
            Column("seq", BigInteger, nullable=False),
            Column("published_at", UtcDateTime, nullable=False),
        ),
        tracking=Table(
            "reporting_tracking",
            md,
            Column("topic", String(255), primary_key=True),
            Column("partition", Integer, primary_key=True, autoincrement=False),
            Column("tenant", String(TENANT), nullable=False),
            Column("offset", BigInteger, nullable=False),
            Column("position", BigInteger, nullable=False),
            Column("recorded_at", UtcDateTime, nullable=False),
        ),
        # The key that seals page cursors (``shared.reporting.cursors``): one row,
        # shared by every reporting process reading this area.
        cursor_keys=Table(
            "cursor_keys",
            md,
            Column("id", Integer, primary_key=True, autoincrement=False),
            Column("key", LargeBinary(32), nullable=False),
        ),
    )


#: Columns earlier releases copied that no answer shows: (table, column).
UNSERVED = (("agreements", "reference"), ("agreements", "title"))


def forget_unserved_columns(connection: Connection, schema: str | None = None) -> None:
    """Drops the ``UNSERVED`` columns of an area made by an earlier release.

    Restricted agreements' titles and references sat in the consolidated area,
    which serves neither (probe 6): what reporting never shows, it does not keep.
    ``create_all`` never alters a table that exists, hence this step (once: a
    dropped column is not found again).
    """
    quote = connection.dialect.identifier_preparer.quote
    inspector = inspect(connection)
    for table, column in UNSERVED:
        present = {found["name"] for found in inspector.get_columns(table, schema=schema)}
        if column in present:
            where = f"{quote(schema)}.{quote(table)}" if schema else quote(table)
            connection.execute(text(f"ALTER TABLE {where} DROP COLUMN {quote(column)}"))
