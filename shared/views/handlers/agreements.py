"""Agreement events → the agreements register (and its status history).

Expiry is derived as in the domain (``values.add_months`` from the start of
the current term), and each status change is also kept with the expiry then in
effect (``agreement_terms``), so the annual report can say which agreements
were in force on 31 December of a past year.
"""

from __future__ import annotations

from datetime import date

from shared.domain.values import add_months
from shared.events.envelope import EventEnvelope
from shared.views.handlers.common import (
    Handler,
    amount,
    codes,
    corrections,
    current,
    event_type,
    insert_record,
    plus_one,
    replace_codes,
    required_day,
    update_record,
)
from shared.views.store import ViewSession


def _expiry(term_start: date, duration_months: int | None) -> date | None:
    return None if duration_months is None else add_months(term_start, duration_months)


def _term(session: ViewSession, event: EventEnvelope, on: date, status: str) -> None:
    """Records a status change with the expiry in effect after it."""
    table = session.tables.agreements
    expires_on = current(session, table, event)["expires_on"]
    session.rows.append(
        session.tables.agreement_terms,
        {
            "agreement_id": event.aggregate_id,
            "version": event.version,
            "effective_on": on,
            "status": status,
            "expires_on": expires_on,
        },
    )


def signed(session: ViewSession, event: EventEnvelope) -> None:
    data = event.data
    signed_on = required_day(data["signed_on"])
    countries = codes(data["partner_countries"])
    insert_record(
        session,
        session.tables.agreements,
        event,
        reference=data["reference"],
        title=data["title"],
        kind=data["kind"],
        status="in-force",
        signed_on=signed_on,
        signed_at=data["signed_at"],
        duration_months=data["duration_months"],
        term_start=signed_on,
        expires_on=_expiry(signed_on, data["duration_months"]),
        funding_amount=amount(data["funding_amount"], data["funding_currency"]),
        funding_currency=data["funding_currency"],
        funder=data["funder"],
        partner_countries=countries,
        partner_organisations=codes(data["partner_organisations"]),
        themes=codes(data["themes"]),
        amendment_count=0,
        suspended_on=None,
        terminated_on=None,
    )
    replace_codes(
        session, session.tables.agreement_countries, event.aggregate_id, countries, created=True
    )
    _term(session, event, signed_on, "in-force")


def amended(session: ViewSession, event: EventEnvelope) -> None:
    table = session.tables.agreements
    required_day(event.data["amended_on"])
    count = plus_one(session, table, event, "amendment_count")
    update_record(session, table, event, amendment_count=count)


def amendment_withdrawn(session: ViewSession, event: EventEnvelope) -> None:
    table = session.tables.agreements
    required_day(event.data["amended_on"])
    count = int(current(session, table, event)["amendment_count"]) - 1
    if count < 0:
        raise ValueError("an amendment withdrawn from an agreement with none")
    update_record(session, table, event, amendment_count=count)


def renewed(session: ViewSession, event: EventEnvelope) -> None:
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


def suspended(session: ViewSession, event: EventEnvelope) -> None:
    on = required_day(event.data["suspended_on"])
    update_record(session, session.tables.agreements, event, status="suspended", suspended_on=on)
    _term(session, event, on, "suspended")


def resumed(session: ViewSession, event: EventEnvelope) -> None:
    on = required_day(event.data["resumed_on"])
    update_record(session, session.tables.agreements, event, status="in-force", suspended_on=None)
    _term(session, event, on, "in-force")


def terminated(session: ViewSession, event: EventEnvelope) -> None:
    on = required_day(event.data["terminated_on"])
    table = session.tables.agreements
    update_record(session, table, event, status="terminated", terminated_on=on)
    _term(session, event, on, "terminated")


def status_change_withdrawn(session: ViewSession, event: EventEnvelope) -> None:
    """The last suspension, resumption or termination undone: its row leaves the status
    history, and the record takes the status the event says it had before."""
    data = event.data
    suspended_on = data["suspended_on"]
    _unterm(session, event)
    update_record(
        session,
        session.tables.agreements,
        event,
        status=data["status"],
        suspended_on=None if suspended_on is None else required_day(suspended_on),
        terminated_on=None,
    )


def renewal_withdrawn(session: ViewSession, event: EventEnvelope) -> None:
    """The last renewal undone: its row leaves the status history, and the record takes
    back the term the event names, in force (a renewal is recorded in force only)."""
    data = event.data
    term_start = required_day(data["term_start"])
    months = int(data["duration_months"])
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


def _unterm(session: ViewSession, event: EventEnvelope) -> None:
    """Takes the withdrawn change (``withdrawn_version``) out of the status history."""
    version = int(event.data["withdrawn_version"])
    history = session.rows.children(session.tables.agreement_terms, event.aggregate_id)
    kept = [change for change in history if change["version"] != version]
    if len(kept) == len(history):
        raise ValueError(f"a withdrawn status change (version {version}) not in the history")
    history[:] = kept


def corrected(session: ViewSession, event: EventEnvelope) -> None:
    tables = session.tables
    term = bool(TERM_FIELDS & set(event.data["changes"]))
    if term:  # read before the correction changes the signing day
        before = current(session, tables.agreements, event)
        if before["term_start"] != before["signed_on"]:
            raise ValueError("an agreement's first term corrected after it was renewed")
    corrections(tables.agreements, {"partner_countries": tables.agreement_countries})(
        session, event
    )
    if term:
        _term_corrected(session, event)


#: The corrected fields that set the (first) term: its start and expiry follow.
TERM_FIELDS = frozenset({"signed_on", "duration_months"})


def _term_corrected(session: ViewSession, event: EventEnvelope) -> None:
    """A corrected signing day or duration: the first term again, in the record and in
    each row of its status history (the domain corrects them only until a renewal,
    so every row holds the first term's expiry, and the first row is the signature)."""
    table, terms = session.tables.agreements, session.tables.agreement_terms
    row = current(session, table, event)
    signed_on, months = row["signed_on"], row["duration_months"]
    expires_on = _expiry(signed_on, months)
    update_record(session, table, event, term_start=signed_on, expires_on=expires_on)
    history = session.rows.children(terms, event.aggregate_id)
    if not history:
        raise ValueError("an agreement's term corrected without its status history")
    for change in history:
        change["expires_on"] = expires_on
    min(history, key=lambda change: change["version"])["effective_on"] = signed_on


HANDLERS: dict[str, Handler] = {
    event_type("agreement", "signed", 2): signed,
    event_type("agreement", "amended"): amended,
    event_type("agreement", "amendment-withdrawn"): amendment_withdrawn,
    event_type("agreement", "renewed"): renewed,
    event_type("agreement", "suspended"): suspended,
    event_type("agreement", "resumed"): resumed,
    event_type("agreement", "terminated"): terminated,
    event_type("agreement", "status-change-withdrawn"): status_change_withdrawn,
    event_type("agreement", "renewal-withdrawn"): renewal_withdrawn,
    event_type("agreement", "corrected"): corrected,
}
