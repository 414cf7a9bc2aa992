"""View tables: the orders pages are read in have indexes, also on views created earlier."""

from __future__ import annotations

from sqlalchemy import Connection, create_engine, inspect, text

from shared.reporting.postgres import PostgresReportingStore
from shared.views.postgres import PostgresViewStore
from shared.views.tables import create_views, tables_for

#: Each paged list's order (``shared/views/queries``) and the index that must serve it.
ORDERS = {
    "ix_agreements_register_order": "SELECT * FROM agreements ORDER BY signed_on DESC, id",
    "ix_missions_board_order": "SELECT * FROM missions ORDER BY requested_on DESC, id",
    "ix_missions_awaiting_order": (
        "SELECT * FROM missions WHERE status = 'requested' ORDER BY requested_on, id"
    ),
    "ix_delegations_calendar_order": "SELECT * FROM delegations ORDER BY start_date, id",
}
TABLES = ("agreements", "missions", "delegations")


def _names(connection: Connection) -> set[str | None]:
    found = inspect(connection)
    return {i["name"] for table in TABLES for i in found.get_indexes(table)}


def test_an_index_added_to_a_definition_reaches_existing_views() -> None:
    engine = create_engine("sqlite://")
    tables = tables_for(None)
    with engine.begin() as connection:
        create_views(connection, tables)
        for index in ORDERS:  # views of an older release, made before these indexes
            connection.execute(text(f"DROP INDEX {index}"))
        assert not set(ORDERS) & _names(connection)
        create_views(connection, tables)  # what the store runs when a process first uses them
        assert set(ORDERS) <= _names(connection)


def test_each_paged_list_reads_its_page_through_its_index(postgres_url: str, unique: str) -> None:
    store = PostgresViewStore(postgres_url, ["police"], schema_prefix=f"i{unique}_")
    try:
        store.setup()
        schema = store.schema("police")
        with store.engine.begin() as connection:
            connection.execute(text(f'SET LOCAL search_path TO "{schema}"'))
            connection.execute(text("SET LOCAL enable_seqscan = off"))
            for index, query in ORDERS.items():
                plan = "\n".join(connection.execute(text(f"EXPLAIN {query} LIMIT 51")).scalars())
                assert index in plan, plan
                assert "Sort" not in plan, plan  # read in index order, not sorted afterwards
    finally:
        store.drop("police")
        store.dispose()


def test_views_with_long_generated_index_names_are_set_up_twice(
    postgres_url: str, unique: str
) -> None:
    """Generated names past 63 characters are shortened; a second set-up must still pass."""
    prefix = f"long_{unique}_"  # + entente_civil_protection_views: names past 63
    first = PostgresViewStore(postgres_url, ["civil-protection"], schema_prefix=prefix)
    second = PostgresViewStore(postgres_url, ["civil-protection"], schema_prefix=prefix)
    try:
        first.setup()
        second.setup()  # another process of the same tenant, or the next start
    finally:
        first.drop("civil-protection")
        first.dispose()
        second.dispose()


def _money_columns(connection: Connection, schema: str) -> dict[tuple[str, str], str]:
    rows = connection.execute(
        text(
            "SELECT table_name, column_name, format_type(atttypid, atttypmod) "
            "FROM information_schema.columns JOIN pg_attribute "
            "ON attrelid = format('%I.%I', table_schema, table_name)::regclass "
            "AND attname = column_name "
            "WHERE table_schema = :schema AND column_name LIKE '%amount'"
        ),
        {"schema": schema},
    )
    return {(table, column): kind for table, column, kind in rows}


def test_amount_columns_of_earlier_views_are_widened_keeping_their_values(
    postgres_url: str, unique: str
) -> None:
    """Views made before 2026-12-06 have NUMERIC(18, 2) amounts, which round a third
    decimal (TND, KWD…) away: the first use of a tenant's views turns them into NUMERIC,
    and the amounts already there stay as they were (reporting's table likewise)."""
    views = PostgresViewStore(postgres_url, ["police"], schema_prefix=f"w{unique}_")
    reporting = PostgresReportingStore(postgres_url, f"w{unique}_entente_reporting")
    try:
        views.setup()
        reporting.setup()
        schemas = (views.schema("police"), reporting.schema)
        with views.engine.begin() as connection:
            for schema in schemas:  # as an earlier release made them
                for table, column in _money_columns(connection, schema):
                    connection.execute(
                        text(
                            f'ALTER TABLE "{schema}"."{table}" '
                            f'ALTER COLUMN "{column}" TYPE NUMERIC(18, 2)'
                        )
                    )
            connection.execute(
                text(
                    f'INSERT INTO "{schemas[0]}".missions SELECT * FROM json_populate_record('
                    f'NULL::"{schemas[0]}".missions, :row)'
                ),
                {"row": MISSION_ROW},
            )
            assert set(_money_columns(connection, schemas[0]).values()) == {"numeric(18,2)"}

        again = PostgresViewStore(postgres_url, ["police"], schema_prefix=f"w{unique}_")
        again.setup()  # the next start of a service
        again.dispose()
        PostgresReportingStore(postgres_url, reporting.schema).setup()

        with views.engine.begin() as connection:
            for schema in schemas:
                found = _money_columns(connection, schema)
                assert len(found) >= 2
                assert set(found.values()) == {"numeric"}, schema
            kept = connection.execute(
                text(f'SELECT budget_amount::text FROM "{schemas[0]}".missions')
            ).scalar_one()
            assert kept == "15000.25"
    finally:
        views.drop("police")
        views.dispose()
        reporting.drop()
        reporting.dispose()


MISSION_ROW = (
    '{"id": "5b7c0a4e-3f6e-4a4b-9a53-0d6f5f8a1c01", "version": 1, "position": 1, '
    '"recorded_at": "2026-12-06T10:00:00+00:00", "classification": "internal", '
    '"title": "Police technique", "mission_type": "training-course", "status": "scheduled", '
    '"countries": ["TN"], "organisations": [], "themes": ["narcotics"], '
    '"requested_by": "DGSN", "requested_on": "2026-11-02", "description": "", '
    '"board_year": 2026, "budget_amount": 15000.25, "budget_currency": "EUR"}'
)
