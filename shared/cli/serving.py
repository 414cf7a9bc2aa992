"""What ``entente serve`` secures before the platform starts: its port and its data folder.

Found by running the platform as an operator does (probe 4):

- a port already in use was found only after the whole start-up (stores opened,
  sample data recorded, projector started), then uvicorn exited with code 3.
  The socket is now bound first and handed to uvicorn; a port in use is one line,
  exit 2, before anything is opened; ``--port 0`` shows the port it got;
- two servers on one data folder raced on its files: two ``--sample-data`` starts
  crashed one of them, and one server once refused the other's tokens (both made
  the signing key). The folder is now held by a lock for as long as the server
  runs; a second server is refused naming the first's process.
"""

from __future__ import annotations

import errno
import fcntl
import os
import socket
from pathlib import Path
from typing import IO

from shared.errors import EntenteError
from shared.private_dirs import make_private_dir

LOCK_FILE = ".entente-serve.lock"

#: The lock held while this process serves (released when it exits).
_held: list[IO[str]] = []


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``host``:``port``, as uvicorn binds one, or one line saying why not."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        why = "it is in use" if error.errno == errno.EADDRINUSE else error.strerror
        raise EntenteError(
            f"cannot listen on {host}:{port}: {why} (choose another --port, or --host)"
        ) from None
    sock.set_inheritable(True)
    return sock


def hold_data_dir(data_dir: Path) -> None:
    """Holds ``data_dir`` for this process, or refuses naming the process holding it."""
    make_private_dir(data_dir)
    path = data_dir / LOCK_FILE
    handle = path.open("a+", encoding="utf-8")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise EntenteError(
            f"another `entente serve` (process {holder}) uses the data folder {data_dir}: "
            "two servers on one folder race on its files; stop it, or set another "
            "ENTENTE_DATA_DIR"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    _held.append(handle)
