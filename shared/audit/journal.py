"""Append-only JSON Lines files that survive an interruption at any moment.

Long operations append one line per event and flush after each page, so the
file is their resumable state: on resume, every complete line is kept and a
torn last line (the process died mid-write) is cut off, then appending goes on
from there.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from shared.audit.errors import ResumeStateError
from shared.private_dirs import make_private_dir


class Journal:
    """One JSON Lines file, written only at its end."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def exists(self) -> bool:
        return self.path.is_file()

    def start(self, header: dict[str, Any]) -> None:
        """Replaces the file with one holding only ``header``."""
        make_private_dir(self.path.parent)
        with self.path.open("w", encoding="utf-8") as stream:
            stream.write(_line(header))
            stream.flush()
            os.fsync(stream.fileno())

    def header(self) -> dict[str, Any] | None:
        """The first line if it is a JSON object, else None; the file is left as it is."""
        with self.path.open("rb") as stream:
            first = stream.readline(_HEADER_MAX)
        try:
            row = json.loads(first)
        except (ValueError, RecursionError):
            return None
        return row if isinstance(row, dict) else None

    def read(self) -> list[dict[str, Any]]:
        """Every complete line (the first is the header); a torn last line is cut off.

        ResumeStateError if a complete line is not a JSON object (the file is corrupt).
        """
        data = self.path.read_bytes()
        complete = data[: data.rfind(b"\n") + 1]
        if len(complete) != len(data):
            with self.path.open("r+b") as stream:
                stream.truncate(len(complete))
        rows: list[dict[str, Any]] = []
        for number, line in enumerate(complete.split(b"\n"), start=1):
            if not line:
                continue
            try:
                row = json.loads(line)
            except (ValueError, RecursionError):
                row = None
            if not isinstance(row, dict):
                detail = f"line {number} is not a JSON object"
                raise ResumeStateError(f"{self.path} is corrupt: {detail}")
            rows.append(row)
        return rows

    def append(self, rows: Iterable[dict[str, Any]]) -> None:
        """Appends ``rows``, one line each, and makes them durable before returning."""
        text = "".join(_line(row) for row in rows)
        if not text:
            return
        with self.path.open("a", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


#: The longest first line ``header`` reads (a saved state's header is a few dozen bytes).
_HEADER_MAX = 1 << 16


def _line(row: dict[str, Any]) -> str:
    return json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n"
