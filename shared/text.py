"""Text every store and file of Entente can hold: no control characters.

Why: PostgreSQL's ``text`` and ``jsonb`` cannot hold U+0000. A title carrying
one was recorded (the event store keeps bytes), then stopped its directorate's
projection into PostgreSQL views at that event, batch after batch; the same
character in a filter answered a 500. XML, hence XLSX, cannot hold the other
C0 controls, so a reporting export would fail on them. And an invisible
character in an official record is a slip (a paste from another program),
never something meant. So commands and queries refuse text with a control
character, naming the field and the character, and nothing is recorded.

Tab, line feed and carriage return stay allowed: they are what multi-line
descriptions and pasted paragraphs are made of, and every store and file
format holds them.

Bidirectional embeddings, overrides and isolates (U+202A to U+202E, U+2066 to
U+2069) are refused with them: an override makes a title read as another text
("Rapport ", U+202E, "gnp.exe" shows as "Rapport exe.png"), and these titles reach the
other directorates through reporting's overlaps and CSV files. Right-to-left
names need none of them; the marks (U+200E, U+200F, U+061C), which reorder no
letter, stay allowed for text pasted from right-to-left documents.

Text is also kept in one Unicode form, NFC (``composed``): "Saint-Étienne"
typed on one keyboard and pasted from a PDF on another (an E and a combining
accent) are the same text to a reader, and must be the same to a filter and
a report's count by host site, not two look-alike rows.

Unicode's 66 noncharacters (U+FDD0 to U+FDEF, and the last two code points of
every plane: U+FFFE, U+FFFF, U+1FFFE...) are refused as well, under their own
rule: Unicode keeps them for a program's internal use, never for text a person
typed; XML 1.0, hence XLSX, cannot hold U+FFFE or U+FFFF, so a reporting file
showed U+FFFD where the record held them (probe 9). Private-use characters
(U+E000 to U+F8FF and the private planes) stay allowed: a font or an agency's
system may give them glyphs, and every store and file holds them as they are.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

#: Unicode's control characters (category Cc: C0, DEL and C1), except tab, LF and CR;
#: and the bidirectional embeddings, overrides and isolates (see the module's docstring).
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

#: The same, and the noncharacters of the first plane, as a JSON Schema (ECMA-262)
#: pattern a whole text must match: what the OpenAPI documents state of free-text
#: fields. The other planes' noncharacters are refused too, but a character class
#: without the ``u`` flag holds only the first plane's characters.
TEXT_PATTERN = (
    "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f"
    "\\u202a-\\u202e\\u2066-\\u2069\\ufdd0-\\ufdef\\ufffe\\uffff]*$"
)

#: The problem rule of text refused for a control character.
RULE = "control-character"

#: Lone surrogates (U+D800 to U+DFFF): JSON can spell one (``"\\ud800"``), but it is
#: half of a character, and no UTF-8 store, file or answer can hold it (the event
#: store's encoder failed on one with a 500).
SURROGATE = re.compile("[\ud800-\udfff]")

#: Unicode's noncharacters: U+FDD0 to U+FDEF and U+nFFFE, U+nFFFF in each of the 17 planes.
NONCHARACTER = re.compile(
    "[\ufdd0-\ufdef"
    + "".join(chr(plane * 0x10000 + 0xFFFE) + chr(plane * 0x10000 + 0xFFFF) for plane in range(17))
    + "]"
)

#: The problem rule of text holding a noncharacter, and what its refusal says after
#: the field's name.
NONCHARACTER_RULE = "noncharacter"
NONCHARACTER_MESSAGE = (
    "holds a noncharacter ({where}), which Unicode keeps for programs' internal use, not text"
)

#: The problem rule of text holding a lone surrogate: the rule pydantic gives such
#: text in the fields it checks itself, so one mistake has one name everywhere.
SURROGATE_RULE = "string_unicode"


def composed(text: str) -> str:
    """``text`` in Unicode's composed form (NFC): canonically the same text, one spelling.

    Only the encoding of the characters changes, never what they are: an ``e``
    followed by a combining acute accent becomes the one character ``é``. Text
    already composed (nearly all) comes back as it is, after CPython's quick check.
    """
    return unicodedata.normalize("NFC", text)


def invisible(text: str) -> bool:
    """Text made only of spaces and format characters (U+200B, U+FEFF...): empty to a reader.

    ``str.strip`` removes spaces, not zero-width format characters, so a title of
    one zero-width space passed as not empty while a no-break space was refused.
    Combining marks count too when no character carries them: a reason of one lone
    acute accent (U+0301) was recorded (probe 9).
    """
    return not text.isascii() and all(
        char.isspace() or _blank(char) or unicodedata.category(char) in _MARKS for char in text
    )


#: Combining marks (nonspacing and enclosing): drawn on the character before them.
_MARKS = frozenset({"Mn", "Me"})


def shown(text: str) -> str:
    """``text`` without what shows nothing: format characters (U+200B, U+FEFF, soft
    hyphen, bidi marks...) and the blank letters below. Two texts equal once so
    reduced look the same to a reader."""
    if text.isascii():
        return text
    return "".join(char for char in text if not _blank(char))


#: Default-ignorable characters outside the format category: the combining grapheme
#: joiner and the Hangul and Khmer fillers, which show nothing either; and the braille
#: blank (U+2800), a symbol drawn as an empty cell.
_BLANK_LETTERS = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0\u2800")


def _blank(char: str) -> bool:
    """A character that shows nothing: a format character (Cf), a blank letter, or a
    variation selector (U+FE00-FE0F, U+E0100-E01EF, the Mongolian ones), which only
    chooses how the letter before it is drawn. ``CAFE\ufe0f`` was a reference other
    than ``CAFE``, and a title of one selector passed as not empty (probe 7)."""
    if char in _BLANK_LETTERS or unicodedata.category(char) == "Cf":
        return True
    code = ord(char)
    return 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF or 0x180B <= code <= 0x180F


def control_character(text: str) -> str | None:
    """Where ``text``'s first control character is (``U+0000 at position 2``), or None.

    Positions count characters from 1, as a person reading the text would.
    """
    found = CONTROL.search(text)
    if found is None:
        return None
    return f"U+{ord(found.group()):04X} at position {found.start() + 1}"


def noncharacter(text: str) -> str | None:
    """Where ``text``'s first noncharacter is (``U+FFFE at position 4``), or None."""
    found = NONCHARACTER.search(text)
    if found is None:
        return None
    return f"U+{ord(found.group()):04X} at position {found.start() + 1}"


#: Both, in one search: what a command's free text may not hold (``refused_character``).
_REFUSED = re.compile(f"{CONTROL.pattern}|{NONCHARACTER.pattern}")


def refused_character(text: str) -> tuple[str, str] | None:
    """The rule (``RULE`` or ``NONCHARACTER_RULE``) and place of ``text``'s first control
    character or noncharacter, or None: one search, as a command checks every text
    field of every imported record."""
    found = _REFUSED.search(text)
    if found is None:
        return None
    char = found.group()
    rule = NONCHARACTER_RULE if NONCHARACTER.match(char) else RULE
    return rule, f"U+{ord(char):04X} at position {found.start() + 1}"


def lone_surrogate(text: str) -> str | None:
    """Where ``text``'s first lone surrogate is (``U+D800 at position 1``), or None."""
    found = SURROGATE.search(text)
    if found is None:
        return None
    return f"U+{ord(found.group()):04X} at position {found.start() + 1}"


def first_control_character(
    value: Any, path: str = "", find: Callable[[str], str | None] = control_character
) -> tuple[str, str] | None:
    """The path (``city``, ``[2]``) and place of the first control character in ``value``.

    Walks lists and mappings (a correction's ``changes``), so every string a
    command carries is looked at, however deep. ``find``: what to look for in
    each string (``lone_surrogate``: the first lone surrogate instead).
    """
    if isinstance(value, str):
        found = find(value)
        return None if found is None else (path, found)
    if isinstance(value, Mapping):
        for key, item in value.items():
            inner = first_control_character(key, path, find) if isinstance(key, str) else None
            inner = inner or first_control_character(
                item, f"{path}.{key}" if path else str(key), find
            )
            if inner is not None:
                return inner
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            inner = first_control_character(item, f"{path}[{index}]", find)
            if inner is not None:
                return inner
    return None
