"""Fixtures for the real servers, found in this order:

1. servers given by environment variables (what ``make test`` exports after
   starting the local stack, see deploy/local/stack.sh);
2. testcontainers, where a Docker engine answers;
3. otherwise: a failure when ``CI`` is set, a skip with the reason locally.

Each server is started once per run; tests isolate themselves with unique
schema, tenant or topic names instead of fresh servers.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.requirements import unavailable

#: tests/stack runs against a docker compose stack only (deploy/standin/smoke.sh, which
#: sets ENTENTE_STACK_URL); the servers above are not what it tests.
collect_ignore = [] if os.environ.get("ENTENTE_STACK_URL") else ["stack"]


def _docker_engine_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(
        ["docker", "info"],
        capture_output=True,
        timeout=10,
        check=False,
    )
    return probe.returncode == 0


def _unavailable(what: str, variable: str) -> None:
    message = (
        f"{what} is needed: set {variable} (make test does) or run a Docker engine "
        "for testcontainers"
    )
    unavailable(message)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A URL of a real PostgreSQL server, for the whole run."""
    given = os.environ.get("ENTENTE_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    if not _docker_engine_answers():
        _unavailable("PostgreSQL", "ENTENTE_TEST_POSTGRES_URL")
    from testcontainers.postgres import PostgresContainer

    with PostgresContainer("postgres:15", driver=None) as container:
        yield container.get_connection_url()


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """The bootstrap address of a real Kafka broker, for the whole run."""
    given = os.environ.get("ENTENTE_TEST_KAFKA_BOOTSTRAP")
    if given:
        yield given
        return
    if not _docker_engine_answers():
        _unavailable("Kafka", "ENTENTE_TEST_KAFKA_BOOTSTRAP")
    from testcontainers.community.kafka import KafkaContainer

    with KafkaContainer("confluentinc/cp-kafka:7.6.0").with_kraft() as container:
        yield container.get_bootstrap_server()


@dataclass(frozen=True)
class KeycloakServer:
    """A running Keycloak and its master realm's admin credentials."""

    url: str
    admin: str
    admin_password: str


@pytest.fixture(scope="session")
def keycloak_server() -> Iterator[KeycloakServer]:
    """A real Keycloak 26 for the whole run (tests/keycloak provisions the realm on it)."""
    given = os.environ.get("ENTENTE_TEST_KEYCLOAK_URL")
    if given:
        yield KeycloakServer(
            given.rstrip("/"),
            os.environ.get("ENTENTE_TEST_KEYCLOAK_ADMIN", "admin"),
            os.environ.get("ENTENTE_TEST_KEYCLOAK_ADMIN_PASSWORD", "admin"),
        )
        return
    if not _docker_engine_answers():
        _unavailable("Keycloak", "ENTENTE_TEST_KEYCLOAK_URL")
    from testcontainers.community.keycloak import KeycloakContainer

    version = os.environ.get("ENTENTE_KEYCLOAK_VERSION", "26.7.3")
    with KeycloakContainer(f"quay.io/keycloak/keycloak:{version}") as container:
        yield KeycloakServer(container.get_url(), container.username, container.password)


@pytest.fixture
def unique() -> str:
    """A short unique suffix for schema, tenant and topic names."""
    return uuid.uuid4().hex[:10]
