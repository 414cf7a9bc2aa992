"""View tables: the orders pages are read in have indexes, also on views created earlier."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine.interfaces import ReflectedIndex

from shared.views.postgres import PostgresViewStore
from shared.views.tables import create_views, tables_for

ORDER_INDEXES = {
    "agreements": ["signed_on", "id"],
    "missions": ["requested_on", "id"],
    "delegations": ["start_date", "id"],
}


def _indexed(indexes: list[ReflectedIndex]) -> list[list[str | None]]:
    return [list(i["column_names"]) for i in indexes]


def test_an_index_added_to_a_definition_reaches_existing_views() -> None:
    engine = create_engine("sqlite://")
    tables = tables_for(None)
    with engine.begin() as connection:
        create_views(connection, tables)
        connection.execute(
            text("DROP INDEX ix_missions_requested_on_id")
        )  # views of an older release
        assert ["requested_on", "id"] not in _indexed(inspect(connection).get_indexes("missions"))
        create_views(connection, tables)  # what the store runs when a process first uses them
        for table, columns in ORDER_INDEXES.items():
            assert columns in _indexed(inspect(connection).get_indexes(table)), table


def test_the_missions_board_reads_a_page_through_its_index(postgres_url: str, unique: str) -> None:
    store = PostgresViewStore(postgres_url, ["police"], schema_prefix=f"i{unique}_")
    try:
        store.setup()
        schema = store.schema("police")
        with store.engine.begin() as connection:
            connection.execute(text(f'SET LOCAL search_path TO "{schema}"'))
            connection.execute(text("SET LOCAL enable_seqscan = off"))
            plan = "\n".join(
                connection.execute(
                    text(
                        "EXPLAIN SELECT * FROM missions"
                        " ORDER BY requested_on DESC, id DESC LIMIT 21"
                    )
                ).scalars()
            )
        assert "ix_missions_requested_on_id" in plan
        assert "Sort" not in plan  # read in index order, not sorted afterwards
    finally:
        store.drop("police")
        store.dispose()
