"""The tenant service configured for PostgreSQL (events and views), end to end.

Tenants are configuration: a unique tenant slug per run gives the test its own
schemas on the shared server.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

from fastapi.testclient import TestClient

from services.tenant.app import create_app
from services.tenant.bootstrap import Platform, bootstrap
from shared.application.store_presence import POSTGRES_EVENTS_TABLE, store_absent
from shared.settings import Settings

MISSION = {
    "title": "Stage de police technique",
    "mission_type": "training-course",
    "countries": ["KH"],
    "themes": ["forensic-science"],
    "requested_by": "Police nationale cambodgienne",
    "requested_on": "2013-06-01",
}


def test_a_command_is_stored_projected_and_read_back_on_postgres(
    postgres_url: str, tmp_path: Path, unique: str
) -> None:
    tenant = f"t{unique}"
    platform, headers = _on_postgres(tenant, postgres_url, tmp_path)

    with TestClient(create_app(platform)) as client:
        created = client.post(
            f"/api/{tenant}/missions",
            headers={**headers, "Idempotency-Key": "pg-end-to-end-1"},
            json={
                "title": "Conférence régionale sur les faux médicaments",
                "mission_type": "regional-conference",
                "countries": ["VN", "KH", "LA"],
                "themes": ["counterfeit-medicines"],
                "requested_by": "MSP",
                "requested_on": "2013-06-01",
            },
        )
        assert created.status_code == 201, created.text
        position = created.json()["position"]
        board = client.get(
            f"/api/{tenant}/missions?min_position={position}&wait_ms=10000", headers=headers
        )

    assert board.status_code == 200, board.text
    [mission] = board.json()["items"]
    assert mission["id"] == created.json()["id"]
    assert mission["countries"] == ["VN", "KH", "LA"]
    assert platform.ledger(tenant).env.get("PERSISTENCE_MODULE") == "eventsourcing.postgres"


def test_a_service_on_postgres_starts_again_over_its_own_store_and_views(
    postgres_url: str, tmp_path: Path, unique: str
) -> None:
    """Restarted, it refused its store as "deleted or emptied" (views ahead of no store):
    the look for the store named the SQLite events table (probe 14)."""
    tenant = f"t{unique}"
    platform, headers = _on_postgres(tenant, postgres_url, tmp_path)
    with TestClient(create_app(platform)) as client:
        created = client.post(f"/api/{tenant}/missions", headers=headers, json=MISSION)
        assert created.status_code == 201, created.text
        position = created.json()["position"]
        waited = client.get(
            f"/api/{tenant}/views/position?min_position={position}", headers=headers
        )
        assert waited.status_code == 200, waited.text
    recorder = platform.ledger(tenant).recorder
    assert getattr(recorder, "events_table_name", None) == POSTGRES_EVENTS_TABLE
    assert not store_absent(platform.settings.event_store(tenant), tenant)

    again, headers = _on_postgres(tenant, postgres_url, tmp_path)  # what a restart runs
    with TestClient(create_app(again)) as client:
        read = client.get(f"/api/{tenant}/missions/{created.json()['id']}", headers=headers)

    assert read.status_code == 200, read.text
    assert again.ledger(tenant).position() == position


def test_a_bulk_import_is_stored_projected_and_read_back_on_postgres(
    postgres_url: str, tmp_path: Path, unique: str
) -> None:
    tenant = f"t{unique}"
    platform, headers = _on_postgres(tenant, postgres_url, tmp_path)
    item = {
        "mission_type": "regional-conference",
        "countries": ["VN"],
        "themes": ["counterfeit-medicines"],
        "requested_by": "MSP",
        "requested_on": "2013-06-01",
    }
    items = [{**item, "title": f"Conférence {i}"} for i in range(100)]

    with TestClient(create_app(platform)) as client:
        refused = client.post(
            f"/api/{tenant}/missions/imports",
            headers=headers,
            json={"items": [*items[:50], {**item, "title": "x", "countries": ["ZZ"]}]},
        )
        position = platform.ledger(tenant).position()
        created = client.post(
            f"/api/{tenant}/missions/imports",
            headers={**headers, "Idempotency-Key": "pg-import-1"},
            json={"items": items},
        )
        assert created.status_code == 201, created.text
        board = client.get(
            f"/api/{tenant}/missions?min_position={created.json()['position']}"
            "&wait_ms=10000&limit=200",
            headers=headers,
        )

    assert refused.status_code == 422, refused.text
    assert [e["index"] for e in refused.json()["errors"]] == [50]
    assert position == 0
    assert board.status_code == 200, board.text
    assert {m["id"] for m in board.json()["items"]} == {r["id"] for r in created.json()["records"]}


def test_the_posts_directory_pages_by_name_on_postgres_and_refuses_forged_cursors(
    postgres_url: str, tmp_path: Path, unique: str
) -> None:
    tenant = f"t{unique}"
    platform, headers = _on_postgres(tenant, postgres_url, tmp_path)
    cities = [("Zagreb", "HR"), ("Abuja", "NG"), ("Lima", "PE"), ("Ålesund", "NO")]

    with TestClient(create_app(platform)) as client:
        for index, (city, host) in enumerate(cities):
            created = client.post(
                f"/api/{tenant}/posts",
                headers={**headers, "Idempotency-Key": f"pg-post-{index}"},
                json={
                    "name": f"SSI {city}",
                    "city": city,
                    "host_country": host,
                    "covered_countries": [host],
                    "opened_on": "2010-03-01",
                },
            )
            assert created.status_code == 201, created.text
        position = created.json()["position"]
        pages = [
            client.get(
                f"/api/{tenant}/posts?limit=1&min_position={position}&wait_ms=10000",
                headers=headers,
            ).json()
        ]
        while pages[-1]["next_cursor"]:
            cursor = pages[-1]["next_cursor"]
            pages.append(
                client.get(f"/api/{tenant}/posts?limit=1&cursor={cursor}", headers=headers).json()
            )
        forged = [
            _cursor(["posts", "SSI \u0000", "x"]),  # PostgreSQL cannot compare U+0000
            _cursor(["posts", "SSI Lima", "\u0000"]),
            _cursor(["missions", "2024-01-01", "\u0000"]),
            _cursor(["posts", 7, "x"]),
        ]
        refused = [
            client.get(f"/api/{tenant}/{path}?cursor={cursor}", headers=headers)
            for cursor, path in zip(forged, ["posts", "posts", "missions", "posts"], strict=True)
        ]

    names = [item["name"] for page in pages for item in page["items"]]
    assert sorted(names) == sorted(f"SSI {city}" for city, _ in cities)  # each once
    assert pages[0]["total"] == len(names) == len(cities)
    assert names.index("SSI Abuja") < names.index("SSI Lima") < names.index("SSI Zagreb")
    assert [(r.status_code, r.json()["rule"]) for r in refused] == [(422, "invalid-cursor")] * 4


def _cursor(parts: list[object]) -> str:
    """A cursor as the service spells one (base64url JSON), made by hand."""
    raw = json.dumps(parts).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _on_postgres(tenant: str, postgres_url: str, data: Path) -> tuple[Platform, dict[str, str]]:
    """A tenant service on PostgreSQL (events and views), and its recorder's headers."""
    settings = Settings(
        tenants=[tenant],
        data_dir=data,
        store="postgres",
        postgres_url=postgres_url,
        views_url=postgres_url.replace("postgresql://", "postgresql+psycopg://", 1),
        auth="dev",
    )
    platform = bootstrap(settings)
    assert platform.issuer is not None
    return platform, {"Authorization": f"Bearer {platform.issuer.token(f'{tenant}-recorder')}"}
