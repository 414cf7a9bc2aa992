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
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from shared.audit.compare import against_checkpoints
from shared.audit.errors import BundleError
from shared.audit.findings import Entry, Finding, Kind, VerifyReport
from shared.audit.progress import Progress, Quiet
from shared.events import chain
from shared.events.envelope import EventEnvelope
from shared.json_types import json_type
from shared.relay.checkpoint import Checkpoint

FORMAT = "entente-audit-bundle/1"
EVENTS, MANIFEST, CHECKSUMS, README = "events.jsonl", "manifest.json", "SHA256SUMS", "README.txt"
BUNDLE = "bundle"


#: What a line or a manifest that is not what it claims can raise while it is read.
MALFORMED = (ValueError, KeyError, TypeError, ArithmeticError, RecursionError)


@dataclass(frozen=True)
class Manifest:
    """What verification reads in ``manifest.json``, each field checked for its type.

    ``Manifest.parse`` is the one place a manifest is interpreted: a manifest
    that does not have this shape makes the bundle unreadable (``BundleError``),
    so nothing further down meets a missing key or a value of the wrong type.
    """

    tenant: str
    genesis: str
    head: str
    count: int
    checkpoints: tuple[Checkpoint, ...] = ()
    #: The sha256 the manifest gives for each file (its ``files``).
    checksums: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, raw: bytes) -> Manifest:
        """The manifest in ``raw``; BundleError naming the first field that is wrong."""
        try:
            document = json.loads(raw)
        except (ValueError, RecursionError) as error:
            reason = "nested too deeply" if isinstance(error, RecursionError) else "invalid"
            raise BundleError(f"{MANIFEST} is not JSON ({reason})") from None
        if not isinstance(document, dict):
            raise BundleError(f"{MANIFEST} is not a JSON object ({json_type(document)})")
        if document.get("format") != FORMAT:
            raise BundleError(f"unknown bundle format {document.get('format')!r} (want {FORMAT})")
        if document.get("chain") != chain.CHAIN_VERSION:
            raise BundleError(
                f"the bundle's chain is {document.get('chain')!r}; this verifier knows "
                f"{chain.CHAIN_VERSION} only"
            )
        tenant = _text(document, "tenant")
        if not tenant:
            raise BundleError(f"{MANIFEST}: tenant is empty")
        files = document.get("files", {})
        if not isinstance(files, dict):
            raise BundleError(f"{MANIFEST}: files must be an object, not {json_type(files)}")
        checkpoints = document.get("checkpoints", [])
        if not isinstance(checkpoints, list):
            raise BundleError(
                f"{MANIFEST}: checkpoints must be a list, not {json_type(checkpoints)}"
            )
        return cls(
            tenant=tenant,
            genesis=_text(document, "genesis"),
            head=_text(document, "head"),
            count=_whole(document, "count"),
            checkpoints=tuple(
                _checkpoint(tenant, row, f"checkpoints[{number}]")
                for number, row in enumerate(checkpoints)
            ),
            checksums={
                str(name): _text(_object(about, f"files.{name}"), "sha256", f"files.{name}.")
                for name, about in files.items()
            },
        )


@dataclass
class BundleCopy:
    """What a bundle holds: its manifest, its events as entries, and what is wrong with it."""

    manifest: Manifest
    entries: list[Entry] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def tenant(self) -> str:
        return self.manifest.tenant


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


def verify_bundle(
    path: Path, progress: Progress | None = None, tenant: str | None = None
) -> VerifyReport:
    """Checks a bundle offline (of ``tenant``, if given); the findings name the first bad line."""
    copy = read_bundle(path, progress, tenant)
    manifest = copy.manifest
    report = VerifyReport(copy.tenant, findings=copy.findings)
    report.events = len(copy.entries)
    report.head = copy.entries[-1].link if copy.entries else chain.genesis(copy.tenant)
    report.last_position = copy.entries[-1].position if copy.entries else 0
    report.witnesses = [f"bundle {path.name}: manifest, {CHECKSUMS}, chain links"]
    if manifest.checkpoints:
        report.witnesses.append(f"{len(manifest.checkpoints)} checkpoints in the manifest")
    return report


#: The largest manifest, checksum list or README a bundle may hold (an export writes a few
#: kilobytes; the manifest grows by one checkpoint per thousand events).
MAX_SMALL_MEMBER = 64 * 1024 * 1024
#: The longest event line read (an export writes lines of a few kilobytes).
MAX_LINE = 16 * 1024 * 1024
#: Verification stops reading lines after this many problems: a bundle is untrusted input,
#: and one of a few hundred kilobytes unzipped to 2 GB of empty lines, a finding each.
MAX_LINE_FINDINGS = 1000
_CHUNK = 1024 * 1024


def read_bundle(
    path: Path, progress: Progress | None = None, tenant: str | None = None
) -> BundleCopy:
    """The bundle's entries and findings; BundleError if it cannot be read at all.

    With ``tenant``, a bundle of another tenant is refused (BundleError) before its
    events are read. ``events.jsonl`` is streamed (twice: its lines counted and its
    checksum taken, then each line read), so memory does not grow with what a
    tampered bundle unzips to.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            return _read_archive(path, archive, progress or Quiet(), tenant)
    except (
        OSError,
        EOFError,
        zipfile.BadZipFile,
        zlib.error,
        RuntimeError,  # an encrypted member
        NotImplementedError,  # a compression method zipfile does not know
    ) as error:
        raise BundleError(f"{path} is not a readable bundle: {error}") from None


def _read_archive(
    path: Path, archive: zipfile.ZipFile, progress: Progress, tenant: str | None
) -> BundleCopy:
    names = archive.namelist()
    if MANIFEST not in names or EVENTS not in names:
        raise BundleError(f"{path} has no {MANIFEST} or no {EVENTS}: not an Entente bundle")
    small = {name: _small_member(path, archive, name) for name in (MANIFEST, CHECKSUMS, README)}
    try:
        manifest = Manifest.parse(small[MANIFEST] or b"")
    except BundleError as error:
        raise BundleError(f"{path}: {error.detail}") from None
    if tenant is not None and manifest.tenant != tenant:
        raise BundleError(f"{path} is a bundle of {manifest.tenant!r}, not {tenant!r}")
    copy = BundleCopy(manifest)
    line_count, events_digest = _count_and_digest(archive)
    digests = {
        EVENTS: events_digest,
        **{name: hashlib.sha256(raw).hexdigest() for name, raw in small.items() if raw is not None},
    }
    copy.findings.extend(_checksums(digests, small.get(CHECKSUMS), manifest))
    copy.findings.extend(
        _problem(Kind.INSERTED, None, f"the bundle holds a file an export never writes: {name!r}")
        for name in sorted(set(names) - {EVENTS, MANIFEST, CHECKSUMS, README})
    )
    if manifest.genesis != chain.genesis(copy.tenant):
        copy.findings.append(
            _problem(Kind.ALTERED, None, "the manifest's genesis is not the tenant's")
        )
    _lines(copy, _event_lines(archive), line_count, progress)
    _totals(copy)
    witness = "a checkpoint in the manifest"
    copy.findings.extend(
        against_checkpoints(copy.tenant, copy.entries, manifest.checkpoints, BUNDLE, witness)
    )
    return copy


def _small_member(path: Path, archive: zipfile.ZipFile, name: str) -> bytes | None:
    """A member other than the events, whole; None when absent; refused when oversized."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    if info.file_size > MAX_SMALL_MEMBER:
        raise BundleError(
            f"{path}: {name} unzips to {info.file_size} bytes, more than an export writes"
        )
    return archive.read(name)


def _chunks(archive: zipfile.ZipFile) -> Iterator[bytes]:
    with archive.open(EVENTS) as stream:
        while chunk := stream.read(_CHUNK):
            yield chunk


def _count_and_digest(archive: zipfile.ZipFile) -> tuple[int, str]:
    """How many lines ``events.jsonl`` holds (as ``_event_lines`` reads them), and its sha256."""
    digest, lines, last = hashlib.sha256(), 0, b"\n"
    for chunk in _chunks(archive):
        digest.update(chunk)
        lines += chunk.count(b"\n")
        last = chunk[-1:]
    return lines + (last != b"\n"), digest.hexdigest()


def _event_lines(archive: zipfile.ZipFile) -> Iterator[str | None]:
    """Each line of ``events.jsonl`` as text (a ``\\r`` before its end dropped); None for a
    line longer than ``MAX_LINE``, which is skipped without being held in memory."""
    pending, too_long = b"", False
    for chunk in _chunks(archive):
        *whole, rest = (pending + chunk).split(b"\n")
        for raw in whole:
            yield None if too_long else _text_of(raw)
            too_long = False
        if len(rest) > MAX_LINE:
            too_long, rest = True, b""
        pending = rest
    if pending or too_long:
        yield None if too_long else _text_of(pending)


def _text_of(raw: bytes) -> str:
    return raw.removesuffix(b"\r").decode("utf-8", errors="replace")


def _object(value: object, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BundleError(f"{MANIFEST}: {name} must be an object, not {json_type(value)}")
    return value


def _text(document: dict[str, Any], key: str, prefix: str = "") -> str:
    """``document[key]``, which must be text that UTF-8 can encode."""
    if key not in document:
        raise BundleError(f"{MANIFEST}: {prefix}{key} is missing")
    value = document[key]
    if not isinstance(value, str):
        raise BundleError(f"{MANIFEST}: {prefix}{key} must be a string, not {json_type(value)}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BundleError(f"{MANIFEST}: {prefix}{key} is not valid Unicode text") from None
    return value


def _whole(document: dict[str, Any], key: str, prefix: str = "") -> int:
    """``document[key]``, which must be a whole number, 0 or more."""
    if key not in document:
        raise BundleError(f"{MANIFEST}: {prefix}{key} is missing")
    value = document[key]
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        shown = "a negative number" if isinstance(value, int) else json_type(value)
        raise BundleError(f"{MANIFEST}: {prefix}{key} must be a whole number, not {shown}")
    return value


def _checkpoint(tenant: str, row: object, name: str) -> Checkpoint:
    document = _object(row, name)
    prefix = f"{name}."
    size, head = _whole(document, "size", prefix), _text(document, "head", prefix)
    position, time = _whole(document, "position", prefix), _text(document, "time", prefix)
    try:
        moment = datetime.fromisoformat(time)
    except ValueError:
        raise BundleError(f"{MANIFEST}: {prefix}time is not an ISO 8601 date and time") from None
    version = _text(document, "chain", prefix) if "chain" in document else chain.CHAIN_VERSION
    return Checkpoint(tenant, size, head, position, moment, version)


def _checksums(
    digests: dict[str, str], checksums: bytes | None, manifest: Manifest
) -> list[Finding]:
    found: list[Finding] = []
    sums = (checksums or b"").decode("utf-8", errors="replace").splitlines()
    listed = {name.strip(): digest for digest, _, name in (s.partition("  ") for s in sums if s)}
    # Which file gave each checksum, for the finding: "its checksum" left the auditor to
    # guess which of the two to look at (probe 12). The manifest's, when both give one.
    given_by = dict.fromkeys(listed, CHECKSUMS) | dict.fromkeys(manifest.checksums, MANIFEST)
    listed.update(manifest.checksums)
    for name in (EVENTS, MANIFEST, README):
        actual = digests.get(name)
        if actual is None:  # an export always writes it
            found.append(_problem(Kind.MISSING, None, f"the bundle has no {name}"))
            continue
        expected = listed.get(name)
        if expected is None:
            found.append(_problem(Kind.MISSING, None, f"no checksum is given for {name}"))
        elif expected != actual:
            detail = (
                f"{name} has sha256 {actual[:16]}…, its checksum in {given_by[name]} says "
                f"{expected[:16]}…"
            )
            found.append(_problem(Kind.ALTERED, None, detail))
    return found


def _lines(
    copy: BundleCopy, lines: Iterable[str | None], line_count: int, progress: Progress
) -> None:
    expected_count = copy.manifest.count
    short = Kind.MISSING if line_count < expected_count else Kind.INSERTED
    broken = Kind.ALTERED if line_count == expected_count else short
    progress.stage(f"bundle {EVENTS}", line_count)
    claimed = recomputed = chain.genesis(copy.tenant)
    last_position = 0
    problems = 0
    for number, text in enumerate(lines, start=1):
        if problems >= MAX_LINE_FINDINGS:
            detail = f"stopped reading {EVENTS} at line {number}: {problems} lines had problems"
            copy.findings.append(replace(_problem(broken, None, detail), after=last_position))
            return
        if text is None:
            entry: Entry | None = None
            problem: Finding | None = _problem(
                Kind.ALTERED, None, f"line {number} is longer than {MAX_LINE} bytes: not read"
            )
        else:
            entry, problem = _line(number, text, claimed, recomputed, broken)
        if entry is not None and entry.position <= last_position:  # its link breaks because of it
            detail = f"line {number} holds position {entry.position} after {last_position}"
            problem = _problem(Kind.REORDERED, entry.position, detail, entry)
        if problem is not None:
            problems += 1
            if entry is None and problem.position is None:  # it comes after the last line read
                problem = replace(problem, after=last_position)
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
    """One line as an entry (link recomputed over the bundle) and its problem, if any.

    A line that is not an event line, or whose event cannot be encoded (a lone
    surrogate, a value nested too deeply), is an altered line, never a crash.
    """
    row: Any = None
    try:
        row = json.loads(text)
        if not isinstance(row, dict):
            raise TypeError(f"a line must be a JSON object, not {json_type(row)}")
        if "undecodable" in row:
            reason = _printable(str(row["undecodable"]))
            detail = f"line {number}: the store's event could not be decoded: {reason}"
            return None, _problem(Kind.ALTERED, int(row["position"]), detail)
        document = row["event"]
        event = envelope_of(document)
        claim, position = str(row["link"]), int(row["position"])
        canonical, written = chain.canonical(event), canonical_bytes(document)
    except MALFORMED as error:
        detail = f"line {number} is not an event line ({type(error).__name__}: "
        detail += f"{_printable(str(error))})"
        return None, _problem(Kind.ALTERED, _position(row), detail)
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
    if canonical != written or position != event.position:
        detail = f"line {number}'s event is not in canonical form"
        return entry, _problem(Kind.ALTERED, position, detail, entry)
    if chain.link(claimed, event) != claim:
        detail = f"line {number}: its link does not follow from the line before it"
        return entry, _problem(broken, position, detail, entry)
    return entry, None


def _totals(copy: BundleCopy) -> None:
    manifest, entries = copy.manifest, copy.entries
    count, head = manifest.count, manifest.head
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


def _position(row: Any) -> int | None:
    """The position a malformed line claims, if it claims one (else the finding has none)."""
    position = row.get("position") if isinstance(row, dict) else None
    return position if isinstance(position, int) and not isinstance(position, bool) else None


def _printable(text: str, width: int = 200) -> str:
    """``text`` shortened, and printable whatever it holds (a lone surrogate is escaped)."""
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= width else text[: width - 1] + "…"


def _problem(kind: Kind, position: int | None, detail: str, entry: Entry | None = None) -> Finding:
    record = None if entry is None else entry.record
    event_id = None if entry is None else entry.event_id
    return Finding(kind, BUNDLE, position, detail, "the bundle's own chain", record, event_id)
