"""The export bundle's format, and its offline verification.

A bundle is one zip file an auditor can take away and check on a machine with
no access to the platform (``entente audit verify --bundle FILE``, or by hand):

- ``events.jsonl`` — one line per event in notification order:
  ``{"position": n, "link": "<hex>", "event": {…canonical document…}}``; the
  link is ``sha256(previous link bytes ‖ canonical bytes)``, where the
  canonical bytes are the ``event`` object as JSON with sorted keys, no
  spaces, UTF-8 (``shared.events.chain``), starting from the ``genesis``;
- ``manifest.json`` — format, chain version, tenant, genesis, head, counts,
  the Kafka checkpoints known at export time, and the sha256 of each file;
- ``SHA256SUMS`` — ``sha256sum -c`` format, for events, manifest and README;
- ``README.txt`` — these rules in prose.

Verification recomputes every link from the line before it (so one altered
line is named alone, not with every line after it) and the chain from the
genesis to the head, and checks counts, checksums and checkpoints.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from shared.audit.compare import against_checkpoints
from shared.audit.errors import BundleError
from shared.audit.findings import Entry, Finding, Kind, VerifyReport
from shared.audit.progress import Progress, Quiet
from shared.events import chain
from shared.events.envelope import EventEnvelope
from shared.relay.checkpoint import Checkpoint

FORMAT = "entente-audit-bundle/1"
EVENTS, MANIFEST, CHECKSUMS, README = "events.jsonl", "manifest.json", "SHA256SUMS", "README.txt"
BUNDLE = "bundle"


@dataclass
class BundleCopy:
    """What a bundle holds: its manifest, its events as entries, and what is wrong with it."""

    manifest: dict[str, Any]
    entries: list[Entry] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def tenant(self) -> str:
        return str(self.manifest["tenant"])


def canonical_bytes(document: dict[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def envelope_of(document: dict[str, Any]) -> EventEnvelope:
    """The envelope a canonical document describes (KeyError/ValueError if it is malformed)."""
    return EventEnvelope(
        id=str(document["id"]),
        type=str(document["type"]),
        source=str(document["source"]),
        subject=str(document["subject"]),
        time=datetime.fromisoformat(document["time"]),
        tenant=str(document["tenant"]),
        aggregate_type=str(document["aggregate_type"]),
        aggregate_id=str(document["aggregate_id"]),
        version=int(document["version"]),
        position=int(document["position"]),
        business_time=datetime.fromisoformat(document["business_time"]),
        actor_id=str(document["actor_id"]),
        actor_name=str(document["actor_name"]),
        correlation_id=str(document["correlation_id"]),
        causation_id=document["causation_id"],
        classification=str(document["classification"]),
        schema_version=int(document["schema_version"]),
        data=dict(document["data"]),
    )


def checkpoint_json(checkpoint: Checkpoint) -> dict[str, Any]:
    return {
        "size": checkpoint.size,
        "head": checkpoint.head,
        "position": checkpoint.position,
        "time": checkpoint.time.isoformat(),
        "chain": checkpoint.chain_version,
    }


def verify_bundle(path: Path, progress: Progress | None = None) -> VerifyReport:
    """Checks a bundle offline; the report's findings name the first tampered line."""
    copy = read_bundle(path, progress)
    manifest = copy.manifest
    report = VerifyReport(copy.tenant, findings=copy.findings)
    report.events = len(copy.entries)
    report.head = copy.entries[-1].link if copy.entries else chain.genesis(copy.tenant)
    report.last_position = copy.entries[-1].position if copy.entries else 0
    report.witnesses = [f"bundle {path.name}: manifest, {CHECKSUMS}, chain links"]
    if manifest.get("checkpoints"):
        report.witnesses.append(f"{len(manifest['checkpoints'])} checkpoints in the manifest")
    return report


def read_bundle(path: Path, progress: Progress | None = None) -> BundleCopy:
    """The bundle's entries and findings; BundleError if it cannot be read at all."""
    try:
        with zipfile.ZipFile(path) as archive:
            files = {name: archive.read(name) for name in archive.namelist()}
    except (OSError, zipfile.BadZipFile) as error:
        raise BundleError(f"{path} is not a readable bundle: {error}") from None
    if MANIFEST not in files or EVENTS not in files:
        raise BundleError(f"{path} has no {MANIFEST} or no {EVENTS}: not an Entente bundle")
    manifest = _manifest(files[MANIFEST])
    copy = BundleCopy(manifest)
    copy.findings.extend(_checksums(files, manifest))
    if manifest["genesis"] != chain.genesis(copy.tenant):
        copy.findings.append(
            _problem(Kind.ALTERED, None, "the manifest's genesis is not the tenant's")
        )
    _lines(copy, files[EVENTS], progress or Quiet())
    _totals(copy)
    checkpoints = [checkpoint_from_json(copy.tenant, c) for c in manifest.get("checkpoints", [])]
    witness = "a checkpoint in the manifest"
    copy.findings.extend(
        against_checkpoints(copy.tenant, copy.entries, checkpoints, BUNDLE, witness)
    )
    return copy


def _manifest(raw: bytes) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads(raw)
    except ValueError:
        raise BundleError(f"{MANIFEST} is not JSON") from None
    if manifest.get("format") != FORMAT:
        raise BundleError(f"unknown bundle format {manifest.get('format')!r} (want {FORMAT})")
    if manifest.get("chain") != chain.CHAIN_VERSION:
        raise BundleError(
            f"the bundle's chain is {manifest.get('chain')!r}; this verifier knows "
            f"{chain.CHAIN_VERSION} only"
        )
    return manifest


def _checksums(files: dict[str, bytes], manifest: dict[str, Any]) -> list[Finding]:
    found: list[Finding] = []
    sums = files.get(CHECKSUMS, b"").decode("utf-8", errors="replace").splitlines()
    listed = {name.strip(): digest for digest, _, name in (s.partition("  ") for s in sums if s)}
    listed.update({n: str(f["sha256"]) for n, f in manifest.get("files", {}).items()})
    for name in (EVENTS, MANIFEST, README):
        actual = hashlib.sha256(files.get(name, b"")).hexdigest()
        expected = listed.get(name)
        if expected is None:
            found.append(_problem(Kind.MISSING, None, f"no checksum is given for {name}"))
        elif expected != actual:
            detail = f"{name} has sha256 {actual[:16]}…, its checksum says {expected[:16]}…"
            found.append(_problem(Kind.ALTERED, None, detail))
    return found


def _lines(copy: BundleCopy, raw: bytes, progress: Progress) -> None:
    lines = raw.decode("utf-8", errors="replace").splitlines()
    expected_count = int(copy.manifest.get("count", len(lines)))
    short = Kind.MISSING if len(lines) < expected_count else Kind.INSERTED
    broken = Kind.ALTERED if len(lines) == expected_count else short
    progress.stage(f"bundle {EVENTS}", len(lines))
    claimed = recomputed = chain.genesis(copy.tenant)
    last_position = 0
    for number, text in enumerate(lines, start=1):
        entry, problem = _line(number, text, claimed, recomputed, broken)
        if entry is not None and entry.position <= last_position:  # its link breaks because of it
            detail = f"line {number} holds position {entry.position} after {last_position}"
            problem = _problem(Kind.REORDERED, entry.position, detail, entry)
        if problem is not None:
            copy.findings.append(problem)
        if entry is None:
            continue
        last_position = max(last_position, entry.position)
        claimed, recomputed = entry.claim or claimed, entry.link
        copy.entries.append(entry)
        progress.update(number)


def _line(
    number: int, text: str, claimed: str, recomputed: str, broken: Kind
) -> tuple[Entry | None, Finding | None]:
    """One line as an entry (link recomputed over the bundle) and its problem, if any."""
    try:
        row = json.loads(text)
        if "undecodable" in row:
            detail = f"line {number}: the store's event could not be decoded: {row['undecodable']}"
            return None, _problem(Kind.ALTERED, int(row["position"]), detail)
        document = row["event"]
        event = envelope_of(document)
        claim, position = str(row["link"]), int(row["position"])
    except (ValueError, KeyError, TypeError) as error:
        detail = f"line {number} is not an event line ({error!r})"
        return None, _problem(Kind.ALTERED, None, detail)
    canonical = chain.canonical(event)
    entry = Entry(
        position=position,
        event_id=event.id,
        aggregate_type=event.aggregate_type,
        aggregate_id=event.aggregate_id,
        version=event.version,
        digest=hashlib.sha256(canonical).hexdigest(),
        link=chain.link(recomputed, event),
        claim=claim,
        where=f"{EVENTS} line {number}",
        canonical=canonical,
    )
    if canonical != canonical_bytes(document) or position != event.position:
        detail = f"line {number}'s event is not in canonical form"
        return entry, _problem(Kind.ALTERED, position, detail, entry)
    if chain.link(claimed, event) != claim:
        detail = f"line {number}: its link does not follow from the line before it"
        return entry, _problem(broken, position, detail, entry)
    return entry, None


def _totals(copy: BundleCopy) -> None:
    manifest, entries = copy.manifest, copy.entries
    count, head = int(manifest.get("count", -1)), str(manifest.get("head", ""))
    if count != len(entries):
        kind = Kind.MISSING if len(entries) < count else Kind.INSERTED
        detail = f"the manifest counts {count} events; {EVENTS} holds {len(entries)}"
        copy.findings.append(_problem(kind, None, detail))
    last = entries[-1].link if entries else chain.genesis(copy.tenant)
    if last != head:
        detail = (
            f"the chain recomputed from the genesis ends at {last[:16]}…, not the head {head[:16]}…"
        )
        copy.findings.append(_problem(Kind.ALTERED, None, detail))


def checkpoint_from_json(tenant: str, row: dict[str, Any]) -> Checkpoint:
    return Checkpoint(
        tenant,
        int(row["size"]),
        str(row["head"]),
        int(row["position"]),
        datetime.fromisoformat(row["time"]),
        str(row.get("chain", chain.CHAIN_VERSION)),
    )


def _problem(kind: Kind, position: int | None, detail: str, entry: Entry | None = None) -> Finding:
    record = None if entry is None else entry.record
    event_id = None if entry is None else entry.event_id
    return Finding(kind, BUNDLE, position, detail, "the bundle's own chain", record, event_id)
