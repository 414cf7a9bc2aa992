"""What a test needs from the machine: in CI its absence fails the run, locally it skips.

One rule for every server, tool and library a test depends on (the project's
contract: in CI a missing service is a failure, never a skip).
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def unavailable(message: str) -> NoReturn:
    """Fails when ``CI`` is set; otherwise skips the test with ``message``."""
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)
