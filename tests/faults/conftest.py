"""Fixtures of the fault tests: a tenant on the real servers, and the forkserver.

The services' processes build their event store from settings, without a
test schema prefix, so each test isolates itself by its tenant (``t<unique>``,
which names the PostgreSQL schemas) and its topic prefix; ``Tenant.close``
drops the schemas afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from multiprocessing.context import ForkServerContext

import pytest

from tests.faults.processes import context
from tests.faults.support import Tenant, kafka_settings_for, open_tenant


@pytest.fixture(scope="session")
def forkserver() -> ForkServerContext:
    """Where the service processes are forked from (see processes.py)."""
    return context()


@pytest.fixture
def tenant(postgres_url: str, kafka_bootstrap: str, unique: str) -> Iterator[Tenant]:
    """A tenant with its topics created, its store, views and observers on the run's servers."""
    yield from open_tenant(postgres_url, kafka_settings_for(kafka_bootstrap, unique), unique)
