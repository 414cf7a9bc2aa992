"""The list of aggregates and their events: one place the rest of the code asks.

The event catalogue page (docs/event-catalogue.md) is checked against this list
by a test, so a new event cannot be published undocumented.
"""

from __future__ import annotations

from eventsourcing.utils import get_topic

from shared.domain.agreement import Agreement
from shared.domain.base import EntenteAggregate
from shared.domain.delegation import DelegationVisit
from shared.domain.mission import Mission
from shared.domain.post import PostAbroad

#: Aggregate classes and their public type names (used in event types and URLs).
AGGREGATE_TYPES: dict[type[EntenteAggregate], str] = {
    Agreement: "agreement",
    Mission: "mission",
    DelegationVisit: "delegation-visit",
    PostAbroad: "post-abroad",
}
AGGREGATES = list(AGGREGATE_TYPES)


def aggregate_type_of(cls: type[EntenteAggregate]) -> str:
    return AGGREGATE_TYPES[cls]


def event_classes(cls: type[EntenteAggregate]) -> list[type[EntenteAggregate.Event]]:
    """The nested event classes of an aggregate, in definition order, no duplicates."""
    found: list[type[EntenteAggregate.Event]] = []
    names = list(vars(cls)) + [n for n in dir(cls) if n not in vars(cls)]
    for name in names:
        value = getattr(cls, name)
        if (
            isinstance(value, type)
            and issubclass(value, EntenteAggregate.Event)
            and value.__qualname__.startswith(cls.__name__ + ".")
            and value.__name__ not in {"Event", "Created"}
            and value not in found
        ):
            found.append(value)
    return found


#: Topics (library class paths) of every domain event, to read the log without receipts.
DOMAIN_EVENT_TOPICS: list[str] = [get_topic(e) for cls in AGGREGATES for e in event_classes(cls)]
