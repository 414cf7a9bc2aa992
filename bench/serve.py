"""The two HTTP servers H1 compares, each run as its own uvicorn process on 127.0.0.1.

``python -m bench.serve tenant TENANT DATA_DIR PORT``: the real tenant service
(PostgreSQL events and views, dev tokens). ``python -m bench.serve raw SCHEMA PORT``:
a minimal FastAPI endpoint doing one raw INSERT per request.
"""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from psycopg import sql
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool


def tenant_app(tenant: str, data_dir: Path) -> FastAPI:
    from services.tenant.main import build
    from shared.settings import Settings

    url = os.environ["ENTENTE_TEST_POSTGRES_URL"]
    return build(
        Settings(
            tenants=[tenant],
            data_dir=data_dir,
            store="postgres",
            postgres_url=url,
            views_url=url.replace("postgresql://", "postgresql+psycopg://", 1),
            auth="dev",
        )
    )


def raw_app(schema: str) -> FastAPI:
    pool = ConnectionPool(os.environ["ENTENTE_TEST_POSTGRES_URL"], min_size=5, max_size=5)
    table = sql.Identifier(schema, "raw_events")
    with pool.connection() as connection:
        connection.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (id uuid PRIMARY KEY, body jsonb NOT NULL)"
            ).format(table)
        )
    insert = sql.SQL("INSERT INTO {} (id, body) VALUES (%s, %s)").format(table)
    app = FastAPI()

    @app.post("/raw", status_code=201)
    def record(body: dict[str, Any]) -> dict[str, str]:
        record_id = uuid.uuid4()
        with pool.connection() as connection:
            connection.execute(insert, (record_id, Jsonb(body)))
        return {"id": str(record_id)}

    return app


def main(argv: list[str]) -> None:
    kind = argv[0]
    if kind == "tenant":
        app = tenant_app(argv[1], Path(argv[2]))
        port = int(argv[3])
    else:
        app = raw_app(argv[1])
        port = int(argv[2])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main(sys.argv[1:])
