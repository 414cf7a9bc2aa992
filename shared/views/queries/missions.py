"""The missions board, and the requests waiting for a decision."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, select

from shared.domain import values
from shared.domain.reference import country as iso_country
from shared.domain.vocabulary import MissionStatus, MissionType, Organisation, Theme
from shared.errors import ValidationError
from shared.views.queries.codes import holds
from shared.views.queries.paging import DEFAULT_LIMIT, Ordering, Page, page
from shared.views.queries.present import Row, plain
from shared.views.store import ViewSession, ViewStore


def _filters(
    session: ViewSession,
    status: str | None,
    country: str | None,
    theme: str | None,
    mission_type: str | None,
    year: int | None,
    post_id: str | None,
    organisation: str | None = None,
) -> list[ColumnElement[bool]]:
    tables = session.tables
    missions = tables.missions
    found: list[ColumnElement[bool]] = []
    if status is not None:
        found.append(missions.c.status == values.one("status", MissionStatus, status))
    if mission_type is not None:
        kind = values.one("mission_type", MissionType, mission_type)
        found.append(missions.c.mission_type == kind)
    if country is not None:
        codes = tables.mission_countries
        code = iso_country(country, "country").code
        found.append(missions.c.id.in_(select(codes.c.mission_id).where(codes.c.country == code)))
    if theme is not None:
        themes = tables.mission_themes
        term = values.one("theme", Theme, theme)
        found.append(missions.c.id.in_(select(themes.c.mission_id).where(themes.c.theme == term)))
    if year is not None:
        if not 1900 <= year <= 2200:
            raise ValidationError("year", "range", "year must be 1900 to 2200")
        found.append(missions.c.board_year == year)
    if post_id is not None:
        found.append(missions.c.post_id == post_id)
    if organisation is not None:  # institutional work: EU, INTERPOL, EUROPOL… (probe 8)
        code = values.one("organisation", Organisation, organisation)
        found.append(holds(missions.c.organisations, code))
    return found


def missions_board(
    store: ViewStore,
    tenant: str,
    *,
    status: str | None = None,
    country: str | None = None,
    theme: str | None = None,
    mission_type: str | None = None,
    year: int | None = None,
    post_id: str | None = None,
    organisation: str | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> Page:
    """Missions, latest request first. ``year`` is the start date's, else the request's."""
    with store.read(tenant, one_statement=True) as session:
        missions = session.tables.missions
        conditions = _filters(
            session, status, country, theme, mission_type, year, post_id, organisation
        )
        ordering = Ordering("missions", missions.c.requested_on, missions.c.id, descending=True)
        statement = select(missions).where(*conditions)
        return page(session, statement, ordering, limit=limit, cursor=cursor, present=plain)


def awaiting_validation(
    store: ViewStore,
    tenant: str,
    *,
    today: date,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> Page:
    """Requests still waiting for a decision, oldest first, with ``waiting_days``."""

    def waiting(row: Row) -> dict[str, Any]:
        return {**plain(row), "waiting_days": (today - row["requested_on"]).days}

    with store.read(tenant, one_statement=True) as session:
        missions = session.tables.missions
        ordering = Ordering("awaiting", missions.c.requested_on, missions.c.id, descending=False)
        statement = select(missions).where(missions.c.status == MissionStatus.REQUESTED.value)
        return page(session, statement, ordering, limit=limit, cursor=cursor, present=waiting)
