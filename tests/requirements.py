"""What a test needs from the machine: in CI its absence fails the run, locally it skips.

One rule for every server, tool and library a test depends on (the project's
contract: in CI a missing service is a failure, never a skip). "In CI" is
``CI`` set, or ``ENTENTE_TESTS_STRICT`` set: ``make test`` (and so ``.ci/run``)
sets it, having started every server itself, so nothing it runs may skip
whether or not the CI runner sets ``CI``.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def unavailable(message: str) -> NoReturn:
    """Fails when ``CI`` or ``ENTENTE_TESTS_STRICT`` is set; otherwise skips with ``message``."""
    if os.environ.get("CI") or os.environ.get("ENTENTE_TESTS_STRICT"):
        pytest.fail(message)
    pytest.skip(message)
