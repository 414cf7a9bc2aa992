"""The agreements register: what is in force, what expires soon, by country and kind."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import ColumnElement, Table, and_, func, or_, select

from shared.domain import values
from shared.domain.base import require_text
from shared.domain.reference import country as iso_country
from shared.domain.vocabulary import AgreementKind, Organisation, Theme
from shared.errors import ValidationError
from shared.views.queries import present
from shared.views.queries.codes import holds
from shared.views.queries.paging import DEFAULT_LIMIT, Ordering, Page, page
from shared.views.store import ViewStore

#: Statuses the register filters on; ``expired`` is derived from ``expires_on``.
REGISTER_STATUSES = ("in-force", "suspended", "terminated", "expired")
MAX_HORIZON_DAYS = 3650


def status_condition(table: Table, status: str, today: date) -> ColumnElement[bool]:
    """The SQL twin of ``present.agreement_status``: one rule, two places, one test."""
    expires_on = table.c.expires_on
    current = or_(expires_on.is_(None), expires_on >= today)
    if status == "expired":
        return and_(table.c.status != "terminated", expires_on < today)
    if status == "terminated":
        return table.c.status == "terminated"
    return and_(table.c.status == status, current)


def agreements_register(
    store: ViewStore,
    tenant: str,
    *,
    today: date,
    status: str | None = None,
    kind: str | None = None,
    country: str | None = None,
    expiring_within_days: int | None = None,
    reference: str | None = None,
    theme: str | None = None,
    organisation: str | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> Page:
    """Agreements, newest signature first; ``status`` as of ``today``.

    ``expiring_within_days=90`` keeps agreements in force whose expiry falls
    between ``today`` and ``today + 90`` days, both included. ``reference``: the
    agreements whose reference holds that text, whatever the case (a desk officer
    finding one by its reference, which the register could not do: probe 8).
    """
    with store.read(tenant, one_statement=True) as session:
        table = session.tables.agreements
        statement = select(table)
        if status is not None:
            if status not in REGISTER_STATUSES:
                allowed = ", ".join(REGISTER_STATUSES)
                raise ValidationError(
                    "status", "vocabulary", f"{status!r} is not one of: {allowed}"
                )
            statement = statement.where(status_condition(table, status, today))
        if kind is not None:
            statement = statement.where(table.c.kind == values.one("kind", AgreementKind, kind))
        if country is not None:
            codes = session.tables.agreement_countries
            chosen = iso_country(country, "country").code
            statement = statement.where(
                table.c.id.in_(select(codes.c.agreement_id).where(codes.c.country == chosen))
            )
        if expiring_within_days is not None:
            if not 0 <= expiring_within_days <= MAX_HORIZON_DAYS:
                raise ValidationError(
                    "expiring_within_days", "range", f"must be 0 to {MAX_HORIZON_DAYS} days"
                )
            horizon = today + timedelta(days=expiring_within_days)
            statement = statement.where(
                status_condition(table, "in-force", today), table.c.expires_on <= horizon
            )
        if reference is not None:
            wanted = require_text("reference", reference, 100).lower()
            statement = statement.where(
                func.lower(table.c.reference).contains(wanted, autoescape=True)
            )
        if theme is not None:
            statement = statement.where(holds(table.c.themes, values.one("theme", Theme, theme)))
        if organisation is not None:
            code = values.one("organisation", Organisation, organisation)
            statement = statement.where(holds(table.c.partner_organisations, code))
        ordering = Ordering("agreements", table.c.signed_on, table.c.id, descending=True)
        return page(
            session,
            statement,
            ordering,
            limit=limit,
            cursor=cursor,
            present=lambda row: present.agreement(row, today),
        )
