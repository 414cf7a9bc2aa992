"""Folders of the embedded mode that only their owner can open.

Why: the embedded mode keeps official, partly sensitive records in files under
``data_dir`` (event stores, views, the reporting store, the access log, the
audit journal, the dev issuer's key). ``Path.mkdir`` made those folders with
the default mode (0755 under the usual umask), and the SQLite files inside
with 0644: any account on the machine could copy a directorate's history.
Folders made here are 0700 at every level this call creates, so the files in
them are out of reach whatever their own mode.

A folder that already exists is left as it is: whoever made it chose its mode
(a shared volume, a mount point), and changing it behind their back would be
the surprise.
"""

from __future__ import annotations

import errno
import os
import uuid
from contextlib import suppress
from pathlib import Path

#: Owner only: read, write and enter.
PRIVATE = 0o700


def make_private_dir(path: Path) -> None:
    """Creates ``path`` and each missing parent with mode 0700 (existing ones untouched).

    ``Path.mkdir(parents=True, mode=...)`` applies the mode to the last folder
    only; the parents it creates get the default, so the parents are made one
    by one here, from the top.
    """
    missing: list[Path] = []
    folder = path
    while not folder.exists():
        missing.append(folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    for folder in reversed(missing):
        with suppress(FileExistsError):  # made meanwhile by another thread or process
            folder.mkdir(mode=PRIVATE)
    if not path.is_dir():
        # With its errno and path, as the system's own: the command line prints one
        # line naming the path and the setting (it printed a traceback).
        raise NotADirectoryError(errno.ENOTDIR, "it exists and is not a folder", str(path))


def create_private_file(path: Path, content: bytes) -> None:
    """Writes ``content`` to ``path`` (mode 0600, its folder made private) unless a file
    is already there: made whole or not at all.

    Written beside, then linked in place, which fails if another process made it
    meanwhile (that one is kept): two processes starting together never read half
    a file, nor go on with two different ones.
    """
    make_private_dir(path.parent)
    draft = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as written:
            written.write(content)
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process made it first: its file is the one
        except OSError:  # a file system without hard links: moved in place instead
            if not path.exists():
                os.replace(draft, path)
    finally:
        draft.unlink(missing_ok=True)


def private_database_file(path: Path) -> None:
    """Makes the SQLite file ``path`` empty with mode 0600 if it is not there yet.

    Why (probe 11): the access log and the reporting area sit at the root of the data
    folder, which the operator may have made (0755): SQLite then made them 0644, and
    any account on the machine could read who consulted what, and the consolidated
    figures. SQLite gives its ``-wal`` and ``-shm`` files the mode of the database
    file, so making that one private is enough. An existing file is left as it is.
    """
    make_private_dir(path.parent)
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
