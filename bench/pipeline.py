"""K1 (relay vs raw produce), P1 (projector vs raw consume and raw upsert), R2 (audit replay)."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import time
import uuid
from collections.abc import Callable

import psycopg
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from psycopg import sql

from bench.harness import Comparison, Sample, compare, timed
from bench.stack import EVENTS_TABLE, Stack, clone, fill
from shared.application.ledger import CooperationLedger
from shared.application.stores import schema_for
from shared.audit.store import PAGE_SIZE, PARALLEL_MIN
from shared.domain.catalogue import DOMAIN_EVENT_TOPICS
from shared.events import chain, wire
from shared.events.wire import WireMessage
from shared.kafka.clients import consumer_config, producer_config
from shared.kafka.log import KafkaEventLog
from shared.kafka.names import events_topic
from shared.kafka.producer import KafkaPublisher
from shared.kafka.topics import KafkaTopicAdmin
from shared.relay.relay import Relay, RelayOptions
from shared.relay.state import TABLE as RELAY_STATE
from shared.relay.state import relay_state_store
from shared.views.postgres import PostgresViewStore
from shared.views.projector import Projector

Log = Callable[[str], None]
SEED = 200  # events recorded through real commands; the rest are SQL copies of them


def k1(stack: Stack, events: int, rounds: int, log: Log) -> Comparison:
    """The relay publishing ``events`` stored events vs kafka-python sending the same messages."""
    tenant = stack.tenant("k1")
    ledger = stack.ledger(tenant)
    fill(ledger, min(SEED, events))
    clone(stack, tenant, events)
    kafka = stack.kafka("k1")
    admin = KafkaTopicAdmin(kafka)
    admin.ensure_tenant_topics(tenant)
    admin.close()
    store = stack.store()
    # Kept as one pickled blob, unpacked only for the baseline's rounds: alive as
    # objects, 30,000 pre-encoded messages (over a million GC-tracked objects)
    # would make every full collection during the relay's rounds walk them too.
    encoded = pickle.dumps(_messages(ledger, events), protocol=pickle.HIGHEST_PROTOCOL)
    physical = kafka.physical(events_topic(tenant))
    state_table = sql.Identifier(schema_for(tenant), RELAY_STATE)

    def subject(_round: int) -> Sample:
        stack.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(state_table))
        state = relay_state_store(store, tenant)
        publisher = KafkaPublisher(kafka)
        relay = Relay(ledger, publisher, state, RelayOptions())
        try:
            return timed(relay.catch_up)
        finally:
            publisher.close()
            state.close()

    def baseline(_round: int) -> Sample:
        messages: list[WireMessage] = pickle.loads(encoded)  # noqa: S301 (our own bytes)
        producer = KafkaProducer(**producer_config(kafka))
        try:

            def send() -> int:
                futures = [
                    producer.send(physical, key=m.key, value=m.value, headers=m.headers)
                    for m in messages
                ]
                for future in futures:
                    future.get(timeout=60)
                return len(futures)

            return timed(send)
        finally:
            producer.close(timeout=5)

    try:
        return compare(subject, baseline, rounds, log, "K1")
    finally:
        ledger.close()


def _messages(ledger: CooperationLedger, events: int) -> list[WireMessage]:
    """The relay's messages for the stored events, computed outside any timing."""
    head, after = chain.genesis(ledger.tenant), 0
    out: list[WireMessage] = []
    while len(out) < events:
        page = ledger.read_log(after, 1000)
        if not page:
            break
        for position, event in page:
            head = chain.link(head, event)
            out.append(wire.encode(event, head))
            after = position
    return out


def p1(stack: Stack, events: int, rounds: int, log: Log) -> Comparison:
    """The projector (Kafka → views in PostgreSQL) vs min(raw consume, raw upsert)."""
    tenant = stack.tenant("p1")
    ledger = stack.ledger(tenant)
    fill(ledger, min(SEED, events))
    clone(stack, tenant, events)
    kafka = stack.kafka("p1")
    admin = KafkaTopicAdmin(kafka)
    admin.ensure_tenant_topics(tenant)
    admin.close()
    store = stack.store()
    state = relay_state_store(store, tenant)
    publisher = KafkaPublisher(kafka)
    published = Relay(ledger, publisher, state, RelayOptions()).catch_up()
    publisher.close()
    state.close()
    ledger.close()
    log(f"  P1: {published} events published once for every round")
    physical = kafka.physical(events_topic(tenant))
    scratch = stack.schema("p1raw")
    rows = [(uuid.uuid4(), json.dumps({"n": i, "title": f"Accord B-{i}"})) for i in range(events)]

    def subject(round_: int) -> Sample:
        views = PostgresViewStore(stack.postgres_url, [tenant], schema_prefix=f"r{round_}s{_tag()}")
        views.setup()
        # Like for like with ``consume``, whose consumer is built, and learns the
        # topic's partitions, before its clock starts: the log's consumer too.
        event_log = KafkaEventLog(kafka)
        event_log.partitions(events_topic(tenant))
        projector = Projector(views, event_log, [tenant])
        try:
            return timed(projector.catch_up)
        finally:
            event_log.close()
            for schema in (views.schema(tenant),):
                stack.schemas.append(schema)
            views.dispose()

    def consume() -> Sample:
        consumer = KafkaConsumer(**consumer_config(kafka))
        try:
            partitions = [
                TopicPartition(physical, p) for p in consumer.partitions_for_topic(physical)
            ]
            consumer.assign(partitions)
            consumer.seek_to_beginning(*partitions)
            ends = consumer.end_offsets(partitions)
            total = sum(ends.values())
            started, seen = time.perf_counter(), 0
            while seen < total:
                for records in consumer.poll(timeout_ms=1000).values():
                    for record in records:
                        json.loads(record.value)
                    seen += len(records)
            return Sample(seen, time.perf_counter() - started)
        finally:
            consumer.close()

    def upsert(round_: int) -> Sample:
        table = sql.Identifier(scratch, f"upsert{round_}")
        with psycopg.connect(stack.postgres_url) as connection:
            connection.execute(
                sql.SQL("CREATE TABLE {} (id uuid PRIMARY KEY, body jsonb NOT NULL)").format(table)
            )
            connection.commit()
            statement = sql.SQL(
                "INSERT INTO {} (id, body) VALUES (%s, %s) "
                "ON CONFLICT (id) DO UPDATE SET body = EXCLUDED.body"
            ).format(table)
            started = time.perf_counter()
            with connection.cursor() as cursor:
                for i in range(0, len(rows), 1000):
                    cursor.executemany(statement, rows[i : i + 1000])
                    connection.commit()
            return Sample(len(rows), time.perf_counter() - started)

    def baseline(round_: int) -> Sample:
        read, written = consume(), upsert(round_)
        log(f"  P1 raw consume {read.rate:,.0f}/s, raw upsert {written.rate:,.0f}/s")
        return min(read, written, key=lambda s: s.rate)

    return compare(subject, baseline, rounds, log, "P1")


def _tag() -> str:
    return uuid.uuid4().hex[:4] + "_"


def r2(stack: Stack, events: int, rounds: int, log: Log) -> Comparison:
    """The audit walk (decode, canonical form, hash chain) vs a raw keyset read of the rows."""
    tenant = stack.tenant("r2")
    ledger = stack.ledger(tenant)
    fill(ledger, min(SEED, events))
    started = time.perf_counter()
    stored = clone(stack, tenant, events)
    log(f"  R2: {stored} events stored in {time.perf_counter() - started:.1f}s")
    table = sql.Identifier(schema_for(tenant), EVENTS_TABLE)
    # The very rows the walk reads, read the same way: binary results, the record id
    # as text, domain-event topics only, pages of PAGE_SIZE.
    query = sql.SQL(
        "SELECT notification_id, originator_id::text, originator_version, topic, state FROM {} "
        "WHERE notification_id > %s AND topic = ANY(%s) ORDER BY notification_id LIMIT %s"
    ).format(table)
    topics = list(DOMAIN_EVENT_TOPICS)

    def subject(round_: int) -> Sample:
        """The walk in a process of its own, as `entente audit` runs it (see bench/walk.py)."""
        command = [sys.executable, "-m", "bench.walk", stack.postgres_url, tenant]
        done = subprocess.run(command, check=True, capture_output=True, text=True)  # noqa: S603
        result = json.loads(done.stdout.strip().splitlines()[-1])
        if round_ == 0:
            workers = "with" if result["workers"] and stored >= PARALLEL_MIN else "without"
            log(f"  R2: the walk runs {workers} decoding worker processes")
        return Sample(int(result["operations"]), float(result["seconds"]))

    def baseline(_round: int) -> Sample:
        def read() -> int:
            count, after = 0, 0
            with psycopg.connect(stack.postgres_url) as connection:
                cursor = connection.cursor(binary=True)
                while True:
                    page = cursor.execute(query, (after, topics, PAGE_SIZE)).fetchall()
                    if not page:
                        return count
                    count += len(page)
                    after = page[-1][0]

        return timed(read)

    try:
        return compare(subject, baseline, rounds, log, "R2")
    finally:
        ledger.close()
