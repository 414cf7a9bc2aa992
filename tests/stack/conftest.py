"""The docker compose stack, from outside, as its users reach it.

These tests run only against a stack that ``deploy/standin/smoke.sh`` (``make
compose-smoke``) brought up with ``docker compose up --wait``: the gateway on
``ENTENTE_STACK_URL``, Keycloak on ``ENTENTE_STACK_KEYCLOAK_URL``, the demo users'
password ``ENTENTE_STACK_DEMO_PASSWORD`` (the .env's DEMO_PASSWORD), and the compose
command that runs it, ``ENTENTE_STACK_COMPOSE`` (for ``exec`` into a service). ``tests/conftest.py``
leaves this folder out of collection when ``ENTENTE_STACK_URL`` is unset, so ``make
test`` does not see it; a run that names it without the variables fails here.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.tokens import PasswordGrants


def _required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"{name} is not set: run these tests through deploy/standin/smoke.sh")
    return value


@dataclass
class Stack:
    """The gateway, and tokens from the stack's Keycloak for the realm's demo users."""

    gateway: httpx.Client
    grants: PasswordGrants
    #: ``docker compose`` with the stack's project, file and .env, as a command line.
    compose: list[str]

    def token(self, username: str) -> str:
        return self.grants.token(username)

    def as_user(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(username)}"}


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    with httpx.Client(base_url=_required("ENTENTE_STACK_URL"), timeout=30) as gateway:
        yield Stack(
            gateway=gateway,
            grants=PasswordGrants(
                _required("ENTENTE_STACK_KEYCLOAK_URL"), _required("ENTENTE_STACK_DEMO_PASSWORD")
            ),
            compose=shlex.split(_required("ENTENTE_STACK_COMPOSE")),
        )
