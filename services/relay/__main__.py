"""``python -m services.relay <tenant>``: the relay process without the ``entente`` command.

It is ``entente relay`` itself (``shared.cli.main``), so refusals are the same one
line and exit status 2: it ran the command on its own, and a bad setting printed a
traceback whose values included the Kafka password and the database URL.
"""

from __future__ import annotations

import sys

from shared.cli.main import main as entente


def main() -> None:
    sys.argv = ["entente", "relay", *sys.argv[1:]]
    entente()


if __name__ == "__main__":
    main()
