"""Exporting a tenant's history as a self-contained bundle (format: ``bundle.py``).

The events are appended to ``<out>.partial/events.jsonl`` page by page; an
interrupted export resumes after the last complete line with its link
(``resume=True``). At the end the manifest, checksums and README are written
and the whole is zipped into ``out`` (written beside it, then renamed, so
``out`` is never a half-written file); the partial folder is removed.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared.application.ledger import CooperationLedger
from shared.audit.bundle import (
    CHECKSUMS,
    EVENTS,
    FORMAT,
    MANIFEST,
    README,
    checkpoint_json,
)
from shared.audit.errors import RefusedPathError, ResumeStateError
from shared.audit.findings import Entry
from shared.audit.journal import Journal
from shared.audit.progress import Progress, StopSignal
from shared.audit.store import PAGE_SIZE, Cursor, Item, start, walk
from shared.events import chain
from shared.private_dirs import make_private_dir
from shared.relay.checkpoint import Checkpoint

STATE = "export.json"

README_TEXT = """Entente audit bundle ({format}) — tenant {tenant}

events.jsonl   one event per line, in notification order:
               {{"position": n, "link": hex, "event": {{canonical document}}}}
manifest.json  tenant, chain version, genesis, head, counts, checkpoints, checksums
SHA256SUMS     check with: sha256sum -c SHA256SUMS

The chain ({chain}): link(0) = genesis = sha256("{chain}:<tenant>") as hex;
link(n) = sha256(bytes.fromhex(link(n-1)) + canonical(n)), where canonical(n)
is the line's "event" object serialised as JSON with sorted keys, separators
"," and ":", UTF-8, no ASCII escaping. The last link is the manifest's head.
Check offline with: entente audit verify --bundle <this file>
"""


def export_bundle(
    ledger: CooperationLedger,
    out: Path,
    *,
    resume: bool = False,
    checkpoints: Sequence[Checkpoint] = (),
    page_size: int = PAGE_SIZE,
    progress: Progress | None = None,
    stop: StopSignal | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> dict[str, Any]:
    """Writes the bundle to ``out`` and returns its manifest (``Interrupted``: resumable).

    RefusedPathError, before anything is read, if ``out`` exists (a bundle is never
    written over anything) or if its partial folder holds anything but an export.
    """
    with exclusive(out):
        return _export(ledger, out, resume, checkpoints, page_size, progress, stop, clock)


def _export(
    ledger: CooperationLedger,
    out: Path,
    resume: bool,
    checkpoints: Sequence[Checkpoint],
    page_size: int,
    progress: Progress | None,
    stop: StopSignal | None,
    clock: Callable[[], datetime],
) -> dict[str, Any]:
    work = partial_dir(out)
    events = Journal(work / EVENTS)
    resumed = _resume(ledger.tenant, work, events) if resume else None
    check_out(out)
    cursor = _fresh(ledger.tenant, work, clock) if resumed is None else resumed

    def write(items: Sequence[Item], entries: Sequence[Entry], _: Cursor) -> None:
        events.append(_row(item, entry) for item, entry in zip(items, entries, strict=True))

    cursor = walk(ledger, cursor, write, page_size=page_size, progress=progress, stop=stop)
    manifest = _finish(ledger.tenant, work, cursor, checkpoints, clock)
    temporary = out.with_name(out.name + ".tmp")
    with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in (EVENTS, MANIFEST, CHECKSUMS, README):
            archive.write(work / name, name)
    os.replace(temporary, out)
    shutil.rmtree(work)
    return manifest


@contextmanager
def exclusive(out: Path) -> Iterator[None]:
    """Holds ``<out>.lock`` for the export: a second export to the same ``out`` is refused.

    Probe 11: two exports to one file 0.3 s apart shared its partial folder (the second
    took the first's for an interrupted export and started it again): the first said
    "wrote" with a checksum, over a zip that did not open. The lock is ``flock``'d
    (the system releases it when the process ends, even killed), and taken again when
    the file was replaced between its opening and its locking.
    """
    lock = out.with_name(out.name + ".lock")
    while True:
        handle = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(handle)
            raise RefusedPathError(
                f"another export is writing {out} (it holds {lock}): wait for it to end, "
                "or name another --out"
            ) from None
        try:
            same = os.fstat(handle).st_ino == os.stat(lock).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(handle)
    try:
        yield
    finally:
        with suppress(FileNotFoundError):
            os.unlink(lock)
        os.close(handle)


def partial_dir(out: Path) -> Path:
    return out.with_name(out.name + ".partial")


def check_out(out: Path) -> None:
    """Refuses an ``out`` that is a folder or that exists: a bundle replaces nothing."""
    if out.is_dir():
        raise RefusedPathError(f"--out {out} is a directory: name the bundle file to write")
    if out.exists() or out.is_symlink():
        raise RefusedPathError(f"--out {out} already exists: refusing to overwrite it")


def _fresh(tenant: str, work: Path, clock: Callable[[], datetime]) -> Cursor:
    if (work.exists() or work.is_symlink()) and not (work.is_dir() and (work / STATE).is_file()):
        raise RefusedPathError(
            f"{work} exists and is not an interrupted export: refusing to replace it"
        )
    shutil.rmtree(work, ignore_errors=True)
    make_private_dir(work)
    state = {"tenant": tenant, "chain": chain.CHAIN_VERSION, "started": clock().isoformat()}
    (work / STATE).write_text(json.dumps(state), encoding="utf-8")
    (work / EVENTS).touch()
    return start(tenant)


def _resume(tenant: str, work: Path, events: Journal) -> Cursor:
    """The cursor after the last complete line of an interrupted export of ``tenant``."""
    if not (work / STATE).is_file() or not events.exists():
        raise ResumeStateError(f"no interrupted export to resume in {work}")
    try:
        state = json.loads((work / STATE).read_bytes())
    except (ValueError, RecursionError):
        state = None
    if not isinstance(state, dict):
        raise ResumeStateError(f"{work / STATE} is corrupt: not a JSON object")
    if state.get("tenant") != tenant or state.get("chain") != chain.CHAIN_VERSION:
        raise ResumeStateError(f"{work} holds an export of {state.get('tenant')!r}, not {tenant!r}")
    rows = events.read()
    for number, row in enumerate(rows, start=1):
        if not _saved_row(row):
            raise ResumeStateError(f"{events.path} is corrupt: line {number} is not an event line")
    if not rows:
        return start(tenant)
    return Cursor(rows[-1]["position"], rows[-1]["link"], len(rows))


def _saved_row(row: dict[str, Any]) -> bool:
    """Whether ``row`` has the shape ``_row`` writes (what ``_counts`` will read)."""
    position, event = row.get("position"), row.get("event")
    if not isinstance(position, int) or isinstance(position, bool):
        return False
    if not isinstance(row.get("link"), str):
        return False
    if "undecodable" in row:
        return True
    fields = ("aggregate_type", "type", "aggregate_id")
    return isinstance(event, dict) and all(isinstance(event.get(f), str) for f in fields)


def _row(item: Item, entry: Entry) -> dict[str, Any]:
    if item.problem is not None or item.canonical is None:
        return {"position": item.position, "link": entry.link, "undecodable": item.problem}
    return {"position": item.position, "link": entry.link, "event": json.loads(item.canonical)}


def _finish(
    tenant: str,
    work: Path,
    cursor: Cursor,
    checkpoints: Sequence[Checkpoint],
    clock: Callable[[], datetime],
) -> dict[str, Any]:
    counts = _counts(work / EVENTS)
    (work / README).write_text(
        README_TEXT.format(format=FORMAT, tenant=tenant, chain=chain.CHAIN_VERSION),
        encoding="utf-8",
    )
    manifest = {
        "format": FORMAT,
        "chain": chain.CHAIN_VERSION,
        "tenant": tenant,
        "genesis": chain.genesis(tenant),
        "head": cursor.link,
        "count": cursor.count,
        "last_position": cursor.position,
        "exported_at": clock().isoformat(),
        "counts": counts,
        "checkpoints": [checkpoint_json(c) for c in checkpoints if c.position <= cursor.position],
        "files": {name: _describe(work / name) for name in (EVENTS, README)},
    }
    (work / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    sums = "".join(f"{_sha256(work / n)}  {n}\n" for n in (EVENTS, MANIFEST, README))
    (work / CHECKSUMS).write_text(sums, encoding="utf-8")
    return manifest


def _counts(path: Path) -> dict[str, Any]:
    by_aggregate: Counter[str] = Counter()
    by_type: Counter[str] = Counter()
    records: set[str] = set()
    events = 0
    with path.open(encoding="utf-8") as stream:
        for line in stream:
            event = json.loads(line).get("event")
            events += 1
            if event is not None:
                by_aggregate[event["aggregate_type"]] += 1
                by_type[event["type"]] += 1
                records.add(event["aggregate_id"])
    return {
        "events": events,
        "records": len(records),
        "by_aggregate_type": dict(sorted(by_aggregate.items())),
        "by_event_type": dict(sorted(by_type.items())),
    }


def _describe(path: Path) -> dict[str, Any]:
    return {"sha256": _sha256(path), "bytes": path.stat().st_size}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
