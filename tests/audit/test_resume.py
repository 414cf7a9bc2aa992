"""Long operations stop cleanly between pages and resume where they stopped.

``StopAfter`` plays Ctrl-C deterministically (the CLI's ``CtrlC`` sets the
same flag from SIGINT: tests/audit/test_cli.py sends a real one).
"""

from __future__ import annotations

import json
import zipfile
from datetime import datetime
from pathlib import Path

import pytest

from shared.application.ledger import CooperationLedger
from shared.application.stores import SqliteStore
from shared.audit.bundle import verify_bundle
from shared.audit.cli import _summary as summary
from shared.audit.errors import ResumeStateError
from shared.audit.export import export_bundle, partial_dir
from shared.audit.progress import Interrupted
from shared.audit.replay import replay_tenant, scratch_views
from shared.audit.verify import verify_tenant
from shared.log.embedded import EmbeddedEventLog
from shared.views.projector import Projector
from shared.views.store import open_view_store
from shared.views.tracking import tracked_offset

from .support import StopAfter, write_history


@pytest.fixture
def sqlite_ledger(tmp_path: Path) -> CooperationLedger:
    ledger = CooperationLedger("police", SqliteStore(tmp_path / "events"))
    write_history(ledger, records=4, rounds=2)  # 12 events
    return ledger


def _events(bundle: Path) -> bytes:
    with zipfile.ZipFile(bundle) as archive:
        return archive.read("events.jsonl")


def test_an_interrupted_export_resumes_after_its_last_complete_line(
    sqlite_ledger: CooperationLedger, tmp_path: Path
) -> None:
    out = tmp_path / "police.zip"
    with pytest.raises(Interrupted):
        export_bundle(sqlite_ledger, out, page_size=5, stop=StopAfter(1))
    partial = partial_dir(out) / "events.jsonl"
    assert not out.exists()
    assert len(partial.read_text().splitlines()) == 5
    with partial.open("a") as stream:
        stream.write('{"position": 99, "li')  # the process died mid-write

    manifest = export_bundle(sqlite_ledger, out, resume=True, page_size=5)

    export_bundle(sqlite_ledger, tmp_path / "whole.zip")
    assert _events(out) == _events(tmp_path / "whole.zip")
    assert manifest["count"] == 12
    assert verify_bundle(out).ok
    assert not partial_dir(out).exists()
    with pytest.raises(ResumeStateError):
        export_bundle(sqlite_ledger, out, resume=True)


def test_an_interrupted_verification_resumes_from_its_saved_position_and_link(
    sqlite_ledger: CooperationLedger, tmp_path: Path
) -> None:
    state = tmp_path / "verify.state.jsonl"
    with pytest.raises(Interrupted):
        verify_tenant(sqlite_ledger, state=state, page_size=4, stop=StopAfter(2))
    saved = [json.loads(line) for line in state.read_text().splitlines()]
    assert saved[0]["kind"] == "entente-verify-state"
    assert len(saved) == 1 + 8

    resumed = verify_tenant(sqlite_ledger, state=state, resume=True, page_size=4)

    whole = verify_tenant(sqlite_ledger)
    assert resumed.ok
    assert (resumed.events, resumed.head, resumed.last_position) == (
        whole.events,
        whole.head,
        whole.last_position,
    )
    assert not state.exists()
    with pytest.raises(ResumeStateError):
        verify_tenant(sqlite_ledger, state=state, resume=True)
    # It says what it took on trust, and since when (it said nothing: probe 11).
    assert whole.resumed is None
    assert resumed.resumed is not None
    assert (resumed.resumed.events, resumed.resumed.started) == (8, saved[0]["started"])
    assert resumed.resumed.through == saved[-1]["position"]
    assert resumed.as_json()["resumed"] == {
        "through": saved[-1]["position"],
        "events": 8,
        "started": saved[0]["started"],
    }
    assert datetime.fromisoformat(saved[0]["started"]).tzinfo is not None
    said = [line for line in summary(resumed) if line.startswith("note: resumed")]
    assert said == [
        f"note: resumed: the 8 events up to position {saved[-1]['position']} were read by the "
        f"run started {saved[0]['started']}, not again; a change made there since is not "
        "seen (run without --resume to read the whole store)"
    ]


def test_a_verification_state_of_another_tenant_is_refused(
    sqlite_ledger: CooperationLedger, tmp_path: Path
) -> None:
    state = tmp_path / "verify.state.jsonl"
    state.write_text('{"kind": "entente-verify-state", "tenant": "gendarmerie", "chain": "x"}\n')

    with pytest.raises(ResumeStateError, match="not a verification state of 'police'"):
        verify_tenant(sqlite_ledger, state=state, resume=True)


def test_an_interrupted_replay_resumes_from_the_scratch_views_own_tracking(
    sqlite_ledger: CooperationLedger, tmp_path: Path
) -> None:
    log = EmbeddedEventLog({"police": sqlite_ledger})
    live = open_view_store(None, tmp_path, ["police"])
    live.setup()
    Projector(live, log, ["police"]).catch_up()
    scratch = scratch_views(None, tmp_path, "police")
    with pytest.raises(Interrupted):
        replay_tenant(live, scratch, log, "police", page_size=3, stop=StopAfter(1))
    with scratch.read("police") as session:
        assert tracked_offset(session, "entente.police.events", 0) > 0

    report = replay_tenant(live, scratch, log, "police", resume=True, page_size=3)

    assert report.ok, [d.line() for d in report.differences]
    assert report.rows["agreements"] == 4
