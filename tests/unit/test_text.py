"""``shared.text``: which characters are control characters, and where they are said to be."""

from __future__ import annotations

import re
import unicodedata

import pytest

from shared.domain.base import optional_text, require_text
from shared.errors import ValidationError
from shared.text import (
    NONCHARACTER_RULE,
    RULE,
    TEXT_PATTERN,
    composed,
    control_character,
    first_control_character,
    noncharacter,
    refused_character,
)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Stage\x00", "U+0000 at position 6"),
        ("\x1b[31mrouge", "U+001B at position 1"),
        ("a\x7fb", "U+007F at position 2"),  # DEL
        ("Asni\x85ères", "U+0085 at position 5"),  # C1 (NEL)
        ("é\x0b", "U+000B at position 2"),  # vertical tab: not one of the three kept
        ("Rapport \u202egnp.exe", "U+202E at position 9"),  # shows "Rapport exe.png"
        ("\u2067نص\u2069", "U+2067 at position 1"),  # an isolate
        ("a\u202ab", "U+202A at position 2"),  # an embedding
    ],
)
def test_control_characters_are_found_with_their_place(text: str, found: str) -> None:
    assert control_character(text) == found


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Hanoï",
        "ligne\r\nsuivante",
        "\tindenté",
        "Ĳ ₩ 😀",
        "\u00a0espace insécable",
        "وزارة الداخلية\u200f (Maroc)",  # a right-to-left mark: reorders no letter
    ],
)
def test_tab_line_breaks_and_printable_text_are_not(text: str) -> None:
    assert control_character(text) is None


def test_the_first_one_in_nested_values_is_named_by_its_path() -> None:
    changes = {"title": "ok", "countries": ["VN", "K\x00H"], "city": "x\x01"}

    assert first_control_character(changes) == ("countries[1]", "U+0000 at position 2")
    assert first_control_character({"ti\x02tle": "ok"}) == ("", "U+0002 at position 3")
    assert first_control_character(["a", ("b", "c\x03")]) == ("[1][1]", "U+0003 at position 2")
    assert first_control_character({"a": [1, None, {"b": "fine"}]}) is None


def test_every_noncharacter_and_only_those_is_found() -> None:
    """Unicode's 66: U+FDD0 to U+FDEF, and the last two code points of the 17 planes."""
    found = [code for code in range(0x110000) if noncharacter(chr(code))]

    assert len(found) == 66
    assert found[:2] == [0xFDD0, 0xFDD1]
    assert found[-2:] == [0x10FFFE, 0x10FFFF]
    assert noncharacter("Reyk\ufffejavik") == "U+FFFE at position 5"
    assert noncharacter("Ha\U0001ffff") == "U+1FFFF at position 3"
    # Private use stays text: an agency's system may give such a character a glyph.
    assert noncharacter("\ue000\U000f0000\ufffd") is None


def test_one_search_finds_the_first_refused_character_and_names_its_rule() -> None:
    assert refused_character("a\uffffb\x00") == (NONCHARACTER_RULE, "U+FFFF at position 2")
    assert refused_character("a\x00b\uffff") == (RULE, "U+0000 at position 2")
    assert refused_character("Hanoï \ue000") is None


def test_the_documented_pattern_refuses_the_first_planes_noncharacters() -> None:
    pattern = re.compile(TEXT_PATTERN.encode().decode("unicode_escape"))

    assert pattern.fullmatch("Mission A\uffffB") is None
    assert pattern.fullmatch("Fonds \ufdef") is None
    assert pattern.fullmatch("Hanoï \ue000 ligne\r\n") is not None


def test_the_domain_refuses_a_noncharacter_whatever_path_the_command_took() -> None:
    with pytest.raises(ValidationError) as refused:
        optional_text("description", "fin\uffff", 50)

    assert (refused.value.field, refused.value.rule) == ("description", "noncharacter")
    assert "U+FFFF at position 4" in str(refused.value)


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("Saint-E\u0301tienne", "Saint-Étienne"),  # E + combining acute: one É
        ("Hano\u0069\u0308", "Hanoï"),
        ("Saint-Étienne", "Saint-Étienne"),  # already composed: the same object back
        ("Ĳ ﬁ ①", "Ĳ ﬁ ①"),  # compatibility characters are left as typed (NFC, not NFKC)
    ],
)
def test_text_is_kept_composed_and_nothing_else_changes(typed: str, kept: str) -> None:
    assert composed(typed) == kept


def test_the_domain_records_text_composed_whatever_path_the_command_took() -> None:
    """Commands that do not come over HTTP (sample data, imports in code) too."""
    assert require_text("host_site", "  Saint-E\u0301tienne ") == "Saint-Étienne"
    assert optional_text("description", "Vidéo\u0301", 50) == unicodedata.normalize(
        "NFC", "Vidéo\u0301"
    )
    with pytest.raises(ValidationError) as refused:
        require_text("title", "E\u0301" * 3, max_length=2)  # counted as three É, not six
    assert refused.value.rule == "max-length"
