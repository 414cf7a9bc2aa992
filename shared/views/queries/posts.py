"""The posts directory: the directorate's internal-security services abroad.

A desk officer recording a foreign request names the post that collected it
(``post_id``); a manager wants the network at a glance. The directory lists
every post by name, where it sits and the countries it covers, and answers
"which post covers this country today?" (``covers``), the question the country
file answers for one country.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Select, select

from shared.domain import values
from shared.domain.reference import country as iso_country
from shared.domain.vocabulary import PostStatus
from shared.views.queries.paging import DEFAULT_LIMIT, Ordering, Page, page
from shared.views.queries.present import plain
from shared.views.store import ViewStore
from shared.views.tables import ViewTables


def covering(tables: ViewTables, country: str, on: date) -> Select[tuple[str]]:
    """The ids of the posts covering ``country`` on ``on`` (its coverage periods)."""
    coverage = tables.post_coverage
    return select(coverage.c.post_id).where(
        coverage.c.country == country,
        coverage.c.valid_from <= on,
        (coverage.c.valid_until.is_(None)) | (coverage.c.valid_until > on),
    )


def posts_directory(
    store: ViewStore,
    tenant: str,
    *,
    today: date,
    status: str | None = None,
    host_country: str | None = None,
    covers: str | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> Page:
    """Posts by name; ``covers``: only those covering that country on ``today``."""
    with store.read(tenant, one_statement=True) as session:
        table = session.tables.posts
        statement = select(table)
        if status is not None:
            statement = statement.where(table.c.status == values.one("status", PostStatus, status))
        if host_country is not None:
            code = iso_country(host_country, "host_country").code
            statement = statement.where(table.c.host_country == code)
        if covers is not None:
            code = iso_country(covers, "covers").code
            statement = statement.where(table.c.id.in_(covering(session.tables, code, today)))
        ordering = Ordering("posts", table.c.name, table.c.id, descending=False, text_key=True)
        return page(session, statement, ordering, limit=limit, cursor=cursor, present=plain)
