"""How a problem names a place in a body: ``countries[0]``, ``items.3.budget.amount``.

The domain's checks name a list's item with its index in brackets
(``countries[0]``); pydantic's locations are tuples (``("countries", 0)``), which
were joined with dots (``countries.0``), so one place had two names and a client
matching on ``field`` missed one of them. A batch's item keeps its documented
``items.<index>`` form (``shared.application.bulk``), inside which the same rule
applies: ``items.0.countries[0]``.
"""

from __future__ import annotations

from collections.abc import Sequence

#: The body field holding a batch command's items.
BATCH_ITEMS = "items"


def field_path(loc: Sequence[str | int]) -> str:
    """``loc`` (pydantic's location) as the domain's checks name the same place."""
    path = ""
    for position, part in enumerate(loc):
        batch_item = position == 1 and loc[0] == BATCH_ITEMS
        if isinstance(part, int) and not batch_item:
            path += f"[{part}]"
        else:
            path += f"{'.' if path else ''}{part}"
    return path
