"""The ``entente`` command run as an operator runs it: its own process, its output kept.

Tests that check what an operator sees (one line, an exit status, no secret)
run the real entry point rather than calling Typer in process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENTENTE = Path(sys.executable).with_name("entente")


def entente(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``entente *args`` from the repository, with ``env`` over this process's environment."""
    return subprocess.run(
        [str(ENTENTE), *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
