"""The compiled schema checks say yes exactly when jsonschema finds no error.

The projector takes a conforming verdict from ``shared.views.conformance``
and asks jsonschema only about the rest, so a compiled check must never accept
what jsonschema refuses. Every event type's representative message is broken
in every place, every way a JSON value can be wrong, and both must agree.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from shared.events import schemas
from shared.views.conformance import fast_check
from tests.contracts.test_message_schemas import Published, representative  # noqa: F401

#: What a value can be replaced with: each JSON type, and strings near the patterns.
REPLACEMENTS: list[Any] = [
    None,
    True,
    False,
    0,
    7,
    2.0,
    2.5,
    "",
    "x",
    "FR",
    "EUR",
    "fr",
    "12.50",
    "1E+3",
    "2014-02-03",
    "2014-02-30",
    "terrorism",
    "EU",
    [],
    ["FR"],
    ["fr"],
    [1],
    {},
    {"unexpected": 1},
]


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(value, dict):
        for name, child in value.items():
            yield from _paths(child, (*path, name))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*path, index))


def _mutants(value: dict[str, Any]) -> Iterator[Any]:
    for path in _paths(value):
        for replacement in REPLACEMENTS:
            yield _with(value, path, lambda _old, new=replacement: new)
        if path:
            yield _with(value, path, None, drop=True)
        yield _with(value, path, lambda old: {**old, "extra": 1} if isinstance(old, dict) else old)


def _with(value: dict[str, Any], path: tuple[Any, ...], change: Any, drop: bool = False) -> Any:
    mutant = copy.deepcopy(value)
    if not path:
        return change(mutant)
    parent = mutant
    for step in path[:-1]:
        parent = parent[step]
    if drop:
        del parent[path[-1]]
    else:
        parent[path[-1]] = change(parent[path[-1]])
    return mutant


def _jsonschema_accepts(event_type: str, value: Any) -> bool:
    try:
        schemas.validate_message(event_type, value)
    except schemas.SchemaViolationError:
        return False
    return True


def test_every_event_type_is_compiled(representative: list[Published]) -> None:  # noqa: F811
    assert all(fast_check(p.event.type) is not None for p in representative)


def test_compiled_checks_agree_with_jsonschema(representative: list[Published]) -> None:  # noqa: F811
    first = {p.event.type: p for p in reversed(representative)}
    compared = 0
    for event_type, published in sorted(first.items()):
        check = fast_check(event_type)
        assert check is not None
        assert check(published.value)
        for mutant in _mutants(published.value):
            assert check(mutant) == _jsonschema_accepts(event_type, mutant), (event_type, mutant)
            compared += 1
    assert compared > 1000


@pytest.mark.parametrize("event_type", ["fr.interieur.entente.mission.teleported.v1", ""])
def test_a_type_without_schema_is_left_to_jsonschema(event_type: str) -> None:
    assert fast_check(event_type) is None
