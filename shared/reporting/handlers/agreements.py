"""Agreement events → the consolidated agreements and their status history.

Expiry follows the domain (``add_months`` from the start of the current term)
and every status change is kept with the expiry then in effect, exactly as the
tenant views do, so "in force on 31 December" here equals the tenant's annual
report (a test holds both to it).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import delete, func, select, update

from shared.domain.values import add_months
from shared.events.envelope import EventEnvelope
from shared.reporting.handlers.common import (
    Handler,
    corrected_values,
    current,
    insert_record,
    insert_rows,
    replace_codes,
    update_record,
)
from shared.reporting.store import ReportingSession
from shared.views.handlers.common import codes, event_type, required_day


def _expiry(term_start: date, duration_months: int | None) -> date | None:
    return None if duration_months is None else add_months(term_start, duration_months)


def _term(session: ReportingSession, event: EventEnvelope, on: date, status: str) -> None:
    """Records a status change with the expiry in effect after it."""
    expires_on = current(session, session.tables.agreements, event)["expires_on"]
    _record_term(session, event, on, status, expires_on)


def _record_term(
    session: ReportingSession, event: EventEnvelope, on: date, status: str, expires_on: date | None
) -> None:
    row = {
        "tenant": event.tenant,
        "agreement_id": event.aggregate_id,
        "version": event.version,
        "effective_on": on,
        "status": status,
        "expires_on": expires_on,
    }
    insert_rows(session, session.tables.agreement_terms, [row])


def signed(session: ReportingSession, event: EventEnvelope) -> None:
    data = event.data
    signed_on = required_day(data["signed_on"])
    countries = codes(data["partner_countries"])
    months = data["duration_months"]
    expires_on = _expiry(signed_on, months)
    insert_record(
        session,
        session.tables.agreements,
        event,
        kind=data["kind"],
        status="in-force",
        signed_on=signed_on,
        duration_months=months,
        term_start=signed_on,
        expires_on=expires_on,
        partner_countries=countries,
        themes=codes(data["themes"]),
    )
    # Just inserted: no codes to delete, and its expiry is at hand (two round trips fewer).
    replace_codes(session, session.tables.agreement_countries, event, countries, created=True)
    _record_term(session, event, signed_on, "in-force", expires_on)


def amended(session: ReportingSession, event: EventEnvelope) -> None:
    required_day(event.data["amended_on"])
    update_record(session, session.tables.agreements, event)


def renewed(session: ReportingSession, event: EventEnvelope) -> None:
    """The new term starts at the renewal or at the old expiry, whichever is later."""
    table = session.tables.agreements
    renewed_on = required_day(event.data["renewed_on"])
    months = int(event.data["duration_months"])
    before = current(session, table, event)
    term_start = max(renewed_on, before["expires_on"] or renewed_on)
    update_record(
        session,
        table,
        event,
        status="in-force",
        term_start=term_start,
        duration_months=months,
        expires_on=_expiry(term_start, months),
    )
    _term(session, event, renewed_on, "in-force")


def _change(status: str, on: str) -> Handler:
    """Suspension, resumption, termination: a status, and its row in the history."""

    def apply(session: ReportingSession, event: EventEnvelope) -> None:
        day = required_day(event.data[on])
        update_record(session, session.tables.agreements, event, status=status)
        _term(session, event, day, status)

    return apply


def status_change_withdrawn(session: ReportingSession, event: EventEnvelope) -> None:
    """The last suspension, resumption or termination undone, as the tenant views do:
    its row leaves the status history, and the record takes its status before."""
    _unterm(session, event)
    update_record(session, session.tables.agreements, event, status=event.data["status"])


def renewal_withdrawn(session: ReportingSession, event: EventEnvelope) -> None:
    """The last renewal undone, as the tenant views do: its row leaves the status
    history, and the record takes back the term the event names, in force."""
    term_start = required_day(event.data["term_start"])
    months = int(event.data["duration_months"])
    _unterm(session, event)
    update_record(
        session,
        session.tables.agreements,
        event,
        status="in-force",
        term_start=term_start,
        duration_months=months,
        expires_on=_expiry(term_start, months),
    )


def _unterm(session: ReportingSession, event: EventEnvelope) -> None:
    """Takes the withdrawn change (``withdrawn_version``) out of the status history."""
    terms = session.tables.agreement_terms
    version = int(event.data["withdrawn_version"])
    removed = session.connection.execute(
        delete(terms).where(
            terms.c.tenant == event.tenant,
            terms.c.agreement_id == event.aggregate_id,
            terms.c.version == version,
        )
    )
    if not removed.rowcount:
        raise ValueError(f"a withdrawn status change (version {version}) not in the history")


def corrected(session: ReportingSession, event: EventEnvelope) -> None:
    values = corrected_values(
        event,
        {
            "themes": codes,
            "partner_countries": codes,
            "kind": str,
            "signed_on": required_day,
            "duration_months": _months,
        },
        frozenset(
            {
                "title",
                "reference",
                "signed_at",
                "partner_organisations",
                "funding_amount",
                "funding_currency",
                "funder",
            }
        ),
    )
    tables = session.tables
    if {"signed_on", "duration_months"} & set(values):
        values.update(_first_term(session, event, values))
    update_record(session, tables.agreements, event, **values)
    if "partner_countries" in values:
        replace_codes(session, tables.agreement_countries, event, values["partner_countries"])


def _months(value: Any) -> int | None:
    return None if value is None else int(value)


def _first_term(
    session: ReportingSession, event: EventEnvelope, values: dict[str, Any]
) -> dict[str, Any]:
    """A corrected signing day or duration: the first term again, in the record and in
    each row of its status history, as the tenant views do (the domain corrects them
    only until a renewal: every row holds the first term's expiry, the first is the
    signature)."""
    table, terms = session.tables.agreements, session.tables.agreement_terms
    before = current(session, table, event)
    if before["term_start"] != before["signed_on"]:
        raise ValueError("an agreement's first term corrected after it was renewed")
    signed_on = values.get("signed_on", before["signed_on"])
    months = values.get("duration_months", before["duration_months"])
    expires_on = _expiry(signed_on, months)
    owned = (terms.c.tenant == event.tenant, terms.c.agreement_id == event.aggregate_id)
    connection = session.connection
    if not connection.execute(update(terms).where(*owned).values(expires_on=expires_on)).rowcount:
        raise ValueError("an agreement's term corrected without its status history")
    first = select(func.min(terms.c.version)).where(*owned).scalar_subquery()
    connection.execute(
        update(terms).where(*owned, terms.c.version == first).values(effective_on=signed_on)
    )
    return {"term_start": signed_on, "expires_on": expires_on}


HANDLERS: dict[str, Handler] = {
    event_type("agreement", "signed", 2): signed,
    event_type("agreement", "amended"): amended,
    event_type("agreement", "amendment-withdrawn"): amended,  # no column: the version moves
    event_type("agreement", "renewed"): renewed,
    event_type("agreement", "suspended"): _change("suspended", "suspended_on"),
    event_type("agreement", "resumed"): _change("in-force", "resumed_on"),
    event_type("agreement", "terminated"): _change("terminated", "terminated_on"),
    event_type("agreement", "status-change-withdrawn"): status_change_withdrawn,
    event_type("agreement", "renewal-withdrawn"): renewal_withdrawn,
    event_type("agreement", "corrected"): corrected,
}
