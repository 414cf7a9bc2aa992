"""A TCP relay in front of a real server, cut and restored as a network failure would be.

Tests put PostgreSQL or the Kafka broker out of reach with it, and back.
"""

from __future__ import annotations

import socket
import threading
from contextlib import suppress


class Cut:
    """A TCP relay to ``upstream`` that can be cut (every connection dropped, new ones
    refused) and restored."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.cut = False
        self.open: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.cut:
                client.close()
                continue
            server = socket.create_connection(self.upstream)
            with self.lock:
                self.open += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()

    def sever(self) -> None:
        self.cut = True
        with self.lock:
            for connection in self.open:
                with suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
                connection.close()
            self.open.clear()

    def restore(self) -> None:
        self.cut = False

    def close(self) -> None:
        self.sever()
        self.listener.close()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    with suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    with suppress(OSError):
        sink.shutdown(socket.SHUT_WR)
