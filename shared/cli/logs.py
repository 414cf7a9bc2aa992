"""How the long-running ``entente`` processes without an HTTP face of their own log.

INFO for Entente's own loggers, with time and logger name; kafka-python's
INFO is one line per connection, bootstrap and metadata refresh (dozens at
start-up, more on every reconnect), so only its warnings and errors show.
"""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(name)s %(message)s"


def configure_process_logging() -> None:
    """Root at INFO (``FORMAT``), the ``kafka`` client's loggers at WARNING."""
    logging.basicConfig(level=logging.INFO, format=FORMAT)
    logging.getLogger("kafka").setLevel(logging.WARNING)
