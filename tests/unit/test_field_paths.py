"""Problem fields name a place in a body one way, whichever check found it."""

from __future__ import annotations

import pytest

from shared.http.fields import field_path


@pytest.mark.parametrize(
    ("loc", "field"),
    [
        (("countries", 0), "countries[0]"),
        (("budget", "amount"), "budget.amount"),
        (("items", 3, "countries", 1), "items.3.countries[1]"),
        (("items", 3), "items.3"),
        (("changes", "themes", 2), "changes.themes[2]"),
        ((), ""),
    ],
)
def test_a_list_item_is_named_with_brackets_and_a_batch_item_with_its_dotted_index(
    loc: tuple[str | int, ...], field: str
) -> None:
    assert field_path(loc) == field
