"""Creating an aggregate without the library's per-call introspection.

eventsourcing's ``BaseAggregate._create`` works for any aggregate, so each
call filters the keyword arguments against the signatures of ``create_id``,
``__base_init__`` and ``__init__`` (three dictionary comprehensions over every
field), builds the event through its frozen dataclass ``__init__`` (one
``object.__setattr__`` per field) and has the event rebuild the aggregate
class from its topic. For a mission that was about 12 µs of the 75 µs of
Python a bulk import spends per record (py-spy, under load).

``DirectlyCreated._create`` does the same steps with what never changes for
one (aggregate class, event class) pair worked out once: the event's field
names in dataclass order (so its ``__dict__``, and the stored JSON, are
exactly what the dataclass ``__init__`` would make), and whether the library's
generic path is needed at all. The event is assembled as the library's own
mapper assembles events it reads (``object.__new__`` and the ``__dict__``);
the aggregate gets ``__base_init__``, ``__init__`` and the event's ``apply``,
as the library calls them. Anything unusual (an explicit ``TOPIC``, an
``__init__`` with parameters, a custom ``mutate``, no id given, a missing or
extra field) goes through the library's ``_create`` unchanged, so its errors
are the library's. ``tests/unit/test_direct_creation.py`` checks every
creation command of every aggregate against the library's path.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any, Self
from uuid import UUID

from eventsourcing.domain import Aggregate, CanInitAggregate, DomainEvent, _init_mentions_id
from eventsourcing.utils import get_topic


class DirectlyCreated(Aggregate):
    """An aggregate whose ``_create`` skips the library's generic introspection."""

    @classmethod
    def _create(
        cls,
        event_class: type[CanInitAggregate[UUID]],
        *,
        id: UUID | None = None,
        **kwargs: Any,
    ) -> Self:
        fields = _event_fields(cls, event_class)
        if fields is None or type(id) is not UUID:
            return super()._create(event_class, id=id, **kwargs)
        timestamp = kwargs.get("timestamp")
        if timestamp is None:
            timestamp = event_class.create_timestamp()
        kwargs["timestamp"] = timestamp
        kwargs["originator_topic"] = fields.topic
        kwargs["originator_id"] = id
        kwargs["originator_version"] = cls.INITIAL_VERSION
        if len(kwargs) != len(fields.names) or not kwargs.keys() >= fields.names:
            del kwargs["originator_topic"], kwargs["originator_id"], kwargs["originator_version"]
            return super()._create(event_class, id=id, **kwargs)  # its TypeError names the field
        event = object.__new__(event_class)
        object.__setattr__(event, "__dict__", {name: kwargs[name] for name in fields.ordered})
        aggregate = object.__new__(cls)
        aggregate.__base_init__(id, cls.INITIAL_VERSION, timestamp)
        aggregate.__init__()  # type: ignore[misc]  # the library calls it; it takes no field
        event.apply(aggregate)
        aggregate.pending_events.append(event)
        return aggregate


def takes_direct_path(aggregate_class: type[Aggregate], event_class: type[Any]) -> bool:
    """Whether ``_create`` builds this pair itself (for tests and the curious)."""
    return _event_fields(aggregate_class, event_class) is not None


@dataclasses.dataclass(frozen=True)
class _Fields:
    """An event class's fields: in dataclass order, and as a set for the check."""

    ordered: tuple[str, ...]
    names: frozenset[str]
    topic: str


#: Each (aggregate class, event class) pair's fields, worked out on first use.
_FIELDS: dict[tuple[type[Any], type[Any]], _Fields | None] = {}


def _event_fields(aggregate_class: type[Aggregate], event_class: type[Any]) -> _Fields | None:
    """The pair's fields, or None when only the library's generic path is right."""
    key = (aggregate_class, event_class)
    try:
        return _FIELDS[key]
    except KeyError:
        fields = _FIELDS[key] = _worked_out(aggregate_class, event_class)
        return fields


def _worked_out(aggregate_class: type[Aggregate], event_class: type[Any]) -> _Fields | None:
    if getattr(aggregate_class, "TOPIC", None):  # the library checks its registration
        return None
    if aggregate_class in _init_mentions_id:  # __init__ takes the id
        return None
    if event_class.mutate is not CanInitAggregate.mutate:
        return None
    if not dataclasses.is_dataclass(event_class):
        return None
    # The library's own __post_init__ only refuses a non-UUID id, which _create checks.
    if getattr(event_class, "__post_init__", DomainEvent.__post_init__) is not (
        DomainEvent.__post_init__
    ):
        return None
    ordered = tuple(field.name for field in dataclasses.fields(event_class) if field.init)
    if len(ordered) != len(dataclasses.fields(event_class)):
        return None
    # The library passes __init__ the event fields its signature names: none here.
    init = aggregate_class.__init__
    names = set(inspect.signature(init).parameters)
    if names != {"self"} and not (init is object.__init__ and not names & set(ordered)):
        return None
    return _Fields(ordered, frozenset(ordered), get_topic(aggregate_class))
