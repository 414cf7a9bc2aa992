"""What a verification finds, and the entries it compares.

An ``Entry`` is one event in one copy of a tenant's history (the event store,
the Kafka topic, an export bundle): where it sits in notification order, which
event it is, a digest of its canonical bytes, the chain link recomputed over
that copy, and the link the copy *claims* (a message's ``ce_chainhash``, a
bundle line's ``link``; None for the store, which claims nothing).

A ``Finding`` names one discrepancy: its kind, which copy is wrong, where
(position, record, version) and what differs. Holes in notification ids are
never findings: ids are compared as a sequence, not counted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from shared.events.chain import CHAIN_VERSION


class Kind(StrEnum):
    """The four ways a history can be tampered with."""

    ALTERED = "altered"
    MISSING = "missing"
    INSERTED = "inserted"
    REORDERED = "reordered"


@dataclass(frozen=True)
class Entry:
    """One event in one copy of the history."""

    position: int
    event_id: str
    aggregate_type: str
    aggregate_id: str
    version: int
    digest: str
    link: str
    claim: str | None = None
    where: str = ""
    canonical: bytes | None = field(default=None, repr=False, compare=False)

    @property
    def record(self) -> str:
        return f"{self.aggregate_type} {self.aggregate_id} v{self.version}"

    def same_event(self, other: Entry) -> bool:
        return self.event_id == other.event_id and self.digest == other.digest

    def as_json(self) -> dict[str, Any]:
        row: dict[str, Any] = {
            "position": self.position,
            "id": self.event_id,
            "aggregate_type": self.aggregate_type,
            "aggregate_id": self.aggregate_id,
            "version": self.version,
            "digest": self.digest,
            "link": self.link,
        }
        if self.where:
            row["where"] = self.where
        return row

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Entry:
        return cls(
            position=int(row["position"]),
            event_id=str(row["id"]),
            aggregate_type=str(row["aggregate_type"]),
            aggregate_id=str(row["aggregate_id"]),
            version=int(row["version"]),
            digest=str(row["digest"]),
            link=str(row["link"]),
            where=str(row.get("where", "")),
        )


@dataclass(frozen=True)
class Finding:
    """One discrepancy; ``precise`` is False when only a range is known (checkpoints).

    ``position`` is None when the finding is no event's: ``after`` then says where it
    comes in notification order (a receipt, a claim, deleted rows); with neither, it
    concerns the source as a whole (the store's position trigger dropped).
    """

    kind: Kind
    source: str
    position: int | None
    detail: str
    witness: str
    record: str | None = None
    event_id: str | None = None
    precise: bool = True
    #: Where a finding without a position comes in notification order: after this
    #: position (a bundle line too malformed to say its own). Only orders ``first``.
    after: int | None = None
    #: Where the line says it is, when neither a position nor ``after`` says it right
    #: (rows deleted at positions 2529 to 2530, ordered after the last one given).
    span: str | None = None

    def line(self) -> str:
        # Neither a position nor one to follow: the store as a whole (a dropped trigger).
        # It said "at position ?", read as a position lost (probe 11).
        where = "as a whole"
        if self.span is not None:
            where = self.span
        elif self.position is not None:
            where = f"at position {self.position}"
        elif self.after is not None:
            where = f"after position {self.after}"  # a claim's finding: no event of its own
        what = f" ({self.record})" if self.record else ""
        return (
            f"{self.kind.value.upper()} in the {self.source} {where}{what}: {self.detail} "
            f"[checked against {self.witness}]"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "source": self.source,
            "position": self.position,
            "record": self.record,
            "event_id": self.event_id,
            "detail": self.detail,
            "witness": self.witness,
            "precise": self.precise,
        }


@dataclass(frozen=True)
class Resumed:
    """The part of the store a resumed verification took from its saved state, unread."""

    through: int  # the last position saved
    events: int
    started: str | None  # when the interrupted run began (None: a state saved without it)

    def line(self) -> str:
        when = f"started {self.started}" if self.started else "interrupted"
        return (
            f"resumed: the {self.events} events up to position {self.through} were read by "
            f"the run {when}, not again; a change made there since is not seen (run without "
            "--resume to read the whole store)"
        )

    def as_json(self) -> dict[str, Any]:
        return {"through": self.through, "events": self.events, "started": self.started}


@dataclass
class VerifyReport:
    """The outcome of one verification: what was checked, and every finding."""

    tenant: str
    events: int = 0
    head: str = ""
    last_position: int = 0
    witnesses: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    chain_version: str = CHAIN_VERSION
    resumed: Resumed | None = None

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def first(self) -> Finding | None:
        """The earliest precise finding in notification order; else the earliest range finding."""
        if not self.findings:
            return None
        pool = [f for f in self.findings if f.precise] or self.findings
        order = {"store": 0, "bundle": 1, "topic": 2}
        return min(pool, key=lambda f: (*_place(f), order.get(f.source, 3)))

    def as_json(self) -> dict[str, Any]:
        first = self.first
        return {
            "tenant": self.tenant,
            "chain": self.chain_version,
            "ok": self.ok,
            "events": self.events,
            "head": self.head,
            "last_position": self.last_position,
            "witnesses": self.witnesses,
            "resumed": None if self.resumed is None else self.resumed.as_json(),
            "first": None if first is None else first.as_json(),
            "findings": [f.as_json() for f in self.findings],
        }


def differences(reference: bytes, found: bytes, limit: int = 6) -> str:
    """The canonical fields that differ (``data.title``...), both values shortened."""
    left, right = json.loads(reference), json.loads(found)
    flat_left, flat_right = _flatten(left), _flatten(right)
    names = sorted(
        n for n in set(flat_left) | set(flat_right) if flat_left.get(n) != flat_right.get(n)
    )
    shown = [
        f"{n}: {_short(flat_left.get(n))} became {_short(flat_right.get(n))}" for n in names[:limit]
    ]
    more = f" (+{len(names) - limit} more)" if len(names) > limit else ""
    return "; ".join(shown) + more if shown else "the canonical bytes differ"


def _flatten(document: dict[str, Any]) -> dict[str, Any]:
    flat = {k: v for k, v in document.items() if k != "data"}
    for key, value in (document.get("data") or {}).items():
        flat[f"data.{key}"] = value
    return flat


def _short(value: Any, width: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 1] + "…"


def _place(finding: Finding) -> tuple[bool, float, bool]:
    """Where ``finding`` comes in notification order (unplaced ones last), for ``first``."""
    at: float | None = finding.position
    if at is None and finding.after is not None:
        at = finding.after + 0.5  # before the next line's, whose link it breaks
    return (at is None, at or 0, finding.witness == "the record's version sequence")
