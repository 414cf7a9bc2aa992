"""The export bundle: self-contained, checkable offline, and a tampered line is named.

Verification runs after the event store is deleted, so it provably needs no
platform; ``sha256sum -c`` and a few lines of hashlib check the same rules.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from shared.application.ledger import CooperationLedger
from shared.application.stores import SqliteStore
from shared.audit.bundle import verify_bundle
from shared.audit.errors import BundleError
from shared.audit.export import export_bundle
from shared.audit.findings import Kind
from shared.events import chain

from .support import write_history

Lines = list[str]


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    """A bundle of a small police history; the store it came from is gone afterwards."""
    ledger = CooperationLedger("police", SqliteStore(tmp_path / "events"))
    write_history(ledger)
    out = tmp_path / "police.zip"
    export_bundle(ledger, out)
    ledger.close()
    shutil.rmtree(tmp_path / "events")
    return out


def _read(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _rewrite(path: Path, change: Callable[[Lines], Lines], *, fix_checksums: bool = False) -> None:
    """Rewrites events.jsonl; a careful forger also recomputes the checksums."""
    files = _read(path)
    lines = change(files["events.jsonl"].decode().splitlines())
    files["events.jsonl"] = ("\n".join(lines) + "\n").encode()
    if fix_checksums:
        manifest = json.loads(files["manifest.json"])
        manifest["files"]["events.jsonl"]["sha256"] = hashlib.sha256(
            files["events.jsonl"]
        ).hexdigest()
        files["manifest.json"] = json.dumps(manifest).encode()
        sums = "".join(
            f"{hashlib.sha256(files[n]).hexdigest()}  {n}\n"
            for n in ("events.jsonl", "manifest.json", "README.txt")
        )
        files["SHA256SUMS"] = sums.encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)


def _edit(number: int, change: Callable[[dict[str, object]], None]) -> Callable[[Lines], Lines]:
    def edit(lines: Lines) -> Lines:
        row = json.loads(lines[number - 1])
        change(row)
        lines[number - 1] = json.dumps(row, ensure_ascii=False)
        return lines

    return edit


def test_the_bundle_holds_events_links_a_manifest_and_checksums(bundle: Path) -> None:
    files = _read(bundle)
    manifest = json.loads(files["manifest.json"])
    lines = [json.loads(line) for line in files["events.jsonl"].decode().splitlines()]

    assert set(files) == {"events.jsonl", "manifest.json", "SHA256SUMS", "README.txt"}
    assert manifest["format"] == "entente-audit-bundle/1"
    assert manifest["chain"] == chain.CHAIN_VERSION
    assert (manifest["tenant"], manifest["count"]) == ("police", 9)
    assert manifest["genesis"] == chain.genesis("police")
    assert manifest["head"] == lines[-1]["link"]
    assert manifest["last_position"] == lines[-1]["position"]
    assert manifest["counts"]["records"] == 3
    assert manifest["counts"]["by_event_type"] == {
        "fr.interieur.entente.agreement.amended.v1": 6,
        "fr.interieur.entente.agreement.signed.v2": 3,
    }
    assert (
        manifest["files"]["events.jsonl"]["sha256"]
        == hashlib.sha256(files["events.jsonl"]).hexdigest()
    )
    assert "events.jsonl" in files["SHA256SUMS"].decode()
    report = verify_bundle(bundle)
    assert report.ok, [f.line() for f in report.findings]
    assert (report.events, report.head) == (9, manifest["head"])


def test_the_rules_in_the_readme_are_enough_to_check_it_by_hand(
    bundle: Path, tmp_path: Path
) -> None:
    files = _read(bundle)
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    manifest = json.loads(files["manifest.json"])

    link = hashlib.sha256(f"{manifest['chain']}:{manifest['tenant']}".encode()).hexdigest()
    for line in files["events.jsonl"].decode().splitlines():
        row = json.loads(line)
        canonical = json.dumps(
            row["event"], sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        link = hashlib.sha256(bytes.fromhex(link) + canonical.encode()).hexdigest()
        assert link == row["link"]

    assert link == manifest["head"]
    if shutil.which("sha256sum"):
        check = subprocess.run(
            ["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path, capture_output=True, check=False
        )
        assert check.returncode == 0, check.stdout


@pytest.mark.parametrize("fix_checksums", [False, True], ids=["naive", "checksums-recomputed"])
def test_an_edited_line_is_named_even_when_the_checksums_were_recomputed(
    bundle: Path, fix_checksums: bool
) -> None:
    target = json.loads(_read(bundle)["events.jsonl"].decode().splitlines()[4])

    def forge(row: dict[str, object]) -> None:
        event = row["event"]
        assert isinstance(event, dict)
        event["data"]["summary"] = "Avenant falsifié"

    _rewrite(bundle, _edit(5, forge), fix_checksums=fix_checksums)
    report = verify_bundle(bundle)

    first = report.first
    assert first is not None
    assert (first.kind, first.source, first.position) == (
        Kind.ALTERED,
        "bundle",
        target["position"],
    )
    assert "line 5" in first.detail
    checksum_findings = [f.detail for f in report.findings if "sha256" in f.detail]
    assert bool(checksum_findings) is not fix_checksums
    if checksum_findings:  # which file's checksum disagrees (the manifest's wins)
        assert checksum_findings[0].startswith("events.jsonl has sha256 ")
        assert ", its checksum in manifest.json says " in checksum_findings[0]


def test_a_removed_line_and_swapped_lines_are_named(bundle: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.zip"
    shutil.copy(bundle, other)
    lines = _read(bundle)["events.jsonl"].decode().splitlines()
    removed = json.loads(lines[3])

    _rewrite(bundle, lambda ls: ls[:3] + ls[4:], fix_checksums=True)
    _rewrite(other, lambda ls: [ls[0], ls[2], ls[1], *ls[3:]], fix_checksums=True)

    missing = verify_bundle(bundle).first
    assert missing is not None
    assert (missing.kind, missing.position) == (Kind.MISSING, json.loads(lines[4])["position"])
    assert "line 4" in missing.detail  # the line after the gap no longer follows
    assert removed["position"] < json.loads(lines[4])["position"]
    swapped = verify_bundle(other).first
    assert swapped is not None
    assert (swapped.kind, swapped.position) == (Kind.REORDERED, json.loads(lines[1])["position"])
    assert "line 3 holds position" in swapped.detail


def test_unreadable_bundles_are_refused_by_name(bundle: Path, tmp_path: Path) -> None:
    (tmp_path / "not-a-zip.zip").write_text("hello")
    with pytest.raises(BundleError, match="not a readable bundle"):
        verify_bundle(tmp_path / "not-a-zip.zip")
    files = _read(bundle)
    manifest = json.loads(files["manifest.json"])
    manifest["chain"] = "entente-chain/99"
    with zipfile.ZipFile(bundle, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, json.dumps(manifest) if name == "manifest.json" else data)
    with pytest.raises(BundleError, match="entente-chain/99"):
        verify_bundle(bundle)
