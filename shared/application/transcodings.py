"""How stored events are written as JSON: the library's format, written by orjson.

``DateAsISO`` is the one transcoding the stored events need beyond the
library's defaults. ``PlainJSONTranscoder`` writes exactly the bytes the
library's ``JSONTranscoder`` writes (compact separators, non-ASCII kept,
``{"_type_": …, "_data_": …}`` for registered types), in about half the time:
the standard encoder calls back into Python for every date, datetime and UUID,
which was a fifth of the Python a bulk import spends per record.

It first turns the state into plain JSON values itself — exact ``str``,
``bool``, ``None``, ``int``, lists, tuples and ``str``-keyed dicts, and each
registered type as the same two-key dict the library's ``default`` hook
returns — then orjson writes them. Anything else (a float, whose text orjson
and ``json`` may write differently; a ``str`` or ``int`` subclass; a value
with no transcoding; an integer beyond 64 bits; text orjson refuses) goes to
the library's encoder unchanged, so its output and its errors stay the
library's. ``tests/unit/test_plain_json_transcoder.py`` compares both
byte for byte.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson
from eventsourcing.persistence import JSONTranscoder, Transcoding


class DateAsISO(Transcoding):
    """Stores ``datetime.date`` as an ISO 8601 string (signing dates, mission dates)."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class NotPlainError(Exception):
    """A value orjson might write differently from the library: its encoder writes it."""


class PlainJSONTranscoder(JSONTranscoder):
    """``JSONTranscoder`` whose ``encode`` writes the same bytes through orjson."""

    def encode(self, obj: Any) -> bytes:
        try:
            return orjson.dumps(self.plain(obj))
        except (NotPlainError, orjson.JSONEncodeError, RecursionError):
            return super().encode(obj)

    def plain(self, value: Any) -> Any:
        """``value`` as plain JSON values, as the library's encoder would see them.

        Raises NotPlainError for anything the library's encoder must write itself.
        """
        kind = type(value)
        if kind is str or value is None or kind is bool or kind is int:
            return value
        if kind is list or kind is tuple:
            for item in value:
                if type(item) is not str:
                    return [self.plain(item) for item in value]
            return value
        if kind is dict:
            result = {}
            for key, item in value.items():
                if type(key) is not str:
                    raise NotPlainError
                result[key] = self.plain(item)
            return result
        transcoding = self.types.get(kind)
        if transcoding is None:
            raise NotPlainError
        return {"_type_": transcoding.name, "_data_": self.plain(transcoding.encode(value))}
