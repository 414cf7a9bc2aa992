"""A record as the broker stores it, before any decoding.

Event topics are decoded into ``LogRecord``; checkpoints, dead letters and
poison messages are read raw, so their bytes can be inspected or re-published
exactly as they were.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RawRecord:
    """One record of one partition: key, headers and value as bytes."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    headers: list[tuple[str, bytes]]
    value: bytes
    timestamp_ms: int

    def header(self, name: str) -> bytes | None:
        """The first header called ``name``, if any."""
        return next((value for key, value in self.headers if key == name), None)
