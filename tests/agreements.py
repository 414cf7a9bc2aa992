"""An agreement as the tests sign it: one shape, with the fields a test cares about named.

Several suites (audit, Kafka, projector, faults) each wrote out the same thirteen
keywords of ``Agreement.sign``; they now name only what differs.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from shared.domain.agreement import Agreement
from shared.domain.context import CommandContext
from shared.domain.vocabulary import Classification

#: The day the tests' agreements are recorded on ("today" for the domain's date rules).
TODAY = date(2014, 6, 1)


def signed_agreement(ctx: CommandContext, id: UUID, reference: str, **fields: Any) -> Agreement:
    """A new agreement, not yet saved: a memorandum with Viet Nam by default."""
    values: dict[str, Any] = {
        "title": f"Accord {reference}",
        "kind": "memorandum-of-understanding",
        "partner_countries": ["VN"],
        "partner_organisations": [],
        "themes": ["counterfeit-medicines"],
        "signed_on": date(2011, 12, 9),
        "signed_at": "Hanoï",
        "duration_months": 36,
        "funding": None,
        "funder": None,
        "classification": Classification.PUBLIC,
        "today": TODAY,
        **fields,
    }
    return Agreement.sign(ctx, id=id, reference=reference, **values)
