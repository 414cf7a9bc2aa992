"""The annual activity report: the figures the directorates publish.

A figure only means something with its counting rule and the date it is as of
(the published pages disagree for want of both), so every section states its
rule in French and English, and the report carries the view position and the
recorded time of the last event it reflects.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import RowMapping, select

from shared.errors import ValidationError
from shared.views.store import ViewStore
from shared.views.tracking import view_position

#: Mission statuses that count as actions: decided, dated and not cancelled.
COUNTED_STATUSES = ("scheduled", "launched", "completed", "evaluated")

RULES = {
    "missions": {
        "fr": "Actions : missions programmées, lancées, réalisées ou évaluées dont la date de "
        "début tombe dans l'année. Une action portant sur plusieurs pays ou thèmes compte pour "
        "chacun (les sous-totaux peuvent dépasser le total) ; par poste : le poste qui couvrait "
        "le pays à la date de début.",
        "en": "Actions: missions scheduled, launched, completed or evaluated whose start date "
        "falls in the year. An action with several countries or themes counts for each (sub-"
        "totals may exceed the total); by post: the post covering the country on the start date.",
    },
    "agreements": {
        "fr": "Signés : date de signature dans l'année. En vigueur au 31 décembre : signés au "
        "plus tard ce jour-là, ni suspendus, ni dénoncés, ni expirés à cette date.",
        "en": "Signed: signature date in the year. In force on 31 December: signed by then, "
        "and neither suspended, terminated nor expired on that date.",
    },
    "delegations": {
        "fr": "Délégations étrangères accueillies dont la date d'accueil tombe dans l'année, "
        "par site d'accueil (un site écrit avec d'autres majuscules, accents, tirets ou "
        "espaces compte pour un, sous son écriture la plus fréquente).",
        "en": "Foreign delegations hosted, by host site, whose hosting date falls in the year "
        "(a site written with other capitals, accents, hyphens or spaces counts as one, "
        "under its most frequent spelling).",
    },
    "budgets": {
        "fr": "Budgets prévus et coûts réels des actions comptées, additionnés par devise, "
        "jamais convertis.",
        "en": "Planned budgets and actual costs of the counted actions, summed per currency, "
        "never converted.",
    },
    "evaluations": {
        "fr": "Moyenne des notes (1 à 5) des actions comptées qui ont été évaluées.",
        "en": "Average rating (1 to 5) of the counted actions that were evaluated.",
    },
}


def annual_report(store: ViewStore, tenant: str, year: int) -> dict[str, Any]:
    """Counts, budgets and evaluation averages of ``year``, with their rules and as-of."""
    if not 1900 <= year <= 2200:
        raise ValidationError("year", "range", "year must be 1900 to 2200")
    first, last = date(year, 1, 1), date(year, 12, 31)
    with store.read(tenant) as session:
        tables, connection = session.tables, session.connection
        m, d, a, t = tables.missions, tables.delegations, tables.agreements, tables.agreement_terms
        missions = (
            connection.execute(
                select(m).where(
                    m.c.start_date.between(first, last), m.c.status.in_(COUNTED_STATUSES)
                )
            )
            .mappings()
            .all()
        )
        coverage = connection.execute(select(tables.post_coverage)).mappings().all()
        posts = {
            r.id: r.name for r in connection.execute(select(tables.posts.c.id, tables.posts.c.name))
        }
        agreements = (
            connection.execute(select(a.c.id, a.c.kind, a.c.signed_on).where(a.c.signed_on <= last))
            .mappings()
            .all()
        )
        terms = connection.execute(select(t).where(t.c.effective_on <= last)).mappings().all()
        hosted = (
            connection.execute(
                select(d.c.host_site).where(
                    d.c.status == "hosted", d.c.hosted_on.between(first, last)
                )
            )
            .scalars()
            .all()
        )
        as_of = view_position(session)
    return {
        "tenant": tenant,
        "year": year,
        "missions": {**_missions(missions, coverage, posts), "counting_rule": RULES["missions"]},
        "agreements": {
            **_agreements(agreements, terms, first, last),
            "counting_rule": RULES["agreements"],
        },
        "delegations": {
            "hosted": len(hosted),
            "by_host_site": _by_site(hosted),
            "counting_rule": RULES["delegations"],
        },
        "budgets": {**_budgets(missions), "counting_rule": RULES["budgets"]},
        "evaluations": {**_evaluations(missions), "counting_rule": RULES["evaluations"]},
        "position": as_of.position,
        "as_of": as_of.as_dict(),
    }


def _sorted(counter: Counter[str]) -> dict[str, int]:
    return dict(sorted(counter.items()))


def _by_site(hosted: Sequence[str]) -> dict[str, int]:
    """Visits per host site, spellings of one site counted together under the most
    frequent (then the first in order): "Asnières-sur-Seine", "asnieres sur seine" and
    "ASNIÈRES-SUR-SEINE" were three rows of the figures the directorates quote (probe 8)."""
    spellings: dict[str, Counter[str]] = {}
    for site in hosted:
        spellings.setdefault(_site_key(site), Counter())[site] += 1
    counted: Counter[str] = Counter()
    for found in spellings.values():
        shown = min(found, key=lambda spelling: (-found[spelling], spelling))
        counted[shown] = sum(found.values())
    return _sorted(counted)


def _site_key(site: str) -> str:
    """A site as people read it: no accents, no case, words apart whatever separates them."""
    letters = unicodedata.normalize("NFKD", site)
    plain = "".join(char for char in letters if not unicodedata.combining(char))
    return " ".join(re.split(r"[\W_]+", plain.casefold())).strip()


def _missions(
    rows: Sequence[RowMapping], coverage: Sequence[RowMapping], posts: dict[str, str]
) -> dict[str, Any]:
    by_post: Counter[str] = Counter()
    for row in rows:
        by_post.update(_posts_covering(row["countries"], row["start_date"], coverage))
    return {
        "total": len(rows),
        "by_type": _sorted(Counter(row["mission_type"] for row in rows)),
        "by_theme": _sorted(Counter(theme for row in rows for theme in row["themes"])),
        "by_country": _sorted(Counter(code for row in rows for code in row["countries"])),
        "by_post": [
            {"post_id": post_id, "name": posts.get(post_id), "actions": count}
            for post_id, count in sorted(by_post.items(), key=lambda item: (-item[1], item[0]))
        ],
    }


def _posts_covering(countries: Iterable[str], on: date, coverage: Sequence[RowMapping]) -> set[str]:
    """The posts that covered any of ``countries`` on ``on`` (each counted once)."""
    wanted = set(countries)
    return {
        period["post_id"]
        for period in coverage
        if period["country"] in wanted
        and period["valid_from"] <= on
        and (period["valid_until"] is None or on < period["valid_until"])
    }


def _agreements(
    agreements: Sequence[RowMapping], terms: Sequence[RowMapping], first: date, last: date
) -> dict[str, Any]:
    """Signed in the year, and in force on its last day according to the status history."""
    latest: dict[str, RowMapping] = {}
    for term in sorted(terms, key=lambda r: (r["effective_on"], r["version"])):
        latest[term["agreement_id"]] = term
    kinds = {row["id"]: row["kind"] for row in agreements}
    in_force = [
        kinds[agreement_id]
        for agreement_id, term in latest.items()
        if agreement_id in kinds
        and term["status"] == "in-force"
        and (term["expires_on"] is None or term["expires_on"] >= last)
    ]
    signed = [row["kind"] for row in agreements if row["signed_on"] >= first]
    return {
        "signed": {"total": len(signed), "by_kind": _sorted(Counter(signed))},
        "in_force_at_year_end": {"total": len(in_force), "by_kind": _sorted(Counter(in_force))},
    }


def _budgets(rows: Sequence[RowMapping]) -> dict[str, dict[str, str]]:
    planned: defaultdict[str, Decimal] = defaultdict(Decimal)
    actual: defaultdict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        if row["budget_amount"] is not None:
            planned[row["budget_currency"]] += row["budget_amount"]
        if row["actual_cost_amount"] is not None:
            actual[row["actual_cost_currency"]] += row["actual_cost_amount"]
    return {
        "budget": {code: str(total) for code, total in sorted(planned.items())},
        "actual_cost": {code: str(total) for code, total in sorted(actual.items())},
    }


def _evaluations(rows: Sequence[RowMapping]) -> dict[str, Any]:
    ratings = [int(row["rating"]) for row in rows if row["rating"] is not None]
    average = None
    if ratings:
        # Half up, as a report reader rounds (4.125 → 4.13); Decimal's default is half even.
        exact = Decimal(sum(ratings)) / len(ratings)
        average = str(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    return {"count": len(ratings), "average_rating": average}
