"""A record's full history with the change each event made, and its state as of a past time.

Both read the record's events from its tenant's event store (the system of
record) and rebuild its state by applying them in version order, exactly as
the ledger does.

Bitemporal "as of" — two separate questions, two axes:

- **recorded time** (``axis="recorded"``): what the ledger *said* at ``t``.
  The events recorded at or before ``t`` (their ``timestamp``) are applied. A
  correction recorded after ``t`` is left out, so the answer is the state as
  it was known then, mistakes included. Recorded times grow with versions, so
  this is always a prefix of the history.
- **business time** (``axis="business"``): what we *now* know was true at
  ``t``. The events whose business time is at or before ``t`` are applied in
  version order, whenever they were recorded. A correction counts from its
  own business time (the ``corrected_on`` date of the command): a correction
  dated before ``t`` applies even if it was recorded later; one dated after
  ``t`` does not, although it may fix a field set before ``t``. Events dated
  after ``t`` are left out even when later versions are dated before ``t``
  (e.g. a back-dated correction); ``left_out`` lists them so the answer is
  never silently partial.

Before the record's creation on the chosen axis, there is no state:
``NotExistingYetError`` (a 404).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal
from uuid import UUID

from eventsourcing.domain import Aggregate

from shared.application.ledger import CooperationLedger
from shared.application.positions import position_of
from shared.audit.errors import (
    NotExistingYetError,
    UnknownRecordError,
    UnreplayableHistoryError,
)
from shared.domain.base import EntenteAggregate
from shared.domain.catalogue import AGGREGATE_TYPES
from shared.errors import AlteredHistoryError
from shared.events.envelope import EventEnvelope, envelope, kebab, to_json
from shared.views.queries.present import agreement_status, with_money

Axis = Literal["recorded", "business"]

#: The library's own properties, which are metadata rather than state.
_LIBRARY_PROPERTIES = frozenset({"id", "version", "created_on", "modified_on", "pending_events"})


@dataclass(frozen=True)
class Change:
    """One field's value before and after an event (None when absent)."""

    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class Step:
    """One event of a record's history and the state changes it made."""

    event: EventEnvelope
    changes: list[Change]


@dataclass(frozen=True)
class RecordHistory:
    """Every event of one record, oldest first, and its current state."""

    tenant: str
    record_id: str
    aggregate_type: str
    version: int
    steps: list[Step]
    state: dict[str, Any]


@dataclass(frozen=True)
class AsOf:
    """A record's state as of ``at`` on one axis, and which versions made it."""

    tenant: str
    record_id: str
    aggregate_type: str
    axis: Axis
    at: datetime
    version: int
    applied: list[int]
    left_out: list[int]
    state: dict[str, Any] = field(default_factory=dict)


def record_history(ledger: CooperationLedger, record_id: UUID) -> RecordHistory:
    """Every event of the record with who, both times, its position and the change it made."""
    kind, events = _events(ledger, record_id)
    steps: list[Step] = []
    aggregate: Any = None
    before: dict[str, Any] = {}
    last = 0
    for event in events:
        position = position_of(ledger.recorder, record_id, event.originator_version) or 0
        if position and position < last:  # recorded one after the other: ids grow
            raise AlteredHistoryError(
                f"version {event.originator_version} of {record_id} is stored at position "
                f"{position}, before version {event.originator_version - 1} at {last}: the "
                f"event store was altered (`entente audit verify {ledger.tenant}`)"
            )
        last = position or last
        published = envelope(event, kind, position)
        aggregate = _apply(aggregate, event)
        after = snapshot(aggregate)
        steps.append(Step(published, diff(before, after)))
        before = after
    state = shown(kind, before, ledger.today())
    return RecordHistory(
        ledger.tenant, str(record_id), kind, events[-1].originator_version, steps, state
    )


def state_as_of(ledger: CooperationLedger, record_id: UUID, at: datetime, axis: Axis) -> AsOf:
    """The record rebuilt from its events with recorded (or business) time at or before ``at``."""
    if at.tzinfo is None:
        raise ValueError("as-of times must be timezone-aware")
    kind, events = _events(ledger, record_id)
    chosen = [e for e in events if _time(e, axis) <= at]
    if not chosen or chosen[0].originator_version != 1:
        raise NotExistingYetError(
            f"{kind} {record_id} did not exist yet at {at.isoformat()} ({axis} time)"
        )
    aggregate: Any = None
    for event in chosen:
        aggregate = _apply(aggregate, event)
    applied = [e.originator_version for e in chosen]
    left_out = [e.originator_version for e in events if _time(e, axis) > at]
    return AsOf(
        ledger.tenant,
        str(record_id),
        kind,
        axis,
        at,
        applied[-1],
        applied,
        left_out,
        shown(kind, snapshot(aggregate), at.astimezone(UTC).date()),
    )


def shown(kind: str, state: dict[str, Any], day: date) -> dict[str, Any]:
    """``state`` with the status the register shows on ``day``, as the record read gives it.

    An agreement's ``expired`` is derived from its expiry, never recorded: the audit
    said ``in-force`` of an agreement the register, the record read and reporting
    had listed as expired for years. ``recorded_status`` keeps the last status an
    event recorded (what the history's ``changes`` show).
    """
    if kind != "agreement" or "status" not in state:
        return state
    expires_on = state.get("expires_on")
    recorded = {
        "status": state["status"],
        "expires_on": date.fromisoformat(expires_on) if expires_on else None,
    }
    return {**state, "status": agreement_status(recorded, day), "recorded_status": state["status"]}


def snapshot(aggregate: EntenteAggregate) -> dict[str, Any]:
    """The record's state as JSON values: its fields and derived properties, no metadata;
    amounts as the record read shows them (one ``budget``, not its amount and currency
    apart), so a change of budget is one change."""
    state = {k: to_json(v) for k, v in vars(aggregate).items() if not k.startswith("_")}
    for name in dir(type(aggregate)):
        if name in _LIBRARY_PROPERTIES or name.startswith("_"):
            continue
        if isinstance(getattr(type(aggregate), name, None), property):
            state[name] = to_json(getattr(aggregate, name))
    return dict(sorted(with_money(state).items()))


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """The fields whose value differs, in name order (absent counts as None)."""
    names = sorted(set(before) | set(after))
    return [
        Change(name, before.get(name), after.get(name))
        for name in names
        if before.get(name) != after.get(name)
    ]


def _events(ledger: CooperationLedger, record_id: UUID) -> tuple[str, list[Any]]:
    """The record's type name and its events (upcast), or UnknownRecordError."""
    events = list(ledger.events.get(record_id))
    missing = UnknownRecordError(f"no record {record_id} in tenant {ledger.tenant!r}")
    if not events or not isinstance(events[0], Aggregate.Created):
        raise missing
    shell: Any = events[0].mutate(None)
    if type(shell) not in AGGREGATE_TYPES or getattr(events[0], "tenant", None) != ledger.tenant:
        raise missing
    _unaltered(ledger, record_id, events)
    return AGGREGATE_TYPES[type(shell)], events


def _unaltered(ledger: CooperationLedger, record_id: UUID, events: list[Any]) -> None:
    """Refuses a history whose versions do not run 1, 2, 3… or whose events name another
    tenant: a history with a version missing or repeated was served as it was, and its
    as-of states were ones the record never had (AlteredHistoryError, a 500 naming it)."""
    versions = [event.originator_version for event in events]
    if versions != list(range(1, len(versions) + 1)):
        shown = ", ".join(map(str, versions))
        raise AlteredHistoryError(
            f"the stored versions of {record_id} run {shown}, not 1 to {len(versions)}: the "
            f"event store was altered (`entente audit verify {ledger.tenant}` names the events)"
        )
    strangers = sorted({str(getattr(e, "tenant", None)) for e in events} - {ledger.tenant})
    if strangers:
        raise AlteredHistoryError(
            f"events of {record_id} name tenant {', '.join(strangers)} in the store of "
            f"{ledger.tenant!r}: the event store was altered"
        )


def _time(event: Any, axis: Axis) -> datetime:
    moment: datetime = event.timestamp if axis == "recorded" else event.business_time
    return moment


def _apply(aggregate: Any, event: Any) -> Any:
    """Applies a copy of ``event`` (apply() may share its lists with the state).

    Versions may skip (business-time selection), so the library's "next
    version" check is bypassed for non-creation events: the event's own
    ``apply`` runs, then version and modification time are set as ``mutate`` would.
    """
    event = copy.deepcopy(event)
    try:
        if aggregate is None:
            return event.mutate(None)
        event.apply(aggregate)
    except Exception:  # any failure of a domain apply() means "cannot replay"
        # Named by its event (a renewal withdrawn, a coverage corrected...): the Python
        # error the apply() raised (``IndexError('pop from empty list')``) told an
        # auditor nothing and showed the code's insides in an answer.
        raise UnreplayableHistoryError(
            f"version {event.originator_version} ({kebab(type(event).__name__)}) cannot be "
            "applied without the versions left out before it"
        ) from None
    aggregate.version = event.originator_version
    aggregate.modified_on = event.timestamp
    return aggregate
