"""The ledgers an audit reads through: read-only, on either store.

On PostgreSQL the audit's database role may only read the tenants' schemas (USAGE
and SELECT, deploy/compose/postgres-init and the chart's Secret): a ledger that
prepared its schema would need CREATE and fail. A SQLite file is opened read-only
(``mode=ro``): opened as a writer, closing it checkpointed its write-ahead log into
the file, so an audit changed the bytes of the evidence it read (audit probe). The
service and ``entente audit`` both open their ledgers here, so the two cannot differ.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from shared.application.ledger import CooperationLedger
from shared.application.stores import EventStoreConfig, SqliteStore


def audit_ledger(
    tenant: str,
    store: EventStoreConfig,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> CooperationLedger:
    """A ledger that reads ``tenant``'s history and never creates anything in ``store``."""
    if isinstance(store, SqliteStore):
        store = replace(store, read_only=True)
    return CooperationLedger(tenant, store, clock, read_only=True)
