"""A small ministry recorded by hand: a ledger per directorate, records named by the test.

``World`` records through the real ``CooperationLedger`` (SQLite files in a
temporary directory), so the reporting projection reads the same events, in
the same envelopes, as it does in service. ``mission`` brings a mission to
the status a test needs with the dates, country, theme and classification it
names; everything else takes a plain default. ``record_scenario`` is the
small ministry the figures, guarantee and API tests share.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

from shared.application.ledger import CooperationLedger
from shared.application.stores import SqliteStore
from shared.domain.agreement import Agreement
from shared.domain.base import EntenteAggregate
from shared.domain.context import Actor, CommandContext
from shared.domain.mission import Mission
from shared.domain.vocabulary import Classification
from shared.log.embedded import EmbeddedEventLog

TODAY = date(2025, 6, 1)
TENANTS = ["police", "gendarmerie", "civil-protection"]
A = TypeVar("A", bound=EntenteAggregate)
STEPS = ("requested", "validated", "scheduled", "launched", "completed", "evaluated")
MEAE = "Ministère de l'Europe et des Affaires étrangères"
CYBER, DRUGS, ORDER = "cybercrime", "narcotics", "public-order"
CRISIS = "crisis-management-and-civil-protection"


def clock() -> datetime:
    return datetime(2025, 6, 1, 12, tzinfo=UTC)


def ticking() -> Callable[[], datetime]:
    """A clock one millisecond later at each reading: events recorded in a known order."""
    instants = itertools.count()
    return lambda: clock() + timedelta(milliseconds=next(instants))


@dataclass
class World:
    """One ledger per directorate and the embedded log over them all."""

    ledgers: dict[str, CooperationLedger]
    ids: dict[str, tuple[str, UUID]] = field(default_factory=dict)

    @classmethod
    def open(
        cls,
        directory: Path,
        tenants: Sequence[str] = TENANTS,
        clock: Callable[[], datetime] = clock,
    ) -> World:
        """``clock``: the one instant by default; ``ticking()`` to record in an order."""
        store = SqliteStore(directory)
        return cls({t: CooperationLedger(t, store, clock=clock) for t in tenants})

    @property
    def log(self) -> EmbeddedEventLog:
        return EmbeddedEventLog(self.ledgers)

    def close(self) -> None:
        for ledger in self.ledgers.values():
            ledger.close()

    def context(self, tenant: str) -> CommandContext:
        return CommandContext(tenant, Actor(f"{tenant}-officer", f"Officer of {tenant}"))

    def id(self, name: str) -> str:
        return str(self.ids[name][1])

    def create(self, tenant: str, name: str, build: Callable[[UUID], EntenteAggregate]) -> None:
        self.ids[name] = (tenant, self.ledgers[tenant].create(build, None).record_id)

    def change(self, kind: type[A], name: str, action: Callable[[A], None]) -> None:
        tenant, record_id = self.ids[name]
        ledger = self.ledgers[tenant]
        ledger.change(kind, record_id, ledger.record(kind, record_id).version, action, None)

    def mission(
        self,
        tenant: str,
        name: str,
        *,
        country: str | list[str] = "VN",
        theme: str | list[str] = "cybercrime",
        start: date = date(2024, 3, 4),
        end: date | None = None,
        until: str = "scheduled",
        mission_type: str = "seminar",
        budget: Decimal | None = Decimal("10000.00"),
        cost: Decimal = Decimal("9000.00"),
        classification: Classification = Classification.INTERNAL,
    ) -> None:
        """A mission of ``tenant`` taken from request up to the step ``until``."""
        ctx, last = self.context(tenant), end or start + timedelta(days=4)
        countries = [country] if isinstance(country, str) else country
        themes = [theme] if isinstance(theme, str) else theme
        requested = start - timedelta(days=60)
        fields: dict[str, Any] = {
            "title": f"Mission {name}",
            "mission_type": mission_type,
            "countries": countries,
            "organisations": [],
            "themes": themes,
            "requested_by": f"Autorités {countries[0]}",
            "post_id": None,
            "requested_on": requested,
            "description": "",
            "classification": classification,
            "today": TODAY,
        }
        self.create(tenant, name, lambda id_: Mission.request(ctx, id=id_, **fields))
        money = None if budget is None else (budget, "EUR")
        actions: dict[str, Callable[[Mission], None]] = {
            "validated": lambda m: m.validate(ctx, requested + timedelta(days=5), MEAE, "D-1"),
            "scheduled": lambda m: m.schedule(
                ctx, start, last, f"Lieu {name}", 2, money, requested + timedelta(days=6)
            ),
            "launched": lambda m: m.launch(ctx, start),
            "completed": lambda m: m.complete(ctx, last, 12, (cost, "EUR"), "Fait"),
            "evaluated": lambda m: m.evaluate(ctx, last + timedelta(days=9), 4, "Bien", "Suite"),
        }
        for step in STEPS[1 : STEPS.index(until) + 1]:
            self.change(Mission, name, actions[step])

    def agreement(
        self,
        tenant: str,
        name: str,
        *,
        countries: list[str],
        themes: list[str],
        signed_on: date,
        kind: str = "administrative-arrangement",
        months: int | None = None,
        classification: Classification = Classification.PUBLIC,
    ) -> None:
        ctx = self.context(tenant)
        fields: dict[str, Any] = {
            "reference": name,
            "title": f"Accord {name}",
            "kind": kind,
            "partner_countries": countries,
            "partner_organisations": [],
            "themes": themes,
            "signed_on": signed_on,
            "signed_at": "Paris",
            "duration_months": months,
            "funding": None,
            "funder": None,
            "classification": classification,
            "today": TODAY,
        }
        self.create(tenant, name, lambda id_: Agreement.sign(ctx, id=id_, **fields))


def record_scenario(w: World) -> None:
    """Six missions (four counted: m1, m2, g1, g2), three agreements (A, B, C)."""
    w.mission("police", "m1", start=date(2024, 3, 4), budget=Decimal("10000"))
    w.mission(
        "police",
        "m2",
        country=["VN", "KH"],
        theme=[CYBER, DRUGS],
        start=date(2024, 5, 10),
        mission_type="training-course",
        budget=Decimal("20000"),
        cost=Decimal("18000.50"),
        until="completed",
    )
    w.mission("police", "m3", until="requested")  # not counted: no dates
    w.mission(
        "gendarmerie",
        "g1",
        start=date(2023, 11, 2),
        budget=Decimal("5000"),
        cost=Decimal("4000"),
        until="evaluated",
        classification=Classification.RESTRICTED,
    )
    w.mission(
        "gendarmerie",
        "g2",
        country="MA",
        theme=ORDER,
        start=date(2024, 2, 1),
        mission_type="expert-mission",
        budget=None,
        until="launched",
    )
    w.mission("civil-protection", "c1", country="KH", theme=CRISIS, start=date(2024, 7, 1))
    w.change(Mission, "c1", lambda m: m.cancel(w.context("civil-protection"), TODAY, "Reporté"))
    w.agreement("police", "A", countries=["VN"], themes=[CYBER], signed_on=date(2020, 1, 1))
    w.agreement(
        "gendarmerie",
        "B",
        countries=["VN", "LA"],
        themes=[ORDER],
        signed_on=date(2019, 5, 1),
        months=36,
        kind="letter-of-intent",
    )
    w.agreement(
        "civil-protection", "C", countries=["KH"], themes=[CRISIS], signed_on=date(2023, 1, 1)
    )
    ctx = w.context("civil-protection")
    w.change(Agreement, "C", lambda a: a.suspend(ctx, date(2024, 6, 1), "Crise"))
