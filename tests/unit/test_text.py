"""``shared.text``: which characters are control characters, and where they are said to be."""

from __future__ import annotations

import pytest

from shared.text import control_character, first_control_character


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Stage\x00", "U+0000 at position 6"),
        ("\x1b[31mrouge", "U+001B at position 1"),
        ("a\x7fb", "U+007F at position 2"),  # DEL
        ("Asni\x85ères", "U+0085 at position 5"),  # C1 (NEL)
        ("é\x0b", "U+000B at position 2"),  # vertical tab: not one of the three kept
    ],
)
def test_control_characters_are_found_with_their_place(text: str, found: str) -> None:
    assert control_character(text) == found


@pytest.mark.parametrize(
    "text", ["", "Hanoï", "ligne\r\nsuivante", "\tindenté", "Ĳ ₩ 😀", "\u00a0espace insécable"]
)
def test_tab_line_breaks_and_printable_text_are_not(text: str) -> None:
    assert control_character(text) is None


def test_the_first_one_in_nested_values_is_named_by_its_path() -> None:
    changes = {"title": "ok", "countries": ["VN", "K\x00H"], "city": "x\x01"}

    assert first_control_character(changes) == ("countries[1]", "U+0000 at position 2")
    assert first_control_character({"ti\x02tle": "ok"}) == ("", "U+0002 at position 3")
    assert first_control_character(["a", ("b", "c\x03")]) == ("[1][1]", "U+0003 at position 2")
    assert first_control_character({"a": [1, None, {"b": "fine"}]}) is None
