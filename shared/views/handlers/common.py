"""What every event handler needs: row writes with their metadata, payload decoding.

A handler turns one event into row changes; it never decides *whether* to
apply (de-duplication and version gaps are checked once, in ``apply.py``).
Rows are read and written through ``session.rows`` (see ``working.py``), so
a batch's events cost no round trip each; values are therefore plain Python,
never SQL expressions (``count + 1`` is computed from ``current``).
Payload values arrive as JSON (dates as ISO strings, amounts as strings), so
they are decoded here, and a missing or malformed field raises ``KeyError`` or
``ValueError``, which the dispatcher reports as ``UnexpectedEventDataError``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Date, Table

from shared.domain.reference import minor_unit
from shared.events.envelope import TYPE_PREFIX, EventEnvelope
from shared.views.store import ViewSession

#: Applies one event to the views of one session.
Handler = Callable[[ViewSession, EventEnvelope], None]


def event_type(aggregate_type: str, name: str, version: int = 1) -> str:
    """``("mission", "requested")`` → ``fr.interieur.entente.mission.requested.v1``."""
    return f"{TYPE_PREFIX}.{aggregate_type}.{name}.v{version}"


def meta(event: EventEnvelope) -> dict[str, Any]:
    """The columns every event sets on its record's row."""
    return {
        "version": event.version,
        "position": event.position,
        "recorded_at": event.time,
        "classification": event.classification,
    }


def insert_record(session: ViewSession, table: Table, event: EventEnvelope, **values: Any) -> None:
    session.rows.insert(table, {"id": event.aggregate_id, **meta(event), **values})


def update_record(session: ViewSession, table: Table, event: EventEnvelope, **values: Any) -> None:
    session.rows.update(table, event.aggregate_id, {**meta(event), **values})


def current(session: ViewSession, table: Table, event: EventEnvelope) -> Mapping[str, Any]:
    """The record's row as the batch has made it so far (the dispatcher checked it exists)."""
    return session.rows.current(table, event.aggregate_id)


def plus_one(session: ViewSession, table: Table, event: EventEnvelope, column: str) -> Any:
    """``column + 1`` of the record's row, computed here since held rows take values.

    Without a row the update that uses it does nothing, as an UPDATE would.
    """
    row = session.rows.record(table, event.aggregate_id)
    return None if row is None else row[column] + 1


def replace_codes(
    session: ViewSession,
    table: Table,
    owner_id: str,
    codes: Iterable[str],
    *,
    created: bool = False,
) -> None:
    """Makes a record's rows in a (record id, code) child table exactly ``codes``.

    ``created``: the record was created by the event being applied (its first),
    so it has no rows to replace (``WorkingSet.add_children``).
    """
    owner, code = (column.name for column in table.primary_key.columns)
    rows = [{owner: owner_id, code: value} for value in dict.fromkeys(codes)]
    if created:
        session.rows.add_children(table, owner_id, rows)
    else:
        session.rows.replace_children(table, owner_id, rows)


def day(value: Any) -> date | None:
    """An ISO date from the payload (None stays None)."""
    return None if value is None else date.fromisoformat(str(value))


def required_day(value: Any) -> date:
    found = day(value)
    if found is None:
        raise ValueError("a required date is missing")
    return found


def amount(value: Any, currency: Any) -> Decimal | None:
    """An exact amount from its string form (never through float), in its currency's decimals.

    Events recorded before 2026-12-06 carry two decimals whatever the currency
    (``1000.00`` JPY), and the earliest ones the Decimal as sent (``1E+3``): each is
    shown with its currency's ISO 4217 decimals (``1000`` JPY, ``1000.00`` EUR)
    when that changes no digit; otherwise (``10.50`` JPY, accepted then) exactly as
    recorded, never rounded.
    """
    if value is None:
        return None
    found = Decimal(str(value))
    decimals = minor_unit(currency) if isinstance(currency, str) else None
    if decimals is None or not found.is_finite():
        return found
    try:
        shown = found.quantize(Decimal(1).scaleb(-decimals))
    except InvalidOperation:  # more digits than a Decimal context holds: keep it as recorded
        return found
    return shown if shown == found else found


def codes(value: Any) -> list[str]:
    """A list of codes from the payload; anything else is malformed."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"expected a list of codes, got {value!r}")
    return list(value)


#: How a corrected amount's field ends; its currency's field ends ``_currency``.
AMOUNT = "_amount"


def corrections(
    table: Table,
    code_tables: Mapping[str, Table] | None = None,
    derived: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None,
) -> Handler:
    """The handler of a ``corrected`` event: sets the named columns, refreshes code tables.

    ``classification`` is already carried by every event (see ``meta``); a
    field the table has no column for is malformed data, not something to
    drop quietly. ``derived``: the columns computed from the corrected ones (a
    mission's board year from its start date).
    """
    lists = dict(code_tables or {})

    def apply(session: ViewSession, event: EventEnvelope) -> None:
        values: dict[str, Any] = {}
        changes = dict(event.data["changes"])
        for name, value in changes.items():
            if name == "classification":
                continue
            if name not in table.c or name in {"id", *meta(event)}:
                raise KeyError(f"no column for corrected field {name!r}")
            if name.endswith(AMOUNT):  # corrected with its currency: in its decimals
                values[name] = amount(value, changes[name.removesuffix(AMOUNT) + "_currency"])
            else:
                values[name] = _decoded(table, name, value, lists)
            if name in lists:
                replace_codes(session, lists[name], event.aggregate_id, values[name])
        if derived is not None:
            values.update(derived(values))
        update_record(session, table, event, **values)

    return apply


def _decoded(table: Table, name: str, value: Any, lists: Mapping[str, Table]) -> Any:
    if name in lists:
        return codes(value)
    if isinstance(table.c[name].type, Date):
        return day(value)
    return value
