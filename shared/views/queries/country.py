"""The country file: everything a directorate has with one country."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from sqlalchemy import select

from shared.domain.reference import country as iso_country
from shared.views.queries import present
from shared.views.queries.posts import covering
from shared.views.store import ViewStore
from shared.views.tracking import view_position


def country_file(store: ViewStore, tenant: str, country: str, *, today: date) -> dict[str, Any]:
    """Agreements with the country as a partner, missions to it, delegations from it,
    the posts covering it today and every post's periods covering it (``post_history``:
    ``valid_until`` is the first day without it, null while it lasts); with counts,
    and the position they reflect.
    """
    found = iso_country(country, "country")
    with store.read(tenant) as session:
        tables, connection = session.tables, session.connection
        agreements, missions = tables.agreements, tables.missions
        partner = select(tables.agreement_countries.c.agreement_id).where(
            tables.agreement_countries.c.country == found.code
        )
        concerned = select(tables.mission_countries.c.mission_id).where(
            tables.mission_countries.c.country == found.code
        )
        agreement_rows = connection.execute(
            select(agreements)
            .where(agreements.c.id.in_(partner))
            .order_by(agreements.c.signed_on.desc(), agreements.c.id)
        ).mappings()
        mission_rows = connection.execute(
            select(missions)
            .where(missions.c.id.in_(concerned))
            .order_by(missions.c.requested_on.desc(), missions.c.id)
        ).mappings()
        delegations = tables.delegations
        delegation_rows = connection.execute(
            select(delegations)
            .where(delegations.c.country == found.code)
            .order_by(delegations.c.start_date.desc(), delegations.c.id)
        ).mappings()
        post_rows = connection.execute(
            select(tables.posts)
            .where(tables.posts.c.id.in_(covering(tables, found.code, today)))
            .order_by(tables.posts.c.name)
        ).mappings()
        posts, coverage = tables.posts, tables.post_coverage
        period_rows = connection.execute(
            select(
                coverage.c.post_id,
                posts.c.name,
                posts.c.city,
                posts.c.status,
                coverage.c.valid_from,
                coverage.c.valid_until,
            )
            .join(posts, posts.c.id == coverage.c.post_id)
            .where(coverage.c.country == found.code)
            .order_by(coverage.c.valid_from, posts.c.name, coverage.c.post_id)
        ).mappings()
        file = {
            "agreements": [present.agreement(row, today) for row in agreement_rows],
            "missions": [present.plain(row) for row in mission_rows],
            "delegations": [present.plain(row) for row in delegation_rows],
            "posts": [present.plain(row) for row in post_rows],
        }
        # Which post covered the country when, closed posts included: an action is
        # counted for the post that covered its country on its date (the annual
        # report's by_post), and a file listing only today's post hid the others.
        history = [present.plain(row) for row in period_rows]
        as_of = view_position(session)
    return {
        "country": {"code": found.code, "name_fr": found.name_fr, "name_en": found.name_en},
        "counts": {
            **{name: len(items) for name, items in file.items()},
            "agreements_by_status": dict(
                sorted(Counter(a["status"] for a in file["agreements"]).items())
            ),
            "missions_by_status": dict(
                sorted(Counter(m["status"] for m in file["missions"]).items())
            ),
        },
        **file,
        "post_history": history,
        "position": as_of.position,
        "as_of": as_of.as_dict(),
    }
