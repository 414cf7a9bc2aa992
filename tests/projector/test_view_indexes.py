"""View tables: the orders pages are read in have indexes, also on views created earlier."""

from __future__ import annotations

from sqlalchemy import Connection, create_engine, inspect, text

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
