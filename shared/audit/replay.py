"""Replaying a tenant's log from offset 0 into scratch views, and comparing them with the live ones.

The scratch views are a separate view store (a SQLite file under
``<data_dir>/audit/replay``, or the PostgreSQL schema
``audit_replay_entente_<tenant>_views``), filled by the very ``Projector`` that
fills the live views, from the same log. The live views are only ever read,
in one snapshot transaction; the replay is bounded to the offsets that
snapshot reflects, so both sides hold the same events. If the live views
moved meanwhile, the replay catches up to their new offsets and compares again.

The scratch views keep their tracking rows, so an interrupted replay resumes
where it stopped (``resume=True``); without it, they are emptied first.
Dead letters are parked in the scratch views only (never on a Kafka topic).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eventsourcing.domain import EventSourcingError

from shared.audit.errors import AuditError, UndecodableHistoryError, ViewsKeptMovingError
from shared.audit.progress import Interrupted, Never, Progress, Quiet, StopSignal
from shared.log.ports import EventLog, LogRecord, topic_for
from shared.views.errors import ProjectionError
from shared.views.projector import Projector
from shared.views.rebuild import view_contents
from shared.views.store import ViewSession, ViewStore, open_view_store
from shared.views.tracking import tracked_offsets

PAGE_SIZE = 1000
SCRATCH_PREFIX = "audit_replay_"
Offsets = dict[tuple[str, int], int]


@dataclass(frozen=True)
class Difference:
    """One row that differs between the live views and the replay."""

    table: str
    key: dict[str, Any]
    kind: str  # "only-live", "only-replay" or "differs"
    columns: list[str] = field(default_factory=list)

    def line(self) -> str:
        key = ", ".join(f"{k}={v}" for k, v in self.key.items())
        what = {"only-live": "only in the live views", "only-replay": "only in the replay"}
        detail = what.get(self.kind, "differs in " + ", ".join(self.columns))
        return f"{self.table} [{key}]: {detail}"


@dataclass
class ReplayReport:
    tenant: str
    offsets: Offsets
    rows: dict[str, int]
    differences: list[Difference]

    @property
    def ok(self) -> bool:
        return not self.differences


class BoundedLog:
    """The log as it was up to given offsets: what the live views had consumed."""

    def __init__(self, log: EventLog, bounds: Offsets) -> None:
        self.log, self.bounds = log, bounds

    def topics(self) -> list[str]:
        return self.log.topics()

    def partitions(self, topic: str) -> list[int]:
        return self.log.partitions(topic)

    def read(self, topic: str, partition: int, after: int, limit: int) -> list[LogRecord]:
        bound = self.bounds.get((topic, partition), -1)
        if after >= bound:
            return []
        with _decoding(topic, after):
            records = self.log.read(topic, partition, after, limit)
        return [r for r in records if r.offset <= bound]

    def end_offset(self, topic: str, partition: int) -> int:
        with _decoding(topic, None):
            end = self.log.end_offset(topic, partition)
        return min(end, self.bounds.get((topic, partition), -1))


@contextlib.contextmanager
def _decoding(topic: str, after: int | None) -> Iterator[None]:
    """The embedded log decodes stored events as it reads them: one a tampered store no
    longer holds in a decodable form stops the replay with a finding, not a traceback."""
    try:
        yield
    except (EventSourcingError, TypeError, ValueError) as error:
        where = "" if after is None or after < 0 else f" after offset {after}"
        raise UndecodableHistoryError(
            f"{topic} holds an event{where} that cannot be decoded "
            f"({type(error).__name__}: {str(error)[:300]}); `entente audit verify` names "
            "every altered event"
        ) from None


def scratch_views(
    views_url: str | None, data_dir: Path, tenant: str, prefix: str = SCRATCH_PREFIX
) -> ViewStore:
    """Where the replay of ``tenant`` goes: never the live views' tables."""
    if views_url and views_url.split(":", 1)[0].startswith("postgres"):
        from shared.views.postgres import PostgresViewStore

        return PostgresViewStore(views_url, [tenant], schema_prefix=prefix, pool_size=2)
    return open_view_store(None, data_dir / "audit" / "replay", [tenant])


def replay_tenant(
    live: ViewStore,
    scratch: ViewStore,
    log: EventLog,
    tenant: str,
    *,
    resume: bool = False,
    page_size: int = PAGE_SIZE,
    progress: Progress | None = None,
    stop: StopSignal | None = None,
    attempts: int = 5,
) -> ReplayReport:
    """Replays into ``scratch`` up to the live offsets and lists every difference."""
    progress, stop = progress or Quiet(), stop or Never()
    if not resume:
        _empty(scratch, tenant)
    scratch.setup()
    for _attempt in range(attempts):
        with live.read(tenant) as session:
            bounds = _offsets(session)
        _catch_up(scratch, BoundedLog(log, bounds), tenant, page_size, progress, stop)
        with live.read(tenant) as session:
            if _offsets(session) != bounds:
                continue  # the live views moved on: replay further and compare again
            expected = _keyed(session)
        with scratch.read(tenant) as session:
            reached = _offsets(session)
            short = {
                key: reached.get(key, -1) for key, bound in bounds.items()
                if reached.get(key, -1) < bound
            }  # fmt: skip
            if short:  # the log ended before what the live views had read: events went
                shown = ", ".join(f"{t}[{p}] ends at {o}" for (t, p), o in sorted(short.items()))
                wanted = ", ".join(f"{t}[{p}]@{o}" for (t, p), o in sorted(bounds.items()))
                raise UndecodableHistoryError(
                    f"the log ends before the offsets the live views reflect ({shown}; the "
                    f"views read up to {wanted}): events were removed from the store; "
                    "`entente audit verify` names them against a witness"
                )
            if reached != bounds:
                raise AuditError(
                    "the scratch replay is ahead of the live views: run without --resume"
                )
            found = _keyed(session)
        return ReplayReport(tenant, bounds, _counts(expected), _differences(expected, found))
    raise ViewsKeptMovingError(f"the live views of {tenant!r} moved during {attempts} attempts")


def _catch_up(
    scratch: ViewStore,
    log: BoundedLog,
    tenant: str,
    page_size: int,
    progress: Progress,
    stop: StopSignal,
) -> None:
    topic = topic_for(tenant)
    total = sum(max(log.end_offset(topic, p), 0) for p in log.partitions(topic))
    progress.stage(f"replay of {topic} (offsets)", total)
    projector = Projector(scratch, log, [tenant], page_size=page_size)
    while _applied(projector, page_size):
        with scratch.read(tenant) as session:
            progress.update(sum(max(o, 0) for o in _offsets(session).values()))
        if stop.requested():
            raise Interrupted("replay stopped; the scratch views keep their progress (--resume)")


def _applied(projector: Projector, page_size: int) -> int:
    """One page replayed; a history the views cannot apply is a finding, not a crash.

    The live projector stops on the same events (a record's version skipped, data
    its handler cannot read, a message failing its schema): the history as it is
    stored cannot give the views, which is what the replay is there to find out.
    """
    try:
        return projector.run_once(max_records=page_size)
    except ProjectionError as error:
        raise UndecodableHistoryError(
            f"the history cannot be replayed: {error.detail}; `entente audit verify` names "
            "missing and altered events"
        ) from None


def _empty(scratch: ViewStore, tenant: str) -> None:
    from shared.views.postgres import PostgresViewStore
    from shared.views.sqlite import SqliteViewStore

    if isinstance(scratch, PostgresViewStore):
        scratch.drop(tenant)
    elif isinstance(scratch, SqliteViewStore):
        scratch.dispose()
        path = scratch.path(tenant)
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)


def _offsets(session: ViewSession) -> Offsets:
    return tracked_offsets(session)


Rows = dict[tuple[Any, ...], dict[str, Any]]
Keyed = dict[str, tuple[list[str], Rows]]


def _keyed(session: ViewSession) -> Keyed:
    """Every table's primary-key columns and its rows by primary key."""
    tables = {t.name: t for t in session.tables.metadata.tables.values()}
    keyed: Keyed = {}
    for name, rows in view_contents(session).items():
        key = [c.name for c in tables[name].primary_key.columns]
        keyed[name] = (key, {tuple(row[k] for k in key): row for row in rows})
    return keyed


def _counts(contents: Keyed) -> dict[str, int]:
    return {name: len(rows) for name, (_key, rows) in sorted(contents.items())}


def _differences(live: Keyed, replay: Keyed) -> list[Difference]:
    found: list[Difference] = []
    for table in sorted(set(live) | set(replay)):
        key_names, mine = live.get(table, ([], {}))
        key_names, theirs = replay.get(table, (key_names, {}))
        for key in sorted(set(mine) | set(theirs), key=repr):
            shown = dict(zip(key_names, key, strict=True))
            if key not in theirs:
                found.append(Difference(table, shown, "only-live"))
            elif key not in mine:
                found.append(Difference(table, shown, "only-replay"))
            elif mine[key] != theirs[key]:
                names = sorted(set(mine[key]) | set(theirs[key]))
                columns = [c for c in names if mine[key].get(c) != theirs[key].get(c)]
                found.append(Difference(table, shown, "differs", columns))
    return found
