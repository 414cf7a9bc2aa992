"""Unique values: what keeps two agreements of one directorate from sharing a reference.

An agreement's reference is how the desk, the partner and the file name it
("FR-VN-2011-CM"); two agreements recorded under one reference make every
letter, report and audit finding that cites it ambiguous. Each record is its
own event stream, so no single stream can see the others: the rule is kept by
a small bookkeeping aggregate per value, a ``ValueClaim``, whose id is derived
from the tenant, the record kind, the field and the value as people compare it
(case, width and spacing aside). The claim is saved in the same transaction as
the record's event (``Application.save`` writes several aggregates at once), so
a second record taking the value collides with the first one's claim: the
event store's unique (id, version) is the lock, without a read-then-write race.

A corrected value releases the old claim (another record may then take it) and
takes the new one. Claims, like command receipts, are never published: they are
bookkeeping, not facts of cooperation.

``ClaimsReady`` marks a store whose existing records have their claims: records
signed before this rule existed get theirs the first time a process writes a
record kind with unique values (``backfill``), the first holder of a value by
log order keeping it; later duplicates are reported in the log and keep their
value, since nothing recorded is ever altered.
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from shared.domain.creation import DirectlyCreated
from shared.text import shown


def comparable(value: str) -> str:
    """A value as people compare it: ``fr-vn-2011-cm`` is ``FR-VN-2011-CM``.

    Compatibility normalisation (full-width letters, ligatures), case folding,
    characters that show nothing dropped (a zero-width space, a soft hyphen, a
    bidi mark: ``FR-VN-2011-CM\u200b`` looks exactly like ``FR-VN-2011-CM``) and
    runs of spaces made one: what differs only in these is the same value. Normalised
    again once they are dropped: ``E`` + U+200B + U+0301 became ``E`` + U+0301, which
    never equalled ``É`` (probe 7).
    """
    visible = shown(unicodedata.normalize("NFKC", value))
    return " ".join(unicodedata.normalize("NFKC", visible).casefold().split())


def claim_id(tenant: str, record_name: str, field: str, value: str) -> UUID:
    """Deterministic: the same value of the same field names the same claim."""
    name = f"entente:{tenant}:unique:{record_name}:{field}:{comparable(value)}"
    return uuid5(NAMESPACE_URL, name)


def ready_id(tenant: str) -> UUID:
    """The id of the tenant's ``ClaimsReady`` marker."""
    return uuid5(NAMESPACE_URL, f"entente:{tenant}:unique:ready:v1")


class ValueClaim(DirectlyCreated):
    """One value held by one record (``holder``), or by none once released."""

    if TYPE_CHECKING:
        kind: str
        field: str
        holder: UUID | None
        value: str

    class Claimed(Aggregate.Created):
        kind: str  # the record kind (``agreement``)
        field: str  # the unique field (``reference``)
        holder: UUID
        value: str  # as the holder wrote it

        def apply(self, aggregate: Any) -> None:
            aggregate.kind = self.kind
            aggregate.field = self.field
            aggregate.holder = self.holder
            aggregate.value = self.value

    class Released(Aggregate.Event):
        """The holder's value was corrected to another (or a post gave the country up):
        the value is free again. Written again on a free claim by a command that must
        collide with another taking it at that moment (``coverage``: a redating)."""

        def apply(self, aggregate: Any) -> None:
            aggregate.holder = None

    class Retaken(Aggregate.Event):
        """A released value taken by a record (the same or another); or a held one taken
        again by its holder, unchanged, by a command that must collide with another on
        that value at that moment (``coverage``: a redating, a post of the past)."""

        holder: UUID
        value: str

        def apply(self, aggregate: Any) -> None:
            aggregate.holder = self.holder
            aggregate.value = self.value

    @classmethod
    def take(cls, id: UUID, kind: str, field: str, holder: UUID, value: str) -> ValueClaim:
        return cls._create(cls.Claimed, id=id, kind=kind, field=field, holder=holder, value=value)

    def release(self) -> None:
        self.trigger_event(self.Released)

    def retake(self, holder: UUID, value: str) -> None:
        self.trigger_event(self.Retaken, holder=holder, value=value)


class ClaimsReady(DirectlyCreated):
    """Marks a store whose records all have their claims (see the module's docstring)."""

    if TYPE_CHECKING:
        claims: int

    class Marked(Aggregate.Created):
        claims: int  # how many claims the backfill made, for the operator's log

        def apply(self, aggregate: Any) -> None:
            aggregate.claims = self.claims

    @classmethod
    def mark(cls, id: UUID, claims: int) -> ClaimsReady:
        return cls._create(cls.Marked, id=id, claims=claims)
