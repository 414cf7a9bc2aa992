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


def receipt_id(tenant: str, idempotency_key: str) -> UUID:
    """Deterministic: the same key in the same tenant always names the same receipt."""
    return uuid5(NAMESPACE_URL, f"entente:{tenant}:idempotency:{idempotency_key}")


class CommandReceipt(Aggregate):
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
