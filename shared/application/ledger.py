"""The service layer of one tenant: commands, idempotency, optimistic concurrency.

``CooperationLedger`` is an eventsourcing ``Application``; it translates the
library's errors into ours once (``raise … from None``), so nothing above it
knows the library exists.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.domain import (
    Aggregate,
    DomainEventProtocol,
    MutableOrImmutableAggregate,
    OriginatorVersionError,
)
from eventsourcing.persistence import (
    InfrastructureFactory,
    IntegrityError,
    InterfaceError,
    JSONTranscoder,
    Mapper,
    Notification,
    OperationalError,
    Recording,
    Transcoder,
)
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from eventsourcing.utils import Environment, get_topic, retry
from psycopg import sql
from psycopg.rows import tuple_row

from shared.application import coverage
from shared.application.claims import ClaimsReady
from shared.application.known_topics import KnownTopicsMapper
from shared.application.positions import position_of
from shared.application.receipt import CommandReceipt, receipt_id
from shared.application.recorder import events_table
from shared.application.stores import EventStoreConfig
from shared.application.transcodings import DateAsISO, PlainJSONTranscoder
from shared.application.uniqueness import claims_for, collision, ensure_ready, values_of
from shared.domain.base import EntenteAggregate
from shared.domain.catalogue import AGGREGATES, DOMAIN_EVENT_TOPICS, aggregate_type_of
from shared.errors import (
    AlteredHistoryError,
    ConfigurationError,
    ConflictError,
    IdempotencyKeyReusedError,
    NotFoundError,
    PreconditionFailedError,
    PreconditionRequiredError,
    ValueTakenError,
)
from shared.events.envelope import EventEnvelope, envelope
from shared.events.stored import NoDecoder, Published, RowDecoder
from shared.ids import random_uuid

A = TypeVar("A", bound=EntenteAggregate)
D = TypeVar("D")

#: UTC+14 (Kiribati): where each day begins first.
LATEST_UTC_OFFSET = timedelta(hours=14)


@dataclass(frozen=True)
class Idempotency:
    """A client's ``Idempotency-Key`` and the fingerprint of its request.

    ``earlier``, when given, computes the fingerprints earlier releases gave the
    same request: receipts recorded then still match their retries. It is only
    called when a receipt does not match ``fingerprint``.
    """

    key: str
    fingerprint: str
    earlier: Callable[[], Sequence[str]] | None = field(default=None, compare=False, repr=False)

    def matches(self, fingerprint: str) -> bool:
        """Whether a receipt's ``fingerprint`` is this request's."""
        if fingerprint == self.fingerprint:
            return True
        return self.earlier is not None and fingerprint in self.earlier()


@dataclass(frozen=True)
class CommandResult:
    """What a command answers: the record, its new version and the log position.

    ``position`` lets the client wait until its write is visible in a view.
    ``replayed`` is true when an idempotent retry returned the first result.
    """

    record_id: UUID
    version: int
    position: int
    replayed: bool = False


class CooperationLedger(Application[UUID]):
    """One directorate's event-sourced records."""

    name = "Entente"

    def __init__(
        self,
        tenant: str,
        store: EventStoreConfig,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        *,
        read_only: bool = False,
    ) -> None:
        """``read_only``: only read the store (the audit service): no schema or table is
        created, so a database role with SELECT alone is enough."""
        self.tenant = tenant
        self.clock = clock
        self._claims_ready = False  # whether this store's records all have their claims
        env = store.env(tenant)
        if read_only:
            env["CREATE_TABLE"] = "n"
        else:
            store.prepare(tenant)
        super().__init__(env=env)
        if self.env.get("POSTGRES_ENABLE_DB_FUNCTIONS", "n").lower() not in {"n", "no", ""}:
            raise ConfigurationError(
                "POSTGRES_ENABLE_DB_FUNCTIONS must stay off: it skips the insert lock "
                "that gap-free reading of the notification log depends on"
            )

    def construct_env(self, name: str, env: Any = None) -> Environment:
        """Only the settings we pass, never ``os.environ`` (see stores.py)."""
        return Environment(name, dict(env or {}))

    def construct_factory(self, env: Environment) -> InfrastructureFactory:
        return InfrastructureFactory.construct(env)

    def save(
        self,
        *objs: MutableOrImmutableAggregate[UUID] | DomainEventProtocol[UUID] | None,
        **kwargs: Any,
    ) -> list[Recording[UUID]]:
        """``Application.save``, collecting our aggregates' events without runtime Protocols.

        The library's ``ProcessingEvent.collect_events`` asks ``isinstance`` of
        two ``runtime_checkable`` Protocols for each object; on Python 3.11 that
        walks the Protocol's members every time: 7% of an import of 100
        records. Aggregates (a nominal class) are collected here, as it does;
        anything else still goes through it.
        """
        processing_event: ProcessingEvent[UUID] = ProcessingEvent()
        for obj in objs:
            if isinstance(obj, Aggregate):
                processing_event.events.extend(obj.collect_events())
                processing_event.aggregates[obj.id] = obj
            else:
                processing_event.collect_events(obj)
        processing_event.saved_kwargs.update(kwargs)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        self.notify(processing_event.events)  # the library's (deprecated) hook, as it calls it
        return recordings

    def construct_mapper(self) -> Mapper[UUID]:
        """The library's mapper, resolving only Entente's own topics (``known_topics``)."""
        return self.factory.mapper(
            transcoder=self.construct_transcoder(), mapper_class=KnownTopicsMapper
        )

    def construct_transcoder(self) -> Transcoder:
        """The library's JSON format and transcodings, plus dates, written by orjson."""
        transcoder = PlainJSONTranscoder()
        self.register_transcodings(transcoder)
        transcoder.register(DateAsISO())
        return transcoder

    def today(self) -> date:
        """Today's date in UTC: what a record's derived status (expired...) is judged on."""
        return self.clock().date()

    def latest_today(self) -> date:
        """The date commands compare "not in the future" against: the latest date anywhere.

        Desk officers in Paris, and posts from Nouméa (UTC+11) to Papeete, record
        what happened on their own today; in UTC it may still be yesterday (a
        request received at 00:30 in Paris was refused for an hour). A date is in
        the future only once it is so in the last time zone on Earth (UTC+14).
        """
        return (self.clock().astimezone(UTC) + LATEST_UTC_OFFSET).date()

    def create(
        self,
        build: Callable[[UUID], EntenteAggregate],
        idempotency: Idempotency | None,
    ) -> CommandResult:
        """Records a new aggregate built by ``build`` (which runs its guards).

        The receipt is not looked up first: a new record has a new id, so the
        only thing its save can collide with is the receipt of an earlier
        command with the same key, and ``_save`` answers that collision with
        the earlier result (or the reused-key error). A retry whose guards now
        fail is still answered from its receipt, as if looked up first.
        """
        try:
            record = build(random_uuid())
        except Exception:
            replay = self._replay(idempotency)
            if replay is not None:
                return replay
            raise
        return self._save(record, idempotency, before=None)

    def change(
        self,
        record_type: type[A],
        record_id: UUID,
        expected_version: int | None,
        action: Callable[[A], None],
        idempotency: Idempotency | None,
    ) -> CommandResult:
        """Applies ``action`` to an existing record at ``expected_version`` (If-Match)."""
        replay = self._replay(idempotency)
        if replay is not None:
            return replay
        record = self.record(record_type, record_id)
        if expected_version is None:
            raise PreconditionRequiredError(
                "changing an existing record needs If-Match with its current version"
            )
        if record.version != expected_version:
            raise PreconditionFailedError(
                f"If-Match names version {expected_version}; "
                f"the current version is {record.version}"
            )
        before = values_of(record)
        action(record)
        return self._save(record, idempotency, expected_version, before=before)

    def record(self, record_type: type[A], record_id: UUID) -> A:
        """The current state of one record of this tenant, or NotFoundError."""
        found: object
        try:
            found = self.repository.get(record_id)
        except AggregateNotFoundError:
            found = None
        except OriginatorVersionError as error:  # a version missing, repeated: altered
            found_expected = error.args if len(error.args) == 2 else ("?", "?")
            raise AlteredHistoryError(
                f"the stored events of {record_id} do not run 1, 2, 3…: version "
                f"{found_expected[0]} where {found_expected[1]} was expected; "
                f"`entente audit verify {self.tenant}` names them"
            ) from None
        if not isinstance(found, record_type):
            raise NotFoundError(f"no {record_type.record_name} {record_id}")
        if found.tenant != self.tenant:  # moved here from another directorate's store
            raise AlteredHistoryError(
                f"the stored events of {record_id} are tenant {found.tenant!r}'s, in the "
                f"store of {self.tenant!r}; `entente audit verify {self.tenant}` names them"
            )
        return found

    def history(self, record_type: type[EntenteAggregate], record_id: UUID) -> list[EventEnvelope]:
        """Every event of one record, oldest first, as published envelopes."""
        self.record(record_type, record_id)
        kind = aggregate_type_of(record_type)
        return [envelope(event, kind, position=0) for event in self.events.get(record_id)]

    def read_log(self, after: int, limit: int) -> Sequence[tuple[int, EventEnvelope]]:
        """Domain events after notification id ``after``, in notification order.

        Reads in large sections (replays, rebuilds and the checker call this), and
        skips command receipts, which are bookkeeping, not facts. On PostgreSQL
        the rows come from one keyset query with binary results as plain tuples
        (the library's ``select_notifications`` builds an object per row first).
        """
        return self._read(self.row_decoder.envelope, after, limit)

    def read_published(
        self, after: int, limit: int
    ) -> Sequence[tuple[int, Published | EventEnvelope]]:
        """``read_log`` for the relay: each event's canonical document and bytes, or its envelope.

        The relay chains and encodes every event it reads; from the stored JSON
        straight to the canonical document (``RowDecoder.published``) it needs
        no envelope. Where the library's path decides, the envelope comes instead.
        """
        return self._read(self.row_decoder.published, after, limit)

    def _read(
        self, decode: Callable[..., D | None], after: int, limit: int
    ) -> list[tuple[int, D | EventEnvelope]]:
        """Each stored row after ``after`` as ``decode`` gives it, or the library's envelope."""
        result: list[tuple[int, D | EventEnvelope]] = []
        append = result.append
        for row in self._log_rows(max(after, 0), limit):
            decoded = decode(*row)
            append((row[0], self._library_envelope(row) if decoded is None else decoded))
        return result

    def _library_envelope(self, row: _LogRow) -> EventEnvelope:
        """The library's decoding of one stored row: upcasting, or the reason it fails."""
        position, originator_id, version, topic, state = row
        notification = Notification(originator_id, version, topic, state, position)
        event = self.mapper.to_domain_event(notification)
        return envelope(event, _aggregate_type_of_topic(topic), position)

    def _log_rows(self, after: int, limit: int) -> Sequence[_LogRow]:
        """(position, originator id, version, topic, state) of domain events after ``after``."""
        recorder = self.recorder
        if isinstance(recorder, PostgresApplicationRecorder):
            rows: Sequence[_LogRow] = _postgres_log_rows(recorder, after, limit)
            return rows
        notifications = recorder.select_notifications(
            start=after, limit=limit, topics=DOMAIN_EVENT_TOPICS, inclusive_of_start=False
        )
        return [
            (n.id, n.originator_id, n.originator_version, n.topic, n.state) for n in notifications
        ]

    @cached_property
    def row_decoder(self) -> RowDecoder | NoDecoder:
        """Envelopes straight from the stored JSON (``shared.events.stored``), when it is plain.

        Only with the JSON transcoder and neither cipher nor compressor: the
        decoder reads the stored bytes as the JSON they then are. Public for
        readers of whole pages of stored rows (the audit walk), which decode
        rows they read themselves; a ``None`` from it sends a row to the
        library's mapper.
        """
        mapper = self.mapper
        plain = mapper.cipher is None and mapper.compressor is None
        if plain and isinstance(mapper.transcoder, JSONTranscoder):
            return RowDecoder(mapper.transcoder.names, _aggregate_type_of_topic, self.tenant)
        return NoDecoder()

    def position(self) -> int:
        """The highest notification id recorded so far (0 when empty)."""
        return self.recorder.max_notification_id() or 0

    def last_event_position(self) -> int:
        """The notification id of the last domain event (0 when none): the relay's goal.

        Receipts are stored after their command's events and never published, so
        the store's last id (``position``) stays ahead of a caught-up relay after
        any command sent with an Idempotency-Key. Read backwards from the end:
        the last event is at most a receipt or two before it.
        """
        recorder = self.recorder
        topics = list(DOMAIN_EVENT_TOPICS)
        if isinstance(recorder, PostgresApplicationRecorder):
            query = sql.SQL(
                "SELECT notification_id FROM {events} WHERE topic = ANY(%s) "
                "ORDER BY notification_id DESC LIMIT 1"
            ).format(events=events_table(recorder))
            with recorder.datastore.get_connection() as connection:
                cursor = connection.cursor(row_factory=tuple_row)
                row = cursor.execute(query, (topics,)).fetchone()
            return int(row[0]) if row else 0
        if isinstance(recorder, SQLiteApplicationRecorder):
            marks = ",".join("?" * len(topics))
            statement = (
                f"SELECT rowid FROM {recorder.events_table_name} WHERE topic IN ({marks}) "
                "ORDER BY rowid DESC LIMIT 1"
            )
            with recorder.datastore.transaction(commit=False) as lite:
                lite.execute(statement, topics)
                found = lite.fetchone()
            return int(found[0]) if found else 0
        return self.position()  # another recorder: the store's last id, receipts included

    def receipt(self, idempotency: Idempotency | None) -> CommandReceipt | None:
        """The receipt of an earlier command with this key, if any.

        IdempotencyKeyReusedError when that command's request was not this one.
        """
        if idempotency is None:
            return None
        receipt: object
        try:
            receipt = self.repository.get(receipt_id(self.tenant, idempotency.key))
        except AggregateNotFoundError:
            return None
        assert isinstance(receipt, CommandReceipt)
        if not idempotency.matches(receipt.fingerprint):
            raise IdempotencyKeyReusedError(
                "this Idempotency-Key was already used with a different request, or by another "
                "caller: send a fresh key (a UUID) with each new request"
            )
        return receipt

    def _replay(self, idempotency: Idempotency | None) -> CommandResult | None:
        receipt = self.receipt(idempotency)
        if receipt is None:
            return None
        position = position_of(self.recorder, receipt.record_id, receipt.record_version)
        return CommandResult(receipt.record_id, receipt.record_version, position or 0, True)

    def _save(
        self,
        record: EntenteAggregate,
        idempotency: Idempotency | None,
        expected_version: int | None = None,
        *,
        before: dict[str, str] | None = None,
    ) -> CommandResult:
        """Saves ``record`` with its receipt and claims; a collision is a retry's answer,
        or a refusal.

        ``before``: the record's unique values before a change (None: a new record).
        A change whose If-Match version was current when read but taken by another
        writer before the save is the If-Match failing: 412, as for a stale version
        (clients branch on the status), naming the version that won. A value another
        record took meanwhile is that value taken (409).
        """
        prefix = "" if before is None else "changes."
        try:
            claims = self._claims(record, before, prefix)
        except ValueTakenError:
            # A retry whose value is now taken (by its own first attempt, or since)
            # is answered from its receipt, as a retry whose guards now fail is.
            replay = self._replay(idempotency)
            if replay is not None:
                return replay
            raise
        receipt = None
        if idempotency is not None:
            receipt = CommandReceipt.issue(
                receipt_id(self.tenant, idempotency.key),
                idempotency.fingerprint,
                record.id,
                record.version,
            )
        pending = list(record.pending_events)  # the save collects them; a collision reads them
        try:
            recordings = self.save(record, *claims, receipt)
        except IntegrityError:
            replay = self._replay(idempotency)
            if replay is not None:
                return replay
            taken = collision(self, record, claims, prefix) or coverage.collision(
                self, record, claims, pending
            )
            if taken is not None:
                raise taken from None
            if expected_version is not None:
                current = self.record(type(record), record.id).version
                raise PreconditionFailedError(
                    f"If-Match names version {expected_version}; the current version is "
                    f"{current} (another change was recorded first)"
                ) from None
            if before is None:  # a new record: the new store's claims marker, saved by another
                raise ConflictError(
                    "another command was recorded at the same moment; send this one again"
                ) from None
            raise ConflictError(
                "another change to this record was recorded first; reload it and retry"
            ) from None
        if any(isinstance(claim, ClaimsReady) for claim in claims):
            self._claims_ready = True  # the marker came along, and is saved
        position = max(
            r.notification.id for r in recordings if r.domain_event.originator_id == record.id
        )
        return CommandResult(record.id, record.version, position)

    def _claims(
        self, record: EntenteAggregate, before: dict[str, str] | None, prefix: str
    ) -> list[Aggregate]:
        """The claims a save of ``record`` takes or releases: its unique values'
        (``uniqueness``, with, on a new store, the marker that its records all have
        theirs) and a post's countries (``coverage``)."""
        claims: list[Aggregate] = coverage.coverage_claims(self, self.tenant, record)
        if not type(record).unique:
            return claims
        if not self._claims_ready:
            marker = ensure_ready(self, self.tenant)
            self._claims_ready = marker is None
            if marker is not None:
                claims.append(marker)
        return [*claims_for(self, self.tenant, record, before, prefix), *claims]


def _aggregate_type_of_topic(event_topic: str) -> str:
    """``mod:Mission.Requested`` → ``mission``."""
    return aggregate_type_of(AGGREGATES_BY_TOPIC[_originator_topic(event_topic)])


def _originator_topic(event_topic: str) -> str:
    """``mod:Mission.Requested`` → ``mod:Mission``."""
    module, qualname = event_topic.split(":")
    return f"{module}:{qualname.rsplit('.', 1)[0]}"


AGGREGATES_BY_TOPIC = {get_topic(cls): cls for cls in AGGREGATES}


#: A stored domain event as ``read_log`` reads it: position, originator id, version, topic, state.
_LogRow = tuple[int, Any, int, str, bytes]


@retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)  # as the library's read
def _postgres_log_rows(
    recorder: PostgresApplicationRecorder, after: int, limit: int
) -> Sequence[_LogRow]:
    """The next ``limit`` domain-event rows after ``after``: one keyset query, binary tuples.

    The same rows, in the same order, as ``select_notifications`` with the
    domain topics and ``inclusive_of_start=False``; insert order is commit
    order under the recorder's table lock, so "after the last seen" skips none.
    """
    with recorder.datastore.get_connection() as connection:
        cursor = connection.cursor(binary=True, row_factory=tuple_row)
        rows: Any = cursor.execute(
            domain_rows_query(recorder), (after, list(DOMAIN_EVENT_TOPICS), limit)
        ).fetchall()
    return rows  # type: ignore[no-any-return]


def domain_rows_query(
    recorder: PostgresApplicationRecorder, *, id_as_text: bool = False, bounded: bool = False
) -> sql.Composed:
    """The keyset page of stored domain events: (position, originator id, version, topic,
    state) after ``%s`` (and up to ``%s`` when ``bounded``), topic in ``%s``, ``LIMIT %s``.

    The relay's ``read_log`` takes ids as UUIDs; the audit walk as text (``id_as_text``).
    """
    return sql.SQL(
        "SELECT notification_id, originator_id{cast}, originator_version, topic, state "
        "FROM {events} WHERE notification_id > %s{bound} AND topic = ANY(%s) "
        "ORDER BY notification_id LIMIT %s"
    ).format(
        cast=sql.SQL("::text" if id_as_text else ""),
        events=events_table(recorder),
        bound=sql.SQL(" AND notification_id <= %s" if bounded else ""),
    )
