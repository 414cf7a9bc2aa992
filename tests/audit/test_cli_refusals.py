"""What ``entente audit`` refuses: paths it did not write, malformed bundles, missing stores.

An audit only reads the platform and only replaces what it wrote itself. Whatever
it cannot use is refused with one line naming the file or option and exit code 2
("the audit could not run"), never a traceback and never exit code 1, which means
findings. A bundle whose manifest is malformed cannot be read (2); an event line
that is malformed inside a readable bundle is an altered line (a finding, 1).
"""

from __future__ import annotations

import contextlib
import json
import socket
import sqlite3
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from typer.testing import CliRunner, Result

from shared.application.ledger import CooperationLedger
from shared.application.stores import SqliteStore
from shared.audit import bundle as bundle_format
from shared.audit.bundle import verify_bundle
from shared.audit.errors import BundleError, RefusedPathError, ResumeStateError
from shared.audit.export import STATE, export_bundle, partial_dir
from shared.audit.findings import Kind
from shared.audit.progress import Interrupted
from shared.audit.verify import verify_tenant
from shared.cli.main import app
from shared.errors import EntenteError, NotFoundError

from ..cli import entente
from .support import StopAfter, projected_history

PRECIOUS = b"precious line 1\nprecious line 2"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A police store with a small history, its live views and a bundle (``police.zip``)."""
    data = tmp_path / "data"
    projected_history(data)
    ledger = CooperationLedger("police", SqliteStore(data / "events"))
    export_bundle(ledger, tmp_path / "police.zip")
    ledger.close()
    return data


@pytest.fixture
def ledger(data_dir: Path) -> CooperationLedger:
    return CooperationLedger("police", SqliteStore(data_dir / "events"))


def _env(data_dir: Path) -> dict[str, str]:
    return {
        "ENTENTE_DATA_DIR": str(data_dir),
        "ENTENTE_TENANTS": '["police"]',
        "ENTENTE_EVENT_LOG": "embedded",
        "ENTENTE_STORE": "sqlite",
    }


def _run(data_dir: Path, *args: str) -> Result:
    return CliRunner(env=_env(data_dir)).invoke(app, ["audit", *args])


def _refusal(result: Result) -> str:
    """The detail of the EntenteError a command stopped with (the CLI prints it, exit 2)."""
    assert isinstance(result.exception, EntenteError), (result.output, result.exception)
    return result.exception.detail


def _one_line(stderr: str) -> str:
    """The one line a refusal prints (progress counters, rewritten with ``\\r``, aside)."""
    lines = [line for line in stderr.splitlines() if line.startswith("entente: ")]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr, stderr
    return lines[0]


def _with_manifest(bundle: Path, out: Path, change: Callable[[Any], Any] | bytes) -> Path:
    """A copy of ``bundle`` whose manifest is changed (or replaced by raw bytes)."""
    with zipfile.ZipFile(bundle) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    if isinstance(change, bytes):
        files["manifest.json"] = change
    else:
        files["manifest.json"] = json.dumps(change(json.loads(files["manifest.json"]))).encode()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out


def _with_line(bundle: Path, out: Path, number: int, line: bytes) -> Path:
    """A copy of ``bundle`` whose events line ``number`` (from 1) is replaced."""
    with zipfile.ZipFile(bundle) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    lines = files["events.jsonl"].split(b"\n")
    lines[number - 1] = line
    files["events.jsonl"] = b"\n".join(lines)
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda manifest: {**manifest, key: value}


def _drop(key: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda manifest: {k: v for k, v in manifest.items() if k != key}


# 1. --state: only a saved verification is ever overwritten (or resumed, or deleted).


def test_an_existing_file_given_as_state_is_refused_and_never_touched(
    ledger: CooperationLedger, tmp_path: Path
) -> None:
    other = tmp_path / "gendarmerie.events.sqlite3"
    other.write_bytes(PRECIOUS)

    with pytest.raises(RefusedPathError, match="is not a saved verification"):
        verify_tenant(ledger, state=other)
    with pytest.raises(ResumeStateError, match="not a verification state of 'police'"):
        verify_tenant(ledger, state=other, resume=True)

    assert other.read_bytes() == PRECIOUS  # neither overwritten, deleted nor cut


def test_an_empty_state_file_is_overwritten(ledger: CooperationLedger, tmp_path: Path) -> None:
    """A verification cut short on a full disk left one, and every later run was refused
    until it was deleted by hand (probe 4): an empty file holds nothing to lose."""
    state = tmp_path / "verify.state.jsonl"
    state.touch()

    assert verify_tenant(ledger, state=state).ok
    assert not state.exists()


def test_a_saved_verification_is_overwritten_and_removed_when_done(
    ledger: CooperationLedger, tmp_path: Path
) -> None:
    state = tmp_path / "verify.state.jsonl"
    with pytest.raises(Interrupted):
        verify_tenant(ledger, state=state, page_size=2, stop=StopAfter(1))

    assert verify_tenant(ledger, state=state).ok  # a fresh run over its own state
    assert not state.exists()


def test_a_corrupt_saved_verification_is_refused_on_resume(
    ledger: CooperationLedger, tmp_path: Path
) -> None:
    state = tmp_path / "verify.state.jsonl"
    with pytest.raises(Interrupted):
        verify_tenant(ledger, state=state, page_size=2, stop=StopAfter(1))
    with state.open("a") as stream:
        stream.write('{"position": "x"}\n{"torn')

    with pytest.raises(ResumeStateError, match=r"is corrupt: line 4 is not a saved entry"):
        verify_tenant(ledger, state=state, resume=True)


def test_state_options_that_name_no_usable_file_are_one_line_refusals(
    data_dir: Path, tmp_path: Path
) -> None:
    other = tmp_path / "notes.txt"
    other.write_bytes(PRECIOUS)
    env = _env(data_dir)

    empty = entente("audit", "verify", "police", "--state", "", **env)
    folder = entente("audit", "verify", "police", "--state", str(tmp_path), **env)
    resumed = entente("audit", "verify", "police", "--state", str(tmp_path), "--resume", **env)
    existing = entente("audit", "verify", "police", "--state", str(other), **env)

    assert (empty.returncode, _one_line(empty.stderr)) == (
        2,
        "entente: --state is empty: name a file",
    )
    assert folder.returncode == 2
    assert _one_line(folder.stderr) == f"entente: state file {tmp_path} is a directory"
    assert resumed.returncode == 2
    assert _one_line(resumed.stderr) == f"entente: state file {tmp_path} is a directory"
    assert existing.returncode == 2
    assert f"state file {other} exists" in _one_line(existing.stderr)
    assert other.read_bytes() == PRECIOUS


@pytest.mark.parametrize("option", ["--state", "--out"])
def test_a_file_in_a_folder_that_does_not_exist_is_refused_and_no_folder_made(
    data_dir: Path, tmp_path: Path, option: str
) -> None:
    """A typo in the folder made it, with every missing parent, wherever it pointed."""
    typo = tmp_path / "nowhere" / "deeper" / "f.jsonl"
    command = ["verify", "police"] if option == "--state" else ["export", "police"]

    refused = _run(data_dir, *command, option, str(typo))

    assert isinstance(refused.exception, RefusedPathError)
    assert _refusal(refused) == f"{option} {typo}: the folder {typo.parent} does not exist"
    assert not (tmp_path / "nowhere").exists()


# 2. Malformed bundles: an unreadable manifest is exit 2, a malformed line a finding.


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (b"[]", "manifest.json is not a JSON object (a list)"),
        (b'"x"', "manifest.json is not a JSON object (a string)"),
        (b"[" * 100_000, "manifest.json is not JSON (nested too deeply)"),
        (_drop("tenant"), "manifest.json: tenant is missing"),
        (_set("tenant", 5), "manifest.json: tenant must be a string, not a number"),
        (_set("tenant", "\ud800"), "manifest.json: tenant is not valid Unicode text"),
        (_drop("genesis"), "manifest.json: genesis is missing"),
        (_set("head", None), "manifest.json: head must be a string, not null"),
        (_set("count", "abc"), "manifest.json: count must be a whole number, not a string"),
        (_set("count", None), "manifest.json: count must be a whole number, not null"),
        (_set("files", [1]), "manifest.json: files must be an object, not a list"),
        (
            _set("files", {"events.jsonl": {}}),
            "manifest.json: files.events.jsonl.sha256 is missing",
        ),
        (_set("checkpoints", "abc"), "manifest.json: checkpoints must be a list, not a string"),
        (
            _set("checkpoints", [{"size": "x"}]),
            "manifest.json: checkpoints[0].size must be a whole number, not a string",
        ),
        (
            _set("checkpoints", [{"size": 1, "head": "a", "position": 1, "time": "notatime"}]),
            "manifest.json: checkpoints[0].time is not an ISO 8601 date and time",
        ),
    ],
)
def test_a_malformed_manifest_makes_the_bundle_unreadable(
    data_dir: Path, tmp_path: Path, change: Callable[[Any], Any] | bytes, reason: str
) -> None:
    bundle = _with_manifest(tmp_path / "police.zip", tmp_path / "bad.zip", change)

    with pytest.raises(BundleError) as refused:
        verify_bundle(bundle)

    assert refused.value.detail == f"{bundle}: {reason}"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"[" * 100_000, " is not an event line (RecursionError"),
        (b"5", " is not an event line (TypeError: a line must be a JSON object, not a number)"),
        (b'{"position": 3, "undecodable": "\\ud800"}', ": the store's event could not be decoded"),
    ],
)
def test_a_malformed_event_line_is_an_altered_line(
    data_dir: Path, tmp_path: Path, line: bytes, reason: str
) -> None:
    bundle = _with_line(tmp_path / "police.zip", tmp_path / "bad.zip", 3, line)

    report = verify_bundle(bundle)

    assert not report.ok
    named = [f for f in report.findings if f.detail.startswith(("line 3 ", "line 3:"))]
    assert [f.kind for f in named] == [Kind.ALTERED]
    assert named[0].detail.startswith(f"line 3{reason}")
    assert report.first == named[0]  # not line 4, whose link breaks because of it
    json.dumps(report.as_json(), ensure_ascii=False).encode()  # printable as it is


def _with_member(bundle: Path, out: Path, name: str, data: bytes) -> Path:
    """A copy of ``bundle`` with member ``name`` replaced, or added."""
    with zipfile.ZipFile(bundle) as archive:
        files = {member: archive.read(member) for member in archive.namelist()}
    files[name] = data
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, content in files.items():
            archive.writestr(member, content)
    return out


def test_a_bundle_unzipping_to_empty_lines_is_read_with_bounded_findings(
    data_dir: Path, tmp_path: Path
) -> None:
    """160 KB unzipped to 20 million empty lines: a finding each, 6.8 GB, four minutes."""
    with zipfile.ZipFile(tmp_path / "police.zip") as archive:
        events = archive.read("events.jsonl")
    bomb = _with_member(
        tmp_path / "police.zip", tmp_path / "bomb.zip", "events.jsonl", events + b"\n" * 50_000
    )

    report = verify_bundle(bomb)

    assert not report.ok
    assert len(report.findings) <= bundle_format.MAX_LINE_FINDINGS + 10
    assert any(f.detail.startswith("stopped reading events.jsonl") for f in report.findings)


def test_a_line_longer_than_any_event_is_named_and_not_held(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bundle_format, "MAX_LINE", 4096)
    monkeypatch.setattr(bundle_format, "_CHUNK", 1000)  # the line spans many chunks
    bundle = _with_line(tmp_path / "police.zip", tmp_path / "long.zip", 3, b"x" * 50_000)

    report = verify_bundle(bundle)

    assert report.first is not None
    assert report.first.detail == "line 3 is longer than 4096 bytes: not read"


def test_an_oversized_manifest_makes_the_bundle_unreadable(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bundle_format, "MAX_SMALL_MEMBER", 1024)
    bundle = _with_manifest(tmp_path / "police.zip", tmp_path / "m.zip", b" " * 2048 + b"{}")

    with pytest.raises(BundleError, match=r"manifest\.json unzips to 2050 bytes"):
        verify_bundle(bundle)


def test_a_bundle_without_its_readme_says_it_is_missing(data_dir: Path, tmp_path: Path) -> None:
    """It was an ALTERED README whose sha256 was the empty file's."""
    with zipfile.ZipFile(tmp_path / "police.zip") as archive:
        files = {n: archive.read(n) for n in archive.namelist() if n != "README.txt"}
    with zipfile.ZipFile(tmp_path / "no-readme.zip", "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)

    report = verify_bundle(tmp_path / "no-readme.zip")

    assert [(f.kind, f.detail) for f in report.findings] == [
        (Kind.MISSING, "the bundle has no README.txt")
    ]


def test_a_file_an_export_never_writes_is_a_finding(data_dir: Path, tmp_path: Path) -> None:
    bundle = _with_member(tmp_path / "police.zip", tmp_path / "x.zip", "../../evil.txt", b"x")

    report = verify_bundle(bundle)

    assert [f.detail for f in report.findings] == [
        "the bundle holds a file an export never writes: '../../evil.txt'"
    ]
    assert report.findings[0].kind is Kind.INSERTED


def test_a_lone_surrogate_in_an_event_is_an_altered_line(data_dir: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "police.zip") as archive:
        row = json.loads(archive.read("events.jsonl").splitlines()[1])
    row["event"]["data"]["title"] = "\ud800"
    bundle = _with_line(tmp_path / "police.zip", tmp_path / "bad.zip", 2, json.dumps(row).encode())

    report = verify_bundle(bundle)

    first = report.first
    assert first is not None
    assert first.kind == Kind.ALTERED
    assert "line 2 is not an event line (UnicodeEncodeError" in first.detail


def test_malformed_bundles_exit_2_or_1_on_the_command_line(data_dir: Path, tmp_path: Path) -> None:
    manifest = _with_manifest(tmp_path / "police.zip", tmp_path / "m.zip", b"[]")
    line = _with_line(tmp_path / "police.zip", tmp_path / "l.zip", 3, b"[" * 100_000)
    env = _env(data_dir)

    unreadable = entente("audit", "verify", "--bundle", str(manifest), **env)
    against = entente("audit", "verify", "police", "--against", str(manifest), **env)
    altered = entente("audit", "verify", "--bundle", str(line), **env)

    assert unreadable.returncode == 2
    assert _one_line(unreadable.stderr) == (
        f"entente: {manifest}: manifest.json is not a JSON object (a list)"
    )
    assert against.returncode == 2
    assert "manifest.json is not a JSON object" in _one_line(against.stderr)
    assert altered.returncode == 1, altered.stderr
    assert "Traceback" not in altered.stderr
    assert "line 3 is not an event line (RecursionError" in altered.stdout


# 3. The audit commands read: a store or views that are not there are refused, not made.


COMMANDS = [["verify", "police"], ["replay", "police"], ["export", "police", "--out", "OUT"]]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_missing_sqlite_event_store_is_refused_and_not_created(
    data_dir: Path, tmp_path: Path, command: list[str]
) -> None:
    store = data_dir / "events" / "police.events.sqlite3"
    store.unlink()
    args = [str(tmp_path / "p.zip") if arg == "OUT" else arg for arg in command]

    refused = _run(data_dir, *args)

    assert isinstance(refused.exception, NotFoundError)
    assert _refusal(refused) == (
        f"no event store of 'police' at {store} (is ENTENTE_DATA_DIR right?)"
    )
    assert not store.exists()
    assert not (tmp_path / "p.zip").exists()


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("state", None, "its state is NULL, not stored bytes"),
        ("state", '{"title": "x"}', 'its state is str \'{"title": "x"}\', not stored bytes'),
        ("originator_version", None, "its version is NULL, not a whole number"),
        ("originator_version", "four", "its version is str 'four', not a whole number"),
    ],
    ids=["state-null", "state-text", "version-null", "version-text"],
)
def test_a_stored_value_of_the_wrong_type_is_an_altered_event_not_a_traceback(
    data_dir: Path, tmp_path: Path, column: str, value: object, reason: str
) -> None:
    """SQLite keeps any type in any column: a NULL state was a TypeError (exit 1, as findings)."""
    store = data_dir / "events" / "police.events.sqlite3"
    with contextlib.closing(sqlite3.connect(store)) as db:
        rowid = _second_event(db)
        (stored,) = db.execute(
            "SELECT originator_id FROM stored_events WHERE rowid = ?", (rowid,)
        ).fetchone()
        record = UUID(hex=stored) if isinstance(stored, str) else UUID(bytes=stored)
        db.execute(f"UPDATE stored_events SET {column} = ? WHERE rowid = ?", (value, rowid))
        db.commit()

    verified = _run(data_dir, "verify", "police")
    against = _run(data_dir, "verify", "police", "--against", str(tmp_path / "police.zip"))

    for result in (verified, against):
        assert result.exit_code == 1, result.output  # findings, not a crash
        assert f"cannot be decoded: {reason}" in result.output
        assert f"the stored event of record {record}" in result.output  # to look it up


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("tenant", "gendarmerie", "it names tenant 'gendarmerie', in the store of 'police'"),
        (
            "originator_topic",
            "shared.domain.mission:Mission",
            "its creation names the record type 'shared.domain.mission:Mission'",
        ),
    ],
    ids=["tenant", "record-type"],
)
def test_an_event_that_cannot_be_this_store_s_is_found_without_a_witness(
    data_dir: Path, field: str, value: str, reason: str
) -> None:
    """Events moved from another tenant's store, or a creation naming another record type,
    verified OK from the store alone (and even against a bundle, for the record type),
    then were served by the wrong directorate's routes or broke every read of the record."""
    store = data_dir / "events" / "police.events.sqlite3"
    with contextlib.closing(sqlite3.connect(store)) as db:
        (rowid, state) = db.execute(
            "SELECT rowid, state FROM stored_events WHERE topic LIKE 'shared.domain.agreement:%' "
            "AND originator_version = 1 ORDER BY rowid LIMIT 1"
        ).fetchone()
        fields = json.loads(state)
        fields[field] = value
        db.execute(
            "UPDATE stored_events SET state = ? WHERE rowid = ?",
            (json.dumps(fields).encode(), rowid),
        )
        db.commit()

    verified = _run(data_dir, "verify", "police")

    assert verified.exit_code == 1, verified.output
    assert f"ALTERED in the store at position {rowid}" in verified.output
    assert reason in verified.output


def test_a_replay_of_a_store_that_lost_its_last_events_says_so(data_dir: Path) -> None:
    """It said the scratch replay was ahead of the live views, and to run without --resume."""
    store = data_dir / "events" / "police.events.sqlite3"
    with contextlib.closing(sqlite3.connect(store)) as db:
        db.execute("DELETE FROM stored_events WHERE rowid = (SELECT MAX(rowid) FROM stored_events)")
        db.commit()

    replayed = _run(data_dir, "replay", "police")

    assert replayed.exit_code == 1, replayed.output
    assert "\nSTOPPED: the log ends before the offsets the live views" in replayed.output
    assert "--resume" not in replayed.output


@pytest.mark.parametrize("state", [None, b"not json", b'{"title": "cut'])
def test_a_replay_meeting_an_undecodable_event_stops_with_a_finding(
    data_dir: Path, state: bytes | None
) -> None:
    """It crashed with a traceback (exit 1, which also means "findings")."""
    store = data_dir / "events" / "police.events.sqlite3"
    with contextlib.closing(sqlite3.connect(store)) as db:
        rowid = _second_event(db)
        db.execute("UPDATE stored_events SET state = ? WHERE rowid = ?", (state, rowid))
        db.commit()

    replayed = _run(data_dir, "replay", "police")

    assert replayed.exit_code == 1
    assert isinstance(replayed.exception, SystemExit)  # typer's Exit, not a traceback
    stopped = replayed.output.split("\n")[-2]  # after the progress line, if any
    assert stopped.startswith("STOPPED: entente.police.events holds an event"), replayed.output
    assert "`entente audit verify` names every altered event" in replayed.output


def _second_event(db: sqlite3.Connection) -> int:
    """The rowid of the store's second event (claims, a marker and a receipt come between)."""
    (rowid,) = db.execute(
        "SELECT rowid FROM stored_events WHERE topic LIKE 'shared.domain.%' "
        "ORDER BY rowid LIMIT 1 OFFSET 1"
    ).fetchone()
    return int(rowid)


def _delete_a_middle_event(db: sqlite3.Connection) -> None:
    """Deletes the second event of a record that has three or more."""
    db.execute(
        "DELETE FROM stored_events WHERE originator_version = 2 AND originator_id = ("
        "SELECT originator_id FROM stored_events GROUP BY originator_id "
        "HAVING MAX(originator_version) >= 3 LIMIT 1)"
    )


def _retype_a_first_event(db: sqlite3.Connection) -> None:
    """An agreement's signing with a number for its title: it fails its message schema."""
    (rowid, state) = db.execute(
        "SELECT rowid, state FROM stored_events WHERE topic LIKE '%Signed' LIMIT 1"
    ).fetchone()
    fields = json.loads(state)
    fields["title"] = 12
    db.execute(
        "UPDATE stored_events SET state = ? WHERE rowid = ?", (json.dumps(fields).encode(), rowid)
    )


@pytest.mark.parametrize(
    ("damage", "stop"),
    [
        (_delete_a_middle_event, "is at version 1 in the views; the next event is version 3"),
        # Parked, as the live projector parks it: the record's next event finds it missing.
        (_retype_a_first_event, "is at version 0 in the views; the next event is version 2"),
    ],
    ids=["middle-event-deleted", "first-event-retyped"],
)
def test_a_replay_of_a_history_its_views_cannot_apply_stops_with_a_finding(
    data_dir: Path, damage: Callable[[sqlite3.Connection], None], stop: str
) -> None:
    """The views' version check stopped it with a one-line refusal and exit 2 (not run)."""
    store = data_dir / "events" / "police.events.sqlite3"
    with contextlib.closing(sqlite3.connect(store)) as db:
        damage(db)
        assert db.total_changes == 1
        db.commit()

    replayed = _run(data_dir, "replay", "police")

    assert replayed.exit_code == 1, replayed.output
    assert isinstance(replayed.exception, SystemExit)
    assert "\nSTOPPED: the history cannot be replayed: " in replayed.output, replayed.output
    assert stop in replayed.output


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("damage", ["emptied", "table-dropped"])
def test_a_destroyed_sqlite_event_store_is_refused_and_left_as_it_is(
    data_dir: Path, tmp_path: Path, command: list[str], damage: str
) -> None:
    """Opened as it was, an empty table was made in it and the audit said OK over 0 events."""
    store = data_dir / "events" / "police.events.sqlite3"
    if damage == "emptied":
        store.write_bytes(b"")
    else:
        with contextlib.closing(sqlite3.connect(store)) as db:
            db.execute("DROP TABLE stored_events")
            db.commit()
    before = store.read_bytes()
    args = [str(tmp_path / "p.zip") if arg == "OUT" else arg for arg in command]

    refused = _run(data_dir, *args)

    assert isinstance(refused.exception, NotFoundError)
    assert "holds no events table" in _refusal(refused)
    assert store.read_bytes() == before  # the evidence is left as it was found
    assert not (tmp_path / "p.zip").exists()


@pytest.mark.parametrize("command", COMMANDS)
def test_a_mistyped_data_folder_is_refused_and_not_created(
    tmp_path: Path, command: list[str]
) -> None:
    typo = tmp_path / "dta"
    args = [str(tmp_path / "p.zip") if arg == "OUT" else arg for arg in command]

    refused = _run(typo, *args)

    assert isinstance(refused.exception, FileNotFoundError), refused.output
    assert refused.exception.filename == str(typo)  # main prints "cannot use <it>: ...", exit 2
    assert not typo.exists()
    assert not (tmp_path / "p.zip").exists()


def test_a_mistyped_data_folder_exits_2_naming_it(tmp_path: Path) -> None:
    typo = tmp_path / "dta"

    result = entente("audit", "verify", "police", **_env(typo))

    assert result.returncode == 2
    assert _one_line(result.stderr).startswith(
        f"entente: cannot use {typo}: No such file or directory"
    )
    assert not typo.exists()


def test_replay_refuses_missing_live_views(data_dir: Path) -> None:
    views = data_dir / "views" / "police.views.sqlite3"
    views.unlink()

    refused = _run(data_dir, "replay", "police")

    assert isinstance(refused.exception, NotFoundError)
    assert f"no live views of 'police' at {views}" in _refusal(refused)
    assert not views.exists()


def test_replay_refuses_live_views_missing_a_table_and_leaves_them_as_they_are(
    data_dir: Path,
) -> None:
    """The view store made its tables on first use: the replay recreated the dropped one."""
    views = data_dir / "views" / "police.views.sqlite3"
    with contextlib.closing(sqlite3.connect(views)) as db:
        db.execute("DROP TABLE mission_themes")
        db.commit()
    before = (
        sqlite3.connect(f"{views.as_uri()}?mode=ro", uri=True)
        .execute("SELECT name FROM sqlite_master ORDER BY name")
        .fetchall()
    )

    refused = _run(data_dir, "replay", "police")

    assert isinstance(refused.exception, NotFoundError)
    assert "lack tables (mission_themes)" in _refusal(refused)
    after = (
        sqlite3.connect(f"{views.as_uri()}?mode=ro", uri=True)
        .execute("SELECT name FROM sqlite_master ORDER BY name")
        .fetchall()
    )
    assert after == before  # nothing made in the live views


# 4. --bundle: the tenant named must be the bundle's; live-store options are usage errors.


def test_a_bundle_of_another_tenant_than_the_one_named_is_refused(
    data_dir: Path, tmp_path: Path
) -> None:
    bundle = tmp_path / "police.zip"

    other = _run(data_dir, "verify", "gendarmerie", "--bundle", str(bundle))
    same = _run(data_dir, "verify", "police", "--bundle", str(bundle))

    assert isinstance(other.exception, BundleError)
    assert _refusal(other) == f"{bundle} is a bundle of 'police', not 'gendarmerie'"
    assert same.exit_code == 0, same.output


@pytest.mark.parametrize(
    ("option", "flag"),
    [
        (["--against", "x.zip"], "--against"),
        (["--state", "s.jsonl"], "--state"),
        (["--resume"], "--resume"),
        (["--kafka"], "--kafka/--no-kafka"),
        (["--no-kafka"], "--kafka/--no-kafka"),
        (["--page-size", "10"], "--page-size"),
    ],
)
def test_live_store_options_are_usage_errors_with_a_bundle(
    data_dir: Path, tmp_path: Path, option: list[str], flag: str
) -> None:
    result = _run(data_dir, "verify", "--bundle", str(tmp_path / "police.zip"), *option)

    assert result.exit_code == 2, result.output
    assert flag in result.output
    assert "does not apply with --bundle" in result.output


# 5. export --out: a bundle never replaces anything.


def test_export_refuses_an_existing_out_before_reading(
    ledger: CooperationLedger, data_dir: Path
) -> None:
    store = data_dir / "events" / "police.events.sqlite3"
    before = store.read_bytes()

    with pytest.raises(RefusedPathError, match="already exists: refusing to overwrite it"):
        export_bundle(ledger, store)

    assert store.read_bytes() == before
    assert not partial_dir(store).exists()


def test_export_refuses_a_directory_as_out_and_leaves_nothing(
    ledger: CooperationLedger, tmp_path: Path
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()

    with pytest.raises(RefusedPathError, match="is a directory"):
        export_bundle(ledger, folder)

    assert not partial_dir(folder).exists()
    assert not folder.with_name("out.tmp").exists()


def test_export_never_replaces_a_partial_folder_it_did_not_write(
    ledger: CooperationLedger, tmp_path: Path
) -> None:
    out = tmp_path / "mine.zip"
    partial_dir(out).mkdir()
    (partial_dir(out) / "keep.txt").write_bytes(PRECIOUS)

    with pytest.raises(RefusedPathError, match="is not an interrupted export"):
        export_bundle(ledger, out)

    assert (partial_dir(out) / "keep.txt").read_bytes() == PRECIOUS


def test_a_second_export_to_the_same_out_is_refused_while_the_first_runs(
    ledger: CooperationLedger, tmp_path: Path
) -> None:
    """Probe 11: the second took the first's partial folder for an interrupted export
    and started it again; the first then said "wrote" over a zip that did not open."""
    out = tmp_path / "p.zip"
    refused: list[str] = []

    class SecondExport:
        """Between the first export's pages, a second export to the same file."""

        def requested(self) -> bool:
            if not refused:
                with pytest.raises(RefusedPathError) as error:
                    export_bundle(ledger, out)
                refused.append(error.value.detail)
            return False

    manifest = export_bundle(ledger, out, page_size=2, stop=SecondExport())

    assert refused == [
        f"another export is writing {out} (it holds {out}.lock): wait for it to end, "
        "or name another --out"
    ]
    assert verify_bundle(out).ok
    assert manifest["count"] == len(ledger.read_log(0, 10_000))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "p.zip", "police.zip"]
    export_bundle(ledger, tmp_path / "q.zip")  # the lock went with the first export


def test_export_resumes_its_own_partial_after_checking_it(
    ledger: CooperationLedger, tmp_path: Path
) -> None:
    out = tmp_path / "p.zip"
    with pytest.raises(Interrupted):
        export_bundle(ledger, out, page_size=2, stop=StopAfter(1))
    events = partial_dir(out) / "events.jsonl"
    saved = events.read_bytes()
    events.write_bytes(saved + b'{"position": "x", "link": 1}\n')

    with pytest.raises(ResumeStateError, match="line 3 is not an event line"):
        export_bundle(ledger, out, resume=True)
    (partial_dir(out) / STATE).write_text("{", encoding="utf-8")
    with pytest.raises(ResumeStateError, match=r"export\.json is corrupt"):
        export_bundle(ledger, out, resume=True)


def test_export_out_options_that_name_no_new_file_are_one_line_refusals(
    data_dir: Path, tmp_path: Path
) -> None:
    env = _env(data_dir)
    existing = tmp_path / "police.zip"
    before = existing.read_bytes()

    empty = entente("audit", "export", "police", "--out", "", **env)
    folder = entente("audit", "export", "police", "--out", str(tmp_path), **env)
    again = entente("audit", "export", "police", "--out", str(existing), **env)

    assert (empty.returncode, _one_line(empty.stderr)) == (
        2,
        "entente: --out is empty: name a file",
    )
    assert folder.returncode == 2
    assert _one_line(folder.stderr) == (
        f"entente: --out {tmp_path} is a directory: name the bundle file to write"
    )
    assert again.returncode == 2
    assert _one_line(again.stderr) == (
        f"entente: --out {existing} already exists: refusing to overwrite it"
    )
    assert existing.read_bytes() == before


# 6. --page-size has a maximum.


@pytest.mark.parametrize("command", COMMANDS)
def test_a_page_size_beyond_the_maximum_is_a_usage_error(
    data_dir: Path, tmp_path: Path, command: list[str]
) -> None:
    args = [str(tmp_path / "p.zip") if arg == "OUT" else arg for arg in command]

    result = _run(data_dir, *args, "--page-size", "99999999999999999999")

    assert result.exit_code == 2, result.output
    assert "--page-size" in result.output


def test_a_database_that_does_not_answer_is_named_with_the_server_s_reason(
    tmp_path: Path,
) -> None:
    """Probe 11: verify, export and check said "the database refused (PoolTimeout):
    couldn't get a connection after 2.00 sec", where serve named the setting and why."""
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    env = {
        "ENTENTE_DATA_DIR": str(tmp_path),
        "ENTENTE_STORE": "postgres",
        "ENTENTE_POSTGRES_URL": f"postgresql://auditor:secret@127.0.0.1:{port}/entente",
    }
    for command in (
        ("audit", "verify", "police"),
        ("audit", "export", "police", "--out", str(tmp_path / "p.zip")),
        ("check", "police", "--no-topic"),
    ):
        ran = entente(*command, **env)

        assert ran.returncode == 2, (command, ran.stderr)
        line = _one_line(ran.stderr)
        assert line.startswith(
            f"entente: ENTENTE_POSTGRES_URL: the database at 127.0.0.1:{port}/entente does "
            "not answer (OperationalError: "
        ), line
        assert "secret" not in line


@pytest.mark.parametrize("workers", ["abc", "0", "-2", "1.5"])
def test_a_workers_setting_that_is_no_count_is_refused_at_the_start(
    data_dir: Path, workers: str
) -> None:
    """Probe 11: "abc" was read as one worker without a word."""
    ran = entente(
        "audit", "verify", "police", ENTENTE_DATA_DIR=str(data_dir), ENTENTE_AUDIT_WORKERS=workers
    )

    assert ran.returncode == 2, ran.stderr
    assert _one_line(ran.stderr) == (
        f"entente: ENTENTE_AUDIT_WORKERS is {workers!r}: give a whole number of decoding "
        "processes, 1 or more (unset: one per CPU)"
    )
