"""The embedded mode's folders are the owner's alone (its records are official data).

Before, the data folder and every folder under it were made 0755 and the
SQLite files 0644: any account on the machine could read every directorate's
history, views and access log.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from shared.auth.dev_issuer import DevIssuer
from shared.cli.main import platform_app
from shared.private_dirs import make_private_dir
from shared.settings import Settings
from tests.api.conftest import CREATE
from tests.cli import entente

TENANTS = ["police", "gendarmerie"]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _folders(top: Path) -> list[Path]:
    return [top, *(p for p in sorted(top.rglob("*")) if p.is_dir())]


def test_every_folder_the_platform_makes_is_private_and_the_one_given_is_left(
    tmp_path: Path,
) -> None:
    tmp_path.chmod(0o755)
    data = tmp_path / "srv" / "entente"
    settings = Settings(data_dir=data, tenants=TENANTS, store="sqlite", auth="dev")
    app = platform_app(settings)
    issuer = DevIssuer(data, settings.issuer, settings.audience, TENANTS)

    with TestClient(app) as client:
        answer = client.post(
            "/api/police/agreements",
            headers={"Authorization": f"Bearer {issuer.token('police-recorder')}"},
            json=CREATE["agreements"],
        )
        assert answer.status_code == 201, answer.text

    made = _folders(tmp_path / "srv")
    assert {p.name for p in made} >= {"srv", "entente", "events", "views"}
    assert {str(p.relative_to(tmp_path)): _mode(p) for p in made} == {
        str(p.relative_to(tmp_path)): 0o700 for p in made
    }
    assert _mode(tmp_path) == 0o755  # already there: whoever made it chose


def test_the_dev_issuer_key_folder_made_by_entente_token_is_private(tmp_path: Path) -> None:
    data = tmp_path / "a" / "b"

    done = entente("token", "police-recorder", ENTENTE_DATA_DIR=str(data), ENTENTE_AUTH="dev")

    assert done.returncode == 0, done.stderr
    assert (_mode(tmp_path / "a"), _mode(data)) == (0o700, 0o700)


def test_an_existing_folder_keeps_its_mode_and_a_file_in_the_way_is_named(tmp_path: Path) -> None:
    shared_volume = tmp_path / "volume"
    shared_volume.mkdir(mode=0o750)
    shared_volume.chmod(0o750)
    make_private_dir(shared_volume / "views")
    assert (_mode(shared_volume), _mode(shared_volume / "views")) == (0o750, 0o700)

    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError, match="it exists and is not a folder"):
        make_private_dir(tmp_path / "file")


def test_the_databases_at_the_root_of_a_folder_the_operator_made_are_private(
    tmp_path: Path,
) -> None:
    """Probe 11: in a data folder made by the operator (0755), the access log and the
    reporting area were made 0644 beside the private events/ and views/ folders: any
    account could read who consulted what, and the consolidated figures."""
    data = tmp_path / "entente"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    settings = Settings(data_dir=data, tenants=TENANTS, store="sqlite", auth="dev")
    issuer = DevIssuer(data, settings.issuer, settings.audience, TENANTS)

    with TestClient(platform_app(settings)) as client:
        read = client.get(
            "/api/reporting/figures",
            headers={"Authorization": f"Bearer {issuer.token('reporting')}"},
        )
        assert read.status_code == 200, read.text

    databases = sorted(data.glob("*.sqlite3*"))
    assert {p.name for p in databases} >= {"access-log.sqlite3", "reporting.sqlite3"}
    assert {p.name: _mode(p) for p in databases} == {p.name: 0o600 for p in databases}
    assert _mode(data) == 0o755  # the operator's choice, kept
