"""``python -m services.relay <tenant>``: the relay process without the ``entente`` command."""

from __future__ import annotations

import typer

from services.relay.cli import relay

if __name__ == "__main__":
    typer.run(relay)
