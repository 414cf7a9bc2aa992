"""The real servers the suite measures on, and event stores filled for it.

Addresses come from ``ENTENTE_TEST_POSTGRES_URL`` and ``ENTENTE_TEST_KAFKA_BOOTSTRAP``
(``deploy/local/run-tests.sh`` exports them). Every run uses its own tenant
slug, schemas and topic prefix, and drops its schemas at the end.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from uuid import UUID

import psycopg
from psycopg import sql

from shared.application.ledger import CooperationLedger
from shared.application.stores import PostgresStore, schema_for
from shared.domain.agreement import Agreement
from shared.domain.catalogue import DOMAIN_EVENT_TOPICS
from shared.domain.context import Actor, CommandContext
from shared.domain.vocabulary import Classification
from shared.kafka.settings import KafkaSettings

TODAY = date(2014, 6, 1)
EVENTS_TABLE = "entente_events"


def clock() -> datetime:
    return datetime(2014, 6, 1, 12, tzinfo=UTC)


@dataclass
class Stack:
    postgres_url: str
    kafka_bootstrap: str
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    schemas: list[str] = field(default_factory=list)

    @classmethod
    def from_env(cls) -> Stack:
        missing = [
            v
            for v in ("ENTENTE_TEST_POSTGRES_URL", "ENTENTE_TEST_KAFKA_BOOTSTRAP")
            if not os.environ.get(v)
        ]
        if missing:
            raise SystemExit(
                f"bench: {', '.join(missing)} not set; run `make bench` (it starts the stack)"
            )
        return cls(
            os.environ["ENTENTE_TEST_POSTGRES_URL"], os.environ["ENTENTE_TEST_KAFKA_BOOTSTRAP"]
        )

    def tenant(self, purpose: str) -> str:
        """A tenant slug of this run (its schemas are dropped by ``cleanup``)."""
        slug = f"b{self.run_id}-{purpose}"
        self.schemas += [schema_for(slug), schema_for(slug) + "_views"]
        return slug

    def store(self) -> PostgresStore:
        return PostgresStore(self.postgres_url)

    def ledger(self, tenant: str) -> CooperationLedger:
        return CooperationLedger(tenant, self.store(), clock=clock)

    def kafka(self, purpose: str) -> KafkaSettings:
        return KafkaSettings(
            bootstrap_servers=self.kafka_bootstrap,
            topic_prefix=f"bench{self.run_id}{purpose}.",
            # As deployed: one partition per tenant topic, so that E1's observer (the views'
            # position) sees a command only once every earlier one is applied.
            partitions=1,
            bootstrap_timeout_ms=10_000,
            request_timeout_ms=10_000,
            delivery_timeout_ms=30_000,
            read_timeout_ms=30_000,
        )

    def schema(self, name: str) -> str:
        """A scratch schema of this run, created now."""
        schema = f"bench{self.run_id}_{name}"
        self.schemas.append(schema)
        self.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        return schema

    def execute(self, statement: sql.Composable | str) -> None:
        with psycopg.connect(self.postgres_url, autocommit=True) as connection:
            connection.execute(statement)  # type: ignore[arg-type]

    def cleanup(self) -> None:
        """Drops this run's schemas and deletes its topics."""
        self._delete_topics()
        with psycopg.connect(self.postgres_url, autocommit=True) as connection:
            for schema in self.schemas:
                connection.execute(
                    sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
                )

    def _delete_topics(self) -> None:
        from kafka import KafkaAdminClient

        admin = KafkaAdminClient(bootstrap_servers=self.kafka_bootstrap)
        try:
            mine = [t for t in admin.list_topics() if t.startswith(f"bench{self.run_id}")]
            if mine:
                admin.delete_topics(mine)
        finally:
            admin.close()


def sign(ledger: CooperationLedger, reference: str) -> UUID:
    """Records one agreement: one event, as a command would."""
    ctx = CommandContext(ledger.tenant, Actor("u-bench", "Banc d'essai"))
    return ledger.create(
        lambda id: Agreement.sign(
            ctx,
            id=id,
            reference=reference,
            title=f"Accord {reference}",
            kind="memorandum-of-understanding",
            partner_countries=["VN"],
            partner_organisations=[],
            themes=["counterfeit-medicines"],
            signed_on=date(2011, 12, 9),
            signed_at="Hanoï",
            duration_months=36,
            funding=None,
            funder=None,
            classification=Classification.PUBLIC,
            today=TODAY,
        ),
        None,
    ).record_id


def fill(ledger: CooperationLedger, events: int) -> None:
    """``events`` agreements recorded through the ledger (real commands, one event each)."""
    for i in range(events):
        sign(ledger, f"B-{i}")


def clone(stack: Stack, tenant: str, events: int) -> int:
    """Multiplies the tenant's stored events up to ``events`` rows by copying them in SQL.

    Each copy gets a fresh record id (so version sequences stay 1, 2, …) and a
    new notification id in order; decoding and chaining see ordinary events.
    Only events are copied and counted (each agreement's reference claim, and
    the claims marker, are bookkeeping rows that no reader of the log reads).
    Returns the number of events stored.
    """
    table = sql.Identifier(schema_for(tenant), EVENTS_TABLE)
    topics = list(DOMAIN_EVENT_TOPICS)
    with psycopg.connect(stack.postgres_url, autocommit=True) as connection:
        while True:
            count = sql.SQL("SELECT count(*) FROM {} WHERE topic = ANY(%s)").format(table)
            row = connection.execute(count, (topics,)).fetchone()
            have = int(row[0]) if row else 0
            if have >= events or have == 0:
                return have
            connection.execute(
                sql.SQL(
                    "INSERT INTO {t} (originator_id, originator_version, topic, state) "
                    "SELECT gen_random_uuid(), originator_version, topic, state FROM {t} "
                    "WHERE originator_version = 1 AND topic = ANY(%s) "
                    "ORDER BY notification_id LIMIT %s"
                ).format(t=table),
                (topics, events - have),
            )
