"""Command receipts: what makes a retried command return its first result.

A receipt is saved in the same transaction as the events the command produced
(``Application.save`` writes several aggregates atomically), so either both
exist or neither does. Its id is derived from the tenant and the client's
``Idempotency-Key``; a second request with that key finds it and gets the same
answer, or a 422 if its body differs (the fingerprint).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from shared.domain.creation import DirectlyCreated


def receipt_id(tenant: str, idempotency_key: str) -> UUID:
    """Deterministic: the same key in the same tenant always names the same receipt."""
    return uuid5(NAMESPACE_URL, f"entente:{tenant}:idempotency:{idempotency_key}")


class CommandReceipt(DirectlyCreated):
    """Remembers one accepted command: its fingerprint and the record it changed."""

    if TYPE_CHECKING:
        fingerprint: str
        record_id: UUID
        record_version: int

    class Issued(Aggregate.Created):
        fingerprint: str
        record_id: UUID
        record_version: int

        def apply(self, aggregate: Any) -> None:
            aggregate.fingerprint = self.fingerprint
            aggregate.record_id = self.record_id
            aggregate.record_version = self.record_version

    @classmethod
    def issue(
        cls, id: UUID, fingerprint: str, record_id: UUID, record_version: int
    ) -> CommandReceipt:
        return cls._create(
            cls.Issued,
            id=id,
            fingerprint=fingerprint,
            record_id=record_id,
            record_version=record_version,
        )


class ImportReceipt(CommandReceipt):
    """Remembers one accepted bulk import: every record it created, in the order sent.

    A ``CommandReceipt`` too (``record_id`` is the last record), so a single
    command that reuses an import's key is refused like any other reused key.
    """

    if TYPE_CHECKING:
        record_ids: list[UUID]
        record_versions: list[int]

    class Imported(CommandReceipt.Issued):
        record_ids: list[UUID]
        record_versions: list[int]

        def apply(self, aggregate: Any) -> None:
            super().apply(aggregate)
            aggregate.record_ids = list(self.record_ids)
            aggregate.record_versions = list(self.record_versions)

    @classmethod
    def issue_for(
        cls, id: UUID, fingerprint: str, records: list[tuple[UUID, int]]
    ) -> ImportReceipt:
        return cls._create(
            cls.Imported,
            id=id,
            fingerprint=fingerprint,
            record_id=records[-1][0],
            record_version=records[-1][1],
            record_ids=[record_id for record_id, _ in records],
            record_versions=[version for _, version in records],
        )
