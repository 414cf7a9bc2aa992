"""Writing a generated page (the event catalogue, the AsyncAPI document) where asked.

Why each check: the page is written beside its target under a fresh name and renamed
over it, so a full disk never leaves half a page. The fresh name is made with
``O_EXCL`` (``tempfile.mkstemp``): a fixed name was opened as it stood, so a symbolic
link planted there had the page written through it into another file. A path naming
a folder (``''``, ``.``, ``docs/``) ended in a traceback, or wrote a file beside the
folder's name; a page its owner made read-only was replaced without a word; and a
device or a pipe (``/dev/full``, probe 11) was replaced by a regular file: renaming
over it removed the device itself.
"""

from __future__ import annotations

import os
import stat
import tempfile
from contextlib import suppress
from pathlib import Path

from shared.errors import ValidationError


def write_page(output: str, text: str) -> Path:
    """Writes ``text`` to ``output`` whole or not at all; ValidationError for a path that
    names no file to write, OSError (with its file name) when the system refuses."""
    target = Path(output)
    if not output.strip() or output.endswith(("/", os.sep)) or target.name in ("", ".", ".."):
        raise ValidationError("output", "not_a_file", f"{output!r} names no file: give a file path")
    if target.is_dir():
        raise ValidationError("output", "not_a_file", f"{output} is a folder: give a file path")
    mode = 0o666 & ~_umask()
    if target.exists():
        found = target.stat()
        if not stat.S_ISREG(found.st_mode):
            raise ValidationError(
                "output",
                "not_a_file",
                f"{output} is not a regular file (a device, a pipe or a socket): give a file path",
            )
        mode = stat.S_IMODE(found.st_mode)
        if not mode & 0o222:
            raise ValidationError(
                "output",
                "read_only",
                f"{output} is read-only: make it writable (chmod u+w) to replace it",
            )
    folder = target.parent
    handle, partial = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as written:
            written.write(text)
        os.chmod(partial, mode)  # mkstemp's 0600 would hide a page meant to be read
        os.replace(partial, target)
    except BaseException:
        with suppress(OSError):
            os.unlink(partial)
        raise
    return target


def _umask() -> int:
    """The process's umask (read by setting it, then putting it back)."""
    current = os.umask(0)
    os.umask(current)
    return current
