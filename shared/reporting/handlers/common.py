"""What every reporting handler shares: rows keyed by (tenant, id), code lists.

A handler turns one event into row changes; whether to apply it at all
(tenant, duplicate, version gap) is decided once, in ``apply.py``. Payload
decoding reuses the tenant views' helpers, so a date or an amount is read the
same way on both sides — the consolidated slice must equal the tenant's report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy import RowMapping, Table, delete, insert, select, update

from shared.events.envelope import EventEnvelope
from shared.reporting.store import ReportingSession

#: Applies one event to the reporting area.
Handler = Callable[[ReportingSession, EventEnvelope], None]


def meta(event: EventEnvelope) -> dict[str, Any]:
    """The columns every event sets on its record's row."""
    return {
        "version": event.version,
        "position": event.position,
        "recorded_at": event.time,
        "classification": event.classification,
    }


def key(table: Table, event: EventEnvelope) -> tuple[Any, Any]:
    return table.c.tenant == event.tenant, table.c.id == event.aggregate_id


def insert_rows(session: ReportingSession, table: Table, rows: list[dict[str, Any]]) -> None:
    """Inserts ``rows``: held for the batch's multi-row insert when the session defers them."""
    if session.inserts is not None:
        session.inserts.add(table, rows)
    elif rows:
        session.connection.execute(insert(table), rows)


def insert_record(
    session: ReportingSession, table: Table, event: EventEnvelope, **values: Any
) -> None:
    row = {"tenant": event.tenant, "id": event.aggregate_id, **meta(event), **values}
    insert_rows(session, table, [row])


def update_record(
    session: ReportingSession, table: Table, event: EventEnvelope, **values: Any
) -> None:
    session.connection.execute(
        update(table).where(*key(table, event)).values(**meta(event), **values)
    )


def current(session: ReportingSession, table: Table, event: EventEnvelope) -> RowMapping:
    """The record's row before ``event`` (the dispatcher checked that it exists)."""
    statement = select(table).where(*key(table, event))
    return session.connection.execute(statement).mappings().one()


def replace_codes(
    session: ReportingSession,
    table: Table,
    event: EventEnvelope,
    codes: Iterable[str],
    *,
    created: bool = False,
) -> None:
    """Makes a record's rows in a (tenant, record id, code) table exactly ``codes``.

    ``created``: the record was created by ``event`` (its first, applied in
    order), so it has no rows yet and the delete is skipped.
    """
    _, owner, code = (column.name for column in table.primary_key.columns)
    tenant, owner_id = event.tenant, event.aggregate_id
    if not created:
        session.connection.execute(
            delete(table).where(table.c.tenant == tenant, table.c[owner] == owner_id)
        )
    rows = [{"tenant": tenant, owner: owner_id, code: value} for value in dict.fromkeys(codes)]
    insert_rows(session, table, rows)


def corrected_values(
    event: EventEnvelope, kept: Mapping[str, Callable[[Any], Any]], ignored: frozenset[str]
) -> dict[str, Any]:
    """The columns a ``corrected`` event changes, decoded.

    ``kept`` are the corrected fields reporting copies (with their decoder);
    ``ignored`` the ones it knowingly does not copy. Any other field is data
    reporting was not written for: a KeyError, which stops the projection
    rather than dropping the change unseen. ``classification`` travels as
    every event's metadata (see ``meta``).
    """
    values: dict[str, Any] = {}
    for name, value in dict(event.data["changes"]).items():
        if name == "classification" or name in ignored:
            continue
        if name not in kept:
            raise KeyError(f"reporting has no column for corrected field {name!r}")
        values[name] = kept[name](value)
    return values
