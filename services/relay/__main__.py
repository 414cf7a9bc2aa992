"""``python -m services.relay <tenant>``: the relay process without the ``entente`` command.

Refusals are one line and exit status 2, as under ``entente relay``.
"""

from __future__ import annotations

import sys

import typer

from services.relay.cli import relay
from shared.errors import EntenteError


def main() -> None:
    try:
        typer.run(relay)
    except EntenteError as error:
        typer.echo(f"entente: {error.detail}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
