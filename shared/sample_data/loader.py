"""Loads the sample data through the ledgers, idempotently.

Every command carries a deterministic Idempotency-Key and is generated from a
fixed seed, so a restart replays receipts instead of recording twice: loading
is idempotent for the same reason a client retry is.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from shared.application.ledger import CooperationLedger, Idempotency
from shared.domain.agreement import Agreement
from shared.domain.context import Actor, CommandContext
from shared.domain.delegation import DelegationVisit
from shared.domain.mission import Mission
from shared.domain.post import PostAbroad
from shared.domain.vocabulary import Classification
from shared.sample_data import facts

LOADER = Actor("sample-data-loader", "Chargement des données d'exemple")
FIRST_YEAR = 2012


class _Session:
    """One tenant's loading: numbered, keyed commands against one ledger."""

    def __init__(self, ledger: CooperationLedger, today: date) -> None:
        self.ledger = ledger
        self.tenant = ledger.tenant
        self.today = today
        self.ctx = CommandContext(self.tenant, LOADER, correlation_id=f"sample-data-{self.tenant}")
        self.count = 0

    def key(self, name: str) -> Idempotency:
        digest = hashlib.sha256(name.encode()).hexdigest()
        return Idempotency(f"sample:{self.tenant}:{digest[:32]}", digest)

    def create(self, name: str, build: Callable[[UUID], Any]) -> UUID:
        self.count += 1
        return self.ledger.create(build, self.key(name)).record_id

    def change(
        self, name: str, cls: type[Any], record_id: UUID, action: Callable[[Any], None]
    ) -> None:
        self.count += 1
        key = self.key(name)
        version = self.ledger.record(cls, record_id).version
        self.ledger.change(cls, record_id, version, action, key)


def load(ledgers: Mapping[str, CooperationLedger], today: date) -> dict[str, int]:
    """Loads every tenant's sample; returns the number of commands per tenant.

    The sample is written for the three directorates; a tenant added by
    configuration (road safety...) starts empty, with 0 commands, instead of
    stopping the start-up of the others.
    """
    counts: dict[str, int] = {}
    for tenant, ledger in ledgers.items():
        if tenant not in facts.PROFILES:
            counts[tenant] = 0
            continue
        session = _Session(ledger, today)
        posts = _posts(session)
        _agreements(session)
        _missions(session, posts, _rng(session, "missions"))
        if tenant == "civil-protection":
            _delegations(session)
        counts[tenant] = session.count
    return counts


def _posts(s: _Session) -> dict[str, UUID]:
    """Opens the tenant's posts; returns the post covering each country."""
    ids: dict[str, UUID] = {}
    for spec in facts.POSTS.get(s.tenant, []):
        post_id = _open_post(s, *spec)
        for code in spec[3]:
            ids.setdefault(code, post_id)
    return ids


def _open_post(
    s: _Session, name: str, city: str, host: str, covered: list[str], opened: date
) -> UUID:
    return s.create(
        f"post:{name}",
        lambda id_: PostAbroad.open(
            s.ctx,
            id=id_,
            name=name,
            city=city,
            host_country=host,
            covered_countries=covered,
            opened_on=opened,
            classification=Classification.PUBLIC,
        ),
    )


def _agreements(s: _Session) -> None:
    named = facts.AGREEMENTS.get(s.tenant, [])
    for spec in named:
        _sign(s, spec)
    if s.tenant == "civil-protection":
        for index, (code, year) in enumerate(facts.CIVIL_PROTECTION_PARTNERS):
            kind = (
                "bilateral-cooperation-agreement"
                if year < 2010
                else ("letter-of-intent" if index % 3 == 0 else "administrative-arrangement")
            )
            _sign(
                s,
                {
                    "reference": f"SC-{code}-{year}",
                    "kind": kind,
                    "partner_countries": [code],
                    "title": f"Coopération et assistance mutuelle en protection civile ({code})",
                    "themes": ["crisis-management-and-civil-protection"],
                    "signed_on": date(year, 1 + index % 12, 1 + index % 27),
                    "signed_at": "Paris",
                    "duration_months": None if year < 2015 else 60,
                },
            )
    if s.tenant == "gendarmerie":
        for index, code in enumerate(facts.PROFILES["gendarmerie"]["countries"]):
            signed = date(2014 + index, 3 + index % 9, 10)
            _sign(
                s,
                {
                    "reference": f"GN-{code}-{signed.year}",
                    "kind": "administrative-arrangement",
                    "partner_countries": [code],
                    "title": f"Arrangement de coopération gendarmerie ({code})",
                    "themes": ["public-order", "border-management"],
                    "signed_on": signed,
                    "signed_at": "Paris",
                    "duration_months": 36 + 12 * (index % 4),
                },
            )


def _sign(s: _Session, spec: dict[str, Any]) -> UUID:
    fields = {"partner_organisations": [], "funding": None, "funder": None, **spec}
    return s.create(
        f"agreement:{spec['reference']}",
        lambda id_: Agreement.sign(
            s.ctx, id=id_, classification=Classification.PUBLIC, today=s.today, **fields
        ),
    )


def _missions(s: _Session, posts: dict[str, UUID], rng: random.Random) -> None:
    for index, named in enumerate(m for m in facts.NAMED_MISSIONS if m[0] == s.tenant):
        _, title, kind, countries, theme, place, start, end = named
        _lifecycle(
            s,
            f"named:{index}",
            _rng(s, f"named:{index}"),
            posts,
            title,
            kind,
            countries,
            theme,
            place,
            start,
            end,
        )
    for index, work in enumerate(m for m in facts.INSTITUTIONAL_MISSIONS if m[0] == s.tenant):
        _, title, kind, countries, organisations, theme, place, start, end = work
        name = f"institutional:{index}"
        _lifecycle(
            s, name, _rng(s, name), posts, title, kind, countries, theme, place, start, end,
            organisations=organisations,
        )  # fmt: skip
    profile = facts.PROFILES[s.tenant]
    kinds = ["training-course", "expert-mission", "audit-mission", "study-visit", "seminar"]
    for year in range(FIRST_YEAR, s.today.year + 2):
        for n in range(profile["per_year"]):
            theme = rng.choice(profile["themes"])
            country = rng.choice(profile["countries"])
            kind = rng.choice(kinds)
            start = date(year, 1, 1) + timedelta(days=rng.randrange(0, 350))
            end = start + timedelta(days=rng.randrange(0, 10))
            title = f"{facts.TOPIC_TITLES[theme]} — {kind.replace('-', ' ')} {year}-{n + 1:02d}"
            _lifecycle(
                s,
                f"gen:{year}:{n}",
                _rng(s, f"gen:{year}:{n}"),
                posts,
                title,
                kind,
                [country],
                theme,
                "",
                start,
                end,
            )


def _lifecycle(
    s: _Session,
    name: str,
    rng: random.Random,
    posts: dict[str, UUID],
    title: str,
    kind: str,
    countries: list[str],
    theme: str,
    place: str,
    start: date,
    end: date,
    organisations: list[str] | None = None,
) -> None:
    requested = start - timedelta(days=rng.randrange(45, 200))
    if requested > s.today:
        return
    post = posts.get(countries[0])
    classification = Classification.RESTRICTED if rng.random() < 0.05 else Classification.INTERNAL
    mission_id = s.create(
        f"mission:{name}",
        lambda id_: Mission.request(
            s.ctx,
            id=id_,
            title=title,
            mission_type=kind,
            countries=countries,
            organisations=organisations or [],
            themes=[theme],
            requested_by=f"Autorités de {countries[0]}",
            post_id=str(post) if post else None,
            requested_on=requested,
            description="",
            classification=classification,
            today=s.today,
        ),
    )
    step = _Steps(s, name, mission_id)
    decided = requested + timedelta(days=rng.randrange(5, 40))
    still_pending = requested > s.today - timedelta(days=120) and rng.random() < 0.5
    if decided > s.today or still_pending:
        return
    if rng.random() < 0.08:
        step.do(
            "decline",
            lambda m: m.decline(
                s.ctx,
                decided,
                "Ministère de l'Europe et des Affaires étrangères",
                f"MEAE-{name}",
                "Hors priorités",
            ),
        )
        return
    step.do(
        "validate",
        lambda m: m.validate(
            s.ctx, decided, "Ministère de l'Europe et des Affaires étrangères", f"MEAE-{name}"
        ),
    )
    scheduled = min(decided + timedelta(days=10), start)
    if scheduled > s.today:
        return
    budget = (Decimal(rng.randrange(8, 120) * 500), "EUR")
    experts = rng.randrange(1, 6)
    step.do(
        "schedule",
        lambda m: m.schedule(s.ctx, start, end, place or countries[0], experts, budget, scheduled),
    )
    if start > s.today:
        return
    if rng.random() < 0.05:
        step.do("cancel", lambda m: m.cancel(s.ctx, start, "Contexte sécuritaire"))
        return
    step.do("launch", lambda m: m.launch(s.ctx, start))
    if end >= s.today:
        return
    cost = (budget[0] * Decimal(rng.randrange(80, 110)) / 100, "EUR")
    participants, rating = rng.randrange(8, 40), rng.randrange(2, 6)
    step.do("complete", lambda m: m.complete(s.ctx, end, participants, cost, "Objectifs atteints"))
    if end + timedelta(days=30) < s.today:
        step.do(
            "evaluate",
            lambda m: m.evaluate(
                s.ctx, end + timedelta(days=30), rating, "Stage apprécié", "Reconduire"
            ),
        )
    if name.endswith(":3"):
        step.do(
            "correct",
            lambda m: m.correct(
                s.ctx,
                {"title": title + " (intitulé corrigé)"},
                "Intitulé officiel du programme",
                end + timedelta(days=31),
            ),
        )


class _Steps:
    def __init__(self, s: _Session, name: str, mission_id: UUID) -> None:
        self.s, self.name, self.id = s, name, mission_id

    def do(self, step: str, action: Callable[[Any], None]) -> None:
        self.s.change(f"mission:{self.name}:{step}", Mission, self.id, action)


def _rng(s: _Session, name: str) -> random.Random:
    """One generator per record, so what is drawn never depends on today's date."""
    return random.Random(f"entente-sample:{s.tenant}:{name}")  # noqa: S311 - sample data


def _delegations(s: _Session) -> None:
    for year in range(s.today.year - 2, s.today.year + 1):
        for n in range(45):
            _delegation(s, year, n)


def _delegation(s: _Session, year: int, n: int) -> None:
    rng = _rng(s, f"delegation:{year}:{n}")
    countries = ["CN", "VN", "MA", "DZ", "TN", "SN", "BR", "CL", "JP", "KR", "LB", "UA", "KZ"]
    site = facts.HOST_SITES[n % 2]
    start = date(year, 1, 6) + timedelta(days=rng.randrange(0, 350))
    end = start + timedelta(days=rng.randrange(0, 4))
    country = rng.choice(countries)
    size, actual = rng.randrange(3, 25), rng.randrange(3, 25)
    if start - timedelta(days=60) > s.today:
        return
    visit = s.create(
        f"delegation:{year}:{n}",
        lambda id_: DelegationVisit.plan(
            s.ctx,
            id=id_,
            country=country,
            organisation=None,
            head_of_delegation=f"Chef de délégation {country}-{n}",
            size=size,
            start_date=start,
            end_date=end,
            host_site=site,
            topics=["crisis-management-and-civil-protection"],
            classification=Classification.INTERNAL,
        ),
    )
    if end < s.today:
        s.change(
            f"delegation:{year}:{n}:host",
            DelegationVisit,
            visit,
            lambda v: v.host(s.ctx, start, actual),
        )
