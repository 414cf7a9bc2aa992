"""Poison messages are parked with their reason and passed; everything else still stops.

Each poison class (undecodable, unknown type, schema violation) is put in the
middle of a real ledger's events, on SQLite and PostgreSQL views, with logs
that report it lazily (as ``KafkaEventLog`` does) or eagerly. The projector
parks it in the same transaction as the batch and its tracking, applies every
other event, never parks it twice, and still stops on a version gap.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import text

from shared.log.ports import LogRecord, RawRecord
from shared.views.dead_letters import DeadLetter, parked_count, parked_letters
from shared.views.errors import (
    AggregateVersionGapError,
    EventSchemaViolationError,
    ProjectionError,
    UndecodableMessageError,
    UnknownEventTypeError,
)
from shared.views.handlers import HANDLERS, Handler
from shared.views.postgres import PostgresViewStore
from shared.views.projector import Projector
from shared.views.rebuild import RebuildBehindError, rebuild, view_contents
from shared.views.runner import ProjectorThread
from shared.views.sqlite import SqliteViewStore
from shared.views.store import REBUILD, ViewSession, ViewStore
from shared.views.tracking import tracked_offset, view_position

from .support import (
    POISON,
    TENANT,
    TOPIC,
    PoisonLog,
    Recording,
    clock,
    spaced,
    wait_until,
    with_poison,
)

STRICT_ERRORS: dict[str, type[ProjectionError]] = {
    "undecodable": UndecodableMessageError,
    "unknown-type": UnknownEventTypeError,
    "schema-violation": EventSchemaViolationError,
}


def projector(store: ViewStore, log: PoisonLog, **options: Any) -> Projector:
    return Projector(store, log, [TENANT], clock=clock, **options)


def applied_events(store: ViewStore) -> int:
    """Each applied event raised its row's version by one: the sum counts them."""
    with store.read(TENANT) as session:
        tables = session.tables.record_tables.values()
        return sum(sum(r.version for r in session.connection.execute(t.select())) for t in tables)


def letters(store: ViewStore) -> list[DeadLetter]:
    with store.read(TENANT) as session:
        return parked_letters(session)


def tracking(store: ViewStore) -> tuple[int, int]:
    """(tracked offset, position reflected) of the tenant's partition."""
    with store.read(TENANT) as session:
        return tracked_offset(session, TOPIC, 0), view_position(session).position


@pytest.mark.parametrize("eager", [False, True], ids=["lazy-log", "eager-log"])
@pytest.mark.parametrize("kind", list(POISON))
def test_poison_is_parked_with_its_reason_and_the_projector_goes_on(
    store: ViewStore, scenario: Recording, kind: str, eager: bool
) -> None:
    records = spaced(scenario)
    items, poison = with_poison(records, kind, after=5)

    consumed = projector(store, PoisonLog(items, eager=eager), page_size=4).catch_up()

    assert consumed == len(records) + 1
    assert applied_events(store) == len(records)  # every other event applied, once
    assert tracking(store) == (records[-1].offset, records[-1].event.position)
    (letter,) = letters(store)
    assert (letter.topic, letter.partition, letter.offset) == (TOPIC, 0, poison.offset)
    assert (letter.kind, letter.parked_at) == (kind, clock())
    assert letter.reason
    if isinstance(poison, RawRecord):
        assert "not an Entente CloudEvent" in letter.reason
        assert (letter.key, letter.headers, letter.value) == (
            poison.key,
            tuple(poison.headers),
            poison.value,
        )
    else:
        assert (letter.event_id, letter.event_type) == (poison.event.id, poison.event.type)
        assert letter.value is not None
        assert poison.event.aggregate_id.encode() in letter.value


@pytest.mark.parametrize("kind", list(POISON))
def test_the_tracking_stops_on_a_parked_offset_that_ends_the_log(
    store: ViewStore, scenario: Recording, kind: str
) -> None:
    records = spaced(scenario)
    items, poison = with_poison(records, kind, after=len(records) - 1)

    projector(store, PoisonLog(items)).catch_up()

    # past the poison, but the position is the last *applied* event's
    assert tracking(store) == (poison.offset, records[-1].event.position)
    assert [letter.offset for letter in letters(store)] == [poison.offset]


@pytest.mark.parametrize("kind", list(POISON))
def test_poison_before_any_event_starts_the_tracking_at_position_0(
    store: ViewStore, scenario: Recording, kind: str
) -> None:
    records = [replace(r, offset=r.offset + 10) for r in spaced(scenario)]
    poison = POISON[kind](records[0], 3)

    assert projector(store, PoisonLog([poison, *records]), page_size=1).run_once(1) == 1

    assert tracking(store) == (3, 0)
    assert parked_count_of(store) == 1


def parked_count_of(store: ViewStore) -> int:
    with store.read(TENANT) as session:
        return parked_count(session)


@pytest.mark.parametrize("kind", list(POISON))
def test_running_again_parks_nothing_twice(
    store: ViewStore, scenario: Recording, kind: str
) -> None:
    items, _poison = with_poison(spaced(scenario), kind, after=2)
    log = PoisonLog(items)
    projector(store, log).catch_up()
    before = letters(store)

    assert projector(store, log).catch_up() == 0
    assert projector(store, log, page_size=1).catch_up() == 0
    assert letters(store) == before
    with store.read(TENANT) as session:
        live = view_contents(session)

    rebuilt = rebuild(store, log, TENANT)  # replays from 0: the poison is met again

    assert parked_count_of(store) == 1
    assert rebuilt.position == tracking(store)[1]
    with store.read(TENANT) as session:
        assert view_contents(session) == live


class CrashOn:
    """Handlers that raise on the n-th event they apply (a crash half-way through a batch)."""

    def __init__(self, n: int) -> None:
        self.n, self.calls = n, 0

    def wrap(self, handlers: Mapping[str, Handler]) -> dict[str, Handler]:
        return {kind: self._counted(handler) for kind, handler in handlers.items()}

    def _counted(self, handler: Handler) -> Handler:
        def apply(session: ViewSession, event: Any) -> None:
            self.calls += 1
            if self.calls == self.n:
                raise RuntimeError("simulated crash")
            handler(session, event)

        return apply


@pytest.mark.parametrize("kind", ["unknown-type", "schema-violation"])
def test_a_crash_after_parking_leaves_neither_the_letter_nor_the_tracking(
    store: ViewStore, scenario: Recording, kind: str
) -> None:
    records = spaced(scenario)
    items, _poison = with_poison(records, kind, after=1)
    log = PoisonLog(items)
    crashing = projector(store, log, handlers=CrashOn(4).wrap(HANDLERS), page_size=6)

    with pytest.raises(RuntimeError, match="simulated crash"):
        crashing.catch_up()  # the batch parked the poison, then crashed

    assert (parked_count_of(store), tracking(store)) == (0, (-1, 0))
    projector(store, log, page_size=6).catch_up()
    assert parked_count_of(store) == 1
    assert applied_events(store) == len(records)


def test_a_version_gap_still_stops_the_projector_before_it(
    store: ViewStore, scenario: Recording
) -> None:
    records = spaced(scenario)
    lost = 6  # an amendment: its record's next event then skips a version
    log = PoisonLog([*records[:lost], *records[lost + 1 :]])

    with pytest.raises(AggregateVersionGapError) as stopped:
        projector(store, log, page_size=3).catch_up()

    later = next(r for r in records[lost + 1 :] if r.key == records[lost].key)
    assert stopped.value.offset == later.offset
    assert tracking(store)[0] < later.offset
    assert parked_count_of(store) == 0
    runner = ProjectorThread(projector(store, log), poll_interval=0.01)
    runner.start()
    assert wait_until(lambda: not runner.is_alive())  # the error ended the thread
    assert runner.stopped_by_error
    assert isinstance(runner.failure, AggregateVersionGapError)


@pytest.mark.parametrize("kind", list(POISON))
def test_without_dead_letters_poison_stops_with_its_named_error(
    store: ViewStore, scenario: Recording, kind: str
) -> None:
    records = spaced(scenario)
    items, poison = with_poison(records, kind, after=3)
    strict = projector(store, PoisonLog(items), dead_letters=None, page_size=2)

    for _attempt in range(2):  # stopped, and stays stopped
        with pytest.raises(STRICT_ERRORS[kind]) as stopped:
            strict.catch_up()
        assert stopped.value.offset == poison.offset
        assert tracking(store)[0] == records[3].offset
    assert parked_count_of(store) == 0


def _rebuild_area_exists(store: ViewStore) -> bool:
    if isinstance(store, PostgresViewStore):
        with store.engine.connect() as connection:
            found = connection.execute(
                text("SELECT 1 FROM information_schema.schemata WHERE schema_name = :name"),
                {"name": store.schema(TENANT, REBUILD)},
            )
            return found.first() is not None
    assert isinstance(store, SqliteViewStore)
    return store.path(TENANT, REBUILD).exists()


def _live_views_of(store: ViewStore) -> dict[str, list[dict[str, Any]]]:
    with store.read(TENANT) as session:
        return view_contents(session)


@pytest.mark.parametrize(
    ("log_of", "refusal"),
    [
        # A failed rebuild kept its half-filled area (``…_views_new``) until the next one.
        (lambda r: [*r[:6], *r[7:]], AggregateVersionGapError),  # an amendment lost: a gap
        # A mistyped data folder gave an empty log: it swapped in empty views, exit 0.
        (lambda r: r[:3], RebuildBehindError),
    ],
    ids=["stops-half-way", "log-shorter-than-the-views"],
)
def test_a_refused_rebuild_leaves_the_live_views_and_no_rebuild_area(
    store: ViewStore,
    scenario: Recording,
    log_of: Callable[[list[LogRecord]], list[LogRecord]],
    refusal: type[Exception],
) -> None:
    records = spaced(scenario)
    projector(store, PoisonLog(records)).catch_up()
    before = _live_views_of(store)

    with pytest.raises(refusal):
        rebuild(store, PoisonLog(log_of(records)), TENANT)

    assert not _rebuild_area_exists(store)
    assert _live_views_of(store) == before


def test_a_whole_rebuild_is_swapped_in_and_leaves_no_rebuild_area(
    store: ViewStore, scenario: Recording
) -> None:
    records = spaced(scenario)
    projector(store, PoisonLog(records)).catch_up()
    before = _live_views_of(store)
    rebuild(store, PoisonLog(records), TENANT)  # the whole log: swapped in
    assert not _rebuild_area_exists(store)  # SQLite's copied file is not left behind
    assert _live_views_of(store) == before
