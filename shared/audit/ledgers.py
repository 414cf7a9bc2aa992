"""The ledgers an audit reads through: read-only wherever the store has roles.

On PostgreSQL the audit's database role may only read the tenants' schemas (USAGE
and SELECT, deploy/compose/postgres-init and the chart's Secret): a ledger that
prepared its schema would need CREATE and fail. The service and ``entente audit``
both open their ledgers here, so the two cannot differ.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from shared.application.ledger import CooperationLedger
from shared.application.stores import EventStoreConfig, PostgresStore


def audit_ledger(
    tenant: str,
    store: EventStoreConfig,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> CooperationLedger:
    """A ledger that reads ``tenant``'s history and never creates anything in ``store``."""
    return CooperationLedger(tenant, store, clock, read_only=isinstance(store, PostgresStore))
