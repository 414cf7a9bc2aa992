"""A rebuilt reporting area keeps its pair and alert ids: its key is kept outside it.

The ids are derived from the area's key. Made in the area, the key went with it:
a rebuild raised every alert again under new ids, and a subscriber that
deduplicates by id took them all for new ones.
"""

from __future__ import annotations

import base64
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.reporting.bootstrap import ReportingService
from services.reporting.embedded import embedded_reporting
from services.reporting.settings import ReportingSettings
from shared.access_log import AccessLog
from shared.errors import ConfigurationError
from shared.reporting import cursors, queries
from shared.reporting.area_key import KEY_FILE
from shared.reporting.postgres import PostgresReportingStore
from shared.reporting.store import SQLITE_FILE
from tests.cli import entente
from tests.reporting.support import TENANTS, World
from tests.reporting.test_overlaps import record_cases

Ids = tuple[list[str], list[str]]
KEY = os.urandom(32)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    found = World.open(tmp_path / "events")
    record_cases(found)
    yield found
    found.close()


def _service(world: World, settings: ReportingSettings) -> ReportingService:
    return embedded_reporting(
        settings, world.ledgers, access=AccessLog.open(None, settings.data_dir)
    )


def _ids(service: ReportingService) -> Ids:
    """The overlap pairs' ids and the alerts' ids, once the area is caught up."""
    service.projector.catch_up()
    store = service.store
    pairs = [item["pair"] for item in queries.overlaps(store, TENANTS, queries.Filters())["items"]]
    alerts = [item["id"] for item in queries.alerts(store, TENANTS, limit=500)["items"]]
    service.store.dispose()
    service.access.dispose()
    assert pairs, "the cases make overlaps"
    assert alerts, "and raise alerts"
    return pairs, alerts


def _rebuilt(world: World, settings: ReportingSettings) -> Ids:
    """The ids after the embedded area is deleted and made again from the log."""
    for path in settings.data_dir.glob(f"{SQLITE_FILE}*"):
        path.unlink()
    service = _service(world, settings)
    service.prepare()
    return _ids(service)


def test_the_embedded_area_rebuilt_from_the_log_keeps_its_ids(world: World, tmp_path: Path) -> None:
    settings = ReportingSettings(data_dir=tmp_path / "data", tenants=TENANTS)
    first = _service(world, settings)
    first.prepare()

    before = _ids(first)
    key_file = settings.data_dir / KEY_FILE

    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert _rebuilt(world, settings) == before


def test_an_area_made_before_the_key_file_gives_it_its_key_and_keeps_its_ids(
    world: World, tmp_path: Path
) -> None:
    """An upgrade: the area keyed itself (no key file); its key becomes the file's."""
    settings = ReportingSettings(data_dir=tmp_path / "data", tenants=TENANTS)
    older = _service(world, settings)
    older.store.setup()  # as before: no key file, the key made in the area
    before = _ids(older)

    upgraded = _service(world, settings)
    upgraded.prepare()
    upgraded.store.dispose()
    upgraded.access.dispose()

    assert (settings.data_dir / KEY_FILE).exists()
    assert _rebuilt(world, settings) == before


def test_the_key_setting_seeds_the_area_and_an_area_of_another_key_is_refused(
    world: World, tmp_path: Path
) -> None:
    text = base64.urlsafe_b64encode(KEY).decode().rstrip("=")
    settings = ReportingSettings(data_dir=tmp_path / "data", tenants=TENANTS, reporting_key=text)
    service = _service(world, settings)
    service.prepare()
    with service.store.read() as session:
        assert cursors.stored_key(session) == KEY
    service.store.dispose()
    service.access.dispose()
    assert not (settings.data_dir / KEY_FILE).exists()  # the setting is the key's place

    other = base64.urlsafe_b64encode(os.urandom(32)).decode()
    rekeyed = _service(world, settings.model_copy(update={"reporting_key": other}))
    with pytest.raises(ConfigurationError, match="keyed with another key than ENTENTE_REPORTING"):
        rekeyed.prepare()
    rekeyed.store.dispose()
    rekeyed.access.dispose()


def test_an_area_keyed_by_itself_is_adopted_with_the_key_the_command_prints(
    world: World, tmp_path: Path
) -> None:
    """A compose install made before ENTENTE_REPORTING_KEY: its area refused any key
    given later. ``entente reporting key`` prints its own, which is then accepted."""
    settings = ReportingSettings(
        data_dir=tmp_path / "data",
        tenants=TENANTS,
        reporting_key=" ",  # compose's empty REPORTING_KEY: not set
    )
    none_yet = entente("reporting", "key", ENTENTE_DATA_DIR=str(settings.data_dir))
    older = _service(world, settings)
    older.store.setup()  # keyed by itself, as areas made without the setting were
    before = _ids(older)

    printed = entente("reporting", "key", ENTENTE_DATA_DIR=str(settings.data_dir))
    adopted = _service(world, settings.model_copy(update={"reporting_key": printed.stdout}))
    adopted.prepare()  # accepted: the same key

    assert (none_yet.returncode, none_yet.stdout) == (2, "")
    assert none_yet.stderr.startswith("entente: no reporting area at ")  # none made
    assert printed.returncode == 0, printed.stderr
    assert _ids(adopted) == before


def test_the_key_command_says_when_the_setting_holds_another_key(
    world: World, tmp_path: Path
) -> None:
    """Probe 11: it printed the area's key and exit 0 whatever ENTENTE_REPORTING_KEY held,
    so an operator checking the secret against the area learnt nothing; and on a
    mistyped folder it made one, with an area in it, before saying "no key yet"."""
    settings = ReportingSettings(data_dir=tmp_path / "data", tenants=TENANTS)
    made = _service(world, settings)
    made.prepare()  # the embedded area keys itself (reporting.key)
    made.store.dispose()
    made.access.dispose()
    own = (settings.data_dir / KEY_FILE).read_text().strip()
    other = base64.urlsafe_b64encode(os.urandom(32)).decode()
    folder = str(settings.data_dir)

    same = entente("reporting", "key", ENTENTE_DATA_DIR=folder, ENTENTE_REPORTING_KEY=own)
    differs = entente("reporting", "key", ENTENTE_DATA_DIR=folder, ENTENTE_REPORTING_KEY=other)
    no_key = entente("reporting", "key", ENTENTE_DATA_DIR=folder, ENTENTE_REPORTING_KEY="abc")
    mistyped = entente("reporting", "key", ENTENTE_DATA_DIR=str(tmp_path / "datta"))

    assert (same.returncode, same.stdout.strip(), same.stderr) == (0, own, "")
    assert (differs.returncode, differs.stdout.strip()) == (1, own)
    assert "ENTENTE_REPORTING_KEY holds another key than this area's" in differs.stderr
    assert no_key.returncode == 2
    assert "ENTENTE_REPORTING_KEY is not a reporting key" in no_key.stderr
    assert mistyped.returncode == 2
    assert not (tmp_path / "datta").exists()


def test_serve_refuses_an_area_keyed_otherwise_in_one_line(world: World, tmp_path: Path) -> None:
    """Probe 11: the refusal came from the app's start, after the banner, as forty lines
    of traceback and exit 3; start-up refusals are one line and exit 2."""
    settings = ReportingSettings(data_dir=tmp_path / "data", tenants=TENANTS)
    made = _service(world, settings)
    made.prepare()
    made.store.dispose()
    made.access.dispose()
    other = base64.urlsafe_b64encode(os.urandom(32)).decode()

    ran = entente(
        "serve",
        "--port",
        "0",
        ENTENTE_DATA_DIR=str(settings.data_dir),
        ENTENTE_TENANTS=",".join(TENANTS),
        ENTENTE_REPORTING_KEY=other,
    )

    assert ran.returncode == 2, ran.stderr
    assert ran.stdout == ""  # no banner: refused before it
    assert ran.stderr.strip().splitlines() == [
        "entente: the reporting area was keyed with another key than ENTENTE_REPORTING_KEY's: "
        "its overlap pair and alert ids come from that key. Give back the key it was made "
        "with, or drop the area to rebuild it under this one (its ids then change once: "
        "tell the subscribers of its alerts)"
    ]


@pytest.mark.parametrize("text", ["not base64 !", base64.urlsafe_b64encode(b"short").decode()])
def test_a_key_setting_that_is_not_a_key_is_refused_naming_it(
    world: World, tmp_path: Path, text: str
) -> None:
    settings = ReportingSettings(data_dir=tmp_path, tenants=TENANTS, reporting_key=text)
    service = _service(world, settings)

    with pytest.raises(ConfigurationError, match="ENTENTE_REPORTING_KEY is not a reporting key"):
        service.prepare()
    service.store.dispose()
    service.access.dispose()


@pytest.mark.postgres
def test_a_postgres_area_seeded_by_the_setting_keeps_its_ids_across_a_rebuild(
    world: World, tmp_path: Path, postgres_url: str
) -> None:
    schema = f"k{os.urandom(5).hex()}_entente_reporting"
    settings = ReportingSettings(
        data_dir=tmp_path,
        tenants=TENANTS,
        reporting_url=postgres_url,
        reporting_schema=schema,
        reporting_key=base64.urlsafe_b64encode(KEY).decode(),
    )
    try:
        first = _service(world, settings)
        first.prepare()
        before = _ids(first)
        PostgresReportingStore(postgres_url, schema).drop()  # the area dropped, rebuilt
        again = _service(world, settings)
        again.prepare()

        assert _ids(again) == before
        assert not (tmp_path / KEY_FILE).exists()
    finally:
        PostgresReportingStore(postgres_url, schema).drop()
