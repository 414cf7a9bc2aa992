"""What ``entente serve`` refuses before it listens, each in one line and exit 2 (probe 4).

A port in use (found after the whole start-up), a second server on the same data
folder (they raced on its files), a views file damaged while stopped (a traceback
that named no file) and an event store behind its views (put back from an older
copy, or deleted: new commands were acknowledged and never shown).
"""

from __future__ import annotations

import re
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from services.tenant.bootstrap import bootstrap
from services.tenant.preflight import StoreBehindViewsError, StoreGoneError
from shared.application.ledger import CooperationLedger
from shared.application.stores import SqliteStore
from shared.log.embedded import EmbeddedEventLog
from shared.settings import Settings
from shared.views.projector import Projector
from shared.views.store import open_view_store
from tests.audit.support import sign
from tests.cli import ENTENTE, ROOT, entente

pytestmark = pytest.mark.timeout(120)


def _one_line(ran: subprocess.CompletedProcess[str]) -> str:
    assert ran.returncode == 2, ran.stderr
    (line,) = ran.stderr.strip().splitlines()
    return line


def _recorded(data: Path, signings: int) -> None:
    """``signings`` more police agreements, projected into the views, as a server leaves them."""
    ledger = CooperationLedger("police", SqliteStore(data / "events"))
    start = len(ledger.read_log(0, 10_000))
    for number in range(start, start + signings):
        sign(ledger, f"A-{number}")
    views = open_view_store(None, data, ["police"])
    views.setup()
    Projector(views, EmbeddedEventLog({"police": ledger}), ["police"]).catch_up()
    views.dispose()
    ledger.close()


@pytest.mark.parametrize("command", ["serve", "project"])
def test_a_port_in_use_is_refused_before_anything_is_opened(tmp_path: Path, command: str) -> None:
    """``project`` started projecting, then printed uvicorn's error, exit 3 (probe 11)."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        ran = entente(command, "--port", str(port), ENTENTE_DATA_DIR=str(tmp_path / "data"))

    assert _one_line(ran) == (
        f"entente: cannot listen on 127.0.0.1:{port}: it is in use "
        "(choose another --port, or --host)"
    )
    assert not (tmp_path / "data").exists()  # no store, view or key made


def test_a_second_server_on_one_data_folder_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = subprocess.Popen(
        [str(ENTENTE), "serve", "--port", "0", "--sample-data"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "ENTENTE_DATA_DIR": str(data)},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert first.stdout is not None
        banner = ""
        while "Entente is starting on" not in banner:  # the port it got, not 0
            banner = first.stdout.readline()
            assert banner or first.poll() is None
        url = banner.split(" on ")[1].split()[0]
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline
            assert first.poll() is None
            time.sleep(0.2)

        second = entente("serve", "--port", "0", "--sample-data", ENTENTE_DATA_DIR=str(data))

        assert _one_line(second) == (
            f"entente: another `entente serve` (process {first.pid}) uses the data folder "
            f"{data}: two servers on one folder race on its files; stop it, or set another "
            "ENTENTE_DATA_DIR"
        )
    finally:
        first.terminate()
        first.wait(timeout=30)


def test_a_damaged_views_file_is_named_with_the_fix(tmp_path: Path) -> None:
    _recorded(tmp_path, 2)
    views = tmp_path / "views" / "police.views.sqlite3"
    with views.open("r+b") as damaged:
        damaged.write(b"not a database, not at all")

    line = _one_line(entente("serve", "--port", "0", ENTENTE_DATA_DIR=str(tmp_path)))

    assert line.startswith("entente: the views cannot be opened (file is not a database): ")
    assert str(views) in line
    assert "delete the damaged file, and start; they are rebuilt from the store" in line


def test_a_store_behind_its_views_is_not_served(tmp_path: Path) -> None:
    store = tmp_path / "events" / "police.events.sqlite3"
    copy = tmp_path / "older.sqlite3"
    _recorded(tmp_path, 1)
    copy.write_bytes(store.read_bytes())
    _recorded(tmp_path, 3)
    for leftover in store.parent.glob("police.events.sqlite3*"):
        leftover.unlink()
    store.write_bytes(copy.read_bytes())

    line = _one_line(entente("serve", "--port", "0", ENTENTE_DATA_DIR=str(tmp_path)))
    platform = bootstrap(Settings(data_dir=tmp_path, tenants=["police"], auth="dev"))
    with pytest.raises(StoreBehindViewsError):
        platform.preflight()
    platform.views.dispose()
    platform.ledger("police").close()

    assert line.startswith("entente: the event store of 'police' ends at position ")
    assert "but its views reflect position" in line
    assert "a new command would be acknowledged and never shown. Nothing was served" in line
    assert str(tmp_path / "views" / "police.views.sqlite3") in line


@pytest.mark.parametrize("how", ["deleted", "emptied"])
def test_a_store_gone_under_its_views_is_not_made_again_empty(tmp_path: Path, how: str) -> None:
    """Probe 11: the refusal came after the library had made an empty store in its place,
    which ``audit verify`` then passed ("0 events ... OK"); a relay and a rebuild made
    one too. Nothing makes it now, and the audit still refuses the missing store."""
    store = tmp_path / "events" / "police.events.sqlite3"
    _recorded(tmp_path, 3)
    for leftover in store.parent.glob("police.events.sqlite3*"):
        leftover.unlink()
    if how == "emptied":
        store.write_bytes(b"")

    line = _one_line(entente("serve", "--port", "0", ENTENTE_DATA_DIR=str(tmp_path)))
    with pytest.raises(StoreGoneError):
        bootstrap(Settings(data_dir=tmp_path, tenants=["police"], auth="dev"))
    others = [
        entente(*command, ENTENTE_DATA_DIR=str(tmp_path))
        for command in (
            ("projections", "rebuild", "police"),
            ("relay", "police"),
            ("audit", "verify", "police"),
        )
    ]

    assert line.startswith("entente: the event store of 'police' is not there (no file ")
    assert re.search(r"but its views reflect position [1-9]\d*: it was deleted or emptied", line)
    assert "Nothing was made or served" in line
    for ran in others:
        refusal = _one_line(ran)
        assert "no event store of 'police'" in refusal or "holds no events table" in refusal
    # Nothing made a store (or an events table) in its place.
    assert sorted(p.name for p in store.parent.glob("police.events.sqlite3*")) == (
        [] if how == "deleted" else ["police.events.sqlite3"]
    )
    if how == "emptied":
        assert store.stat().st_size == 0
