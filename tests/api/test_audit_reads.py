"""An auditor's read of a directorate's records is itself recorded, before it is served.

Auditors may read every tenant's records and views through the tenant service;
issue #5 asks that every audit read be in the access log (who consulted what,
when). A directorate's own people are not audit reads and are not logged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.access_log import AccessLog

if TYPE_CHECKING:
    from services.tenant.bootstrap import Platform

    from .conftest import Api


def _reads(platform: Platform) -> list[tuple[str, str, str | None]]:
    entries = platform.access.entries(action="tenant.read", limit=1000)
    return [(e.name, e.resource, e.tenant) for e in entries]


def test_an_auditors_read_of_a_view_and_a_record_is_in_the_access_log(
    api: Api, platform: Platform
) -> None:
    created = api.create("missions")
    before = _reads(platform)

    board = api.get("/api/police/missions?limit=5", user="auditor")
    record = api.get(f"/api/police/missions/{created.id}", user="auditor")

    assert board.status_code == record.status_code == 200
    new = _reads(platform)[len(before) :]
    assert new == [
        ("Demo auditor", "/api/police/missions?limit=5", "police"),
        ("Demo auditor", f"/api/police/missions/{created.id}", "police"),
    ]


def test_a_directorates_own_reads_are_not_audit_reads(api: Api, platform: Platform) -> None:
    before = _reads(platform)

    assert api.get("/api/police/missions", user="police-reader").status_code == 200
    assert api.get("/api/gendarmerie/missions", user="gendarmerie-recorder").status_code == 200

    assert _reads(platform) == before


def test_an_audit_read_is_refused_rather_than_served_unrecorded(
    api: Api, platform: Platform
) -> None:
    broken = AccessLog.open("postgresql://nobody@127.0.0.1:1/none", platform.settings.data_dir)
    kept, platform.access = platform.access, broken
    api.client.app.state.access = broken  # type: ignore[attr-defined]
    try:
        response = api.get("/api/police/missions", user="auditor")
    finally:
        platform.access = kept
        api.client.app.state.access = kept  # type: ignore[attr-defined]

    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
