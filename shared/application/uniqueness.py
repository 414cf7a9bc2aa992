"""The ledger's side of unique values: which claims a command takes, releases or collides with.

``shared.application.claims`` says why claims exist; this module decides, for
one record about to be saved, the claims to save with it. It uses only the
application's public surface (``repository``, ``recorder``, ``save``), as
``bulk`` does.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, Notification
from eventsourcing.utils import get_topic

from shared.application.claims import ClaimsReady, ValueClaim, claim_id, comparable, ready_id
from shared.domain.base import EntenteAggregate
from shared.domain.catalogue import AGGREGATES
from shared.errors import ValueTakenError

log = logging.getLogger("entente.ledger")

#: The record kinds with unique fields, and their creation topics (backfill reads those).
UNIQUE_KINDS = [cls for cls in AGGREGATES if cls.unique]
_CREATION_TOPICS = [
    get_topic(event)
    for cls in UNIQUE_KINDS
    for event in vars(cls).values()
    if isinstance(event, type) and issubclass(event, EntenteAggregate.Created)
]
_PAGE = 1000


def values_of(record: EntenteAggregate) -> dict[str, str]:
    """The record's unique values now: what a command's claims are compared against."""
    return {name: getattr(record, name) for name in type(record).unique}


def claims_for(
    app: Application[UUID],
    tenant: str,
    record: EntenteAggregate,
    before: Mapping[str, str] | None,
    field_prefix: str = "",
) -> list[ValueClaim]:
    """The claims to save with ``record``: values it now takes, and ones it gave up.

    ``before``: the record's unique values before the command (None for a new
    record). ValueTakenError when another record holds a value it takes;
    ``field_prefix`` places that value in the request (``changes.`` for a
    correction).
    """
    kind = type(record)
    changed: list[ValueClaim] = []
    for name in kind.unique:
        value = getattr(record, name)
        old = None if before is None else before[name]
        if old is not None and comparable(old) == comparable(value):
            continue
        if old is not None:
            given_up = find_claim(app, claim_id(tenant, kind.record_name, name, old))
            if given_up is not None and given_up.holder == record.id:
                given_up.release()
                changed.append(given_up)
        key = claim_id(tenant, kind.record_name, name, value)
        claim = find_claim(app, key)
        if claim is None:
            claim = ValueClaim.take(key, kind.record_name, name, record.id, value)
        elif claim.holder is None:
            claim.retake(record.id, value)
        elif claim.holder != record.id:
            raise taken(kind, name, value, claim, field_prefix)
        else:
            continue  # a value it held and, by a correction of case or spacing, still holds
        changed.append(claim)
    return changed


def collision(
    app: Application[UUID], record: EntenteAggregate, claims: Sequence[Any], prefix: str
) -> ValueTakenError | None:
    """After a failed save: the value another record took meanwhile, if that is why."""
    for claim in claims:
        if not isinstance(claim, ValueClaim) or claim.holder != record.id:
            continue  # a release: it cannot collide with another record's value
        if claim.field not in type(record).unique:
            continue  # a post's coverage claim (``coverage``)
        stored = find_claim(app, claim.id)
        if stored is not None and stored.holder is not None and stored.holder != record.id:
            return taken(type(record), claim.field, claim.value, stored, prefix)
    return None


def taken(
    kind: type[EntenteAggregate], name: str, value: str, held: ValueClaim, prefix: str
) -> ValueTakenError:
    """The refusal of ``value``: ``held``'s holder has it, as written in ``held.value``."""
    record = kind.record_name
    same = "" if held.value == value else f" as {held.value!r}"
    return ValueTakenError(
        f"{prefix}{name}",
        f"{name}-taken",
        f"{name} {value!r} is already that of {record} {held.holder}{same} in this "
        "directorate (compared regardless of case, width, runs of spaces and invisible "
        f"characters): give this {record} its own",
        str(held.holder),
    )


def ensure_ready(app: Application[UUID], tenant: str) -> ClaimsReady | None:
    """Gives records recorded before the rule their claims, once per store (``backfill``).

    Returns the marker for the caller to save with its command when there was
    nothing to backfill (a new store: its first record's event stays first in
    the log), or None when the store is ready. Two processes doing it at once
    compute the same claims; the marker's id lets one transaction win.
    """
    if _exists(app, ready_id(tenant)):
        return None
    claims, duplicates = backfill(app, tenant)
    if not claims:
        return ClaimsReady.mark(ready_id(tenant), 0)
    for kind, name, value, holder, other in duplicates:
        log.warning(
            "%s %s and %s share the %s %r (recorded before it had to be unique): "
            "%s keeps it; correct the other's",
            kind,
            holder,
            other,
            name,
            value,
            holder,
        )
    try:
        app.save(*claims, ClaimsReady.mark(ready_id(tenant), len(claims)))
    except IntegrityError:
        if not _exists(app, ready_id(tenant)):
            raise
    else:
        log.info("unique values: %d claims recorded for existing records", len(claims))
    return None


def backfill(
    app: Application[UUID], tenant: str
) -> tuple[list[ValueClaim], list[tuple[str, str, str, UUID, UUID]]]:
    """Claims for every existing record with unique values, first holder by log order.

    Also the values two records share: (kind, field, value, holder, other). A
    record whose history does not decode (an altered row, which the audit reports)
    is left without claims and named in the log: one damaged record must not stop
    every directorate's signings.
    """
    claims: dict[UUID, ValueClaim] = {}
    duplicates: list[tuple[str, str, str, UUID, UUID]] = []
    for record_id in _created_ids(app):
        record: Any
        try:
            record = app.repository.get(record_id)
        except Exception as error:
            log.warning("record %s not read, so given no claim: %s", record_id, error)
            continue
        kind = type(record)
        for name in kind.unique:
            value = getattr(record, name)
            key = claim_id(tenant, kind.record_name, name, value)
            held = claims.get(key)
            if held is None:
                claims[key] = ValueClaim.take(key, kind.record_name, name, record.id, value)
            else:
                assert held.holder is not None
                duplicates.append((kind.record_name, name, value, held.holder, record.id))
    return list(claims.values()), duplicates


def _created_ids(app: Application[UUID]) -> list[UUID]:
    """The ids of every record of a kind with unique values, in log order."""
    return [UUID(str(n.originator_id)) for n in rows_of(app, _CREATION_TOPICS)]


def rows_of(app: Application[UUID], topics: Sequence[str]) -> Iterator[Notification]:
    """Every stored row under ``topics``, in log order, read a page at a time (the
    backfill reads creations; the audit, claims)."""
    start = 0
    while True:
        page = app.recorder.select_notifications(
            start=start, limit=_PAGE, topics=topics, inclusive_of_start=False
        )
        yield from page
        if len(page) < _PAGE:
            return
        start = page[-1].id


def find_claim(app: Application[UUID], id: UUID) -> ValueClaim | None:
    found: Any
    try:
        found = app.repository.get(id)
    except AggregateNotFoundError:
        return None
    assert isinstance(found, ValueClaim)
    return found


def _exists(app: Application[UUID], id: UUID) -> bool:
    try:
        app.repository.get(id)
    except AggregateNotFoundError:
        return False
    return True
