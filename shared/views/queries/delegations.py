"""The delegations calendar: foreign delegations hosted in France, by date."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from shared.domain import values
from shared.domain.reference import country as iso_country
from shared.domain.vocabulary import DelegationStatus, Organisation
from shared.errors import ValidationError
from shared.text import composed
from shared.views.queries.paging import DEFAULT_LIMIT, Ordering, Page, page
from shared.views.queries.present import plain
from shared.views.store import ViewStore


def delegations_calendar(
    store: ViewStore,
    tenant: str,
    *,
    from_date: date | None = None,
    to_date: date | None = None,
    status: str | None = None,
    country: str | None = None,
    host_site: str | None = None,
    organisation: str | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> Page:
    """Visits overlapping ``[from_date, to_date]`` (both optional), earliest first."""
    if from_date is not None and to_date is not None and to_date < from_date:
        raise ValidationError("to", "dates-in-order", "to is before from")  # the parameters' names
    with store.read(tenant, one_statement=True) as session:
        table = session.tables.delegations
        statement = select(table)
        if from_date is not None:
            statement = statement.where(table.c.end_date >= from_date)
        if to_date is not None:
            statement = statement.where(table.c.start_date <= to_date)
        if status is not None:
            statement = statement.where(
                table.c.status == values.one("status", DelegationStatus, status)
            )
        if country is not None:
            statement = statement.where(table.c.country == iso_country(country, "country").code)
        if host_site is not None:  # in the form the ledger records it: trimmed, composed
            statement = statement.where(table.c.host_site == composed(host_site.strip()))
        if organisation is not None:  # a visiting organisation's delegations (probe 8)
            code = values.one("organisation", Organisation, organisation)
            statement = statement.where(table.c.organisation == code)
        ordering = Ordering("delegations", table.c.start_date, table.c.id, descending=False)
        return page(session, statement, ordering, limit=limit, cursor=cursor, present=plain)
