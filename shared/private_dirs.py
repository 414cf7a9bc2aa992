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
