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
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest

#: The realm's client that allows the password grant (docs/deployment.md).
TOKEN_CLIENT = "entente-test"


def _required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"{name} is not set: run these tests through deploy/standin/smoke.sh")
    return value


@dataclass
class Stack:
    """The gateway, and tokens from the stack's Keycloak for the realm's demo users."""

    gateway: httpx.Client
    keycloak_url: str
    demo_password: str
    #: ``docker compose`` with the stack's project, file and .env, as a command line.
    compose: list[str]
    _tokens: dict[str, tuple[float, str]] = field(default_factory=dict)

    def token(self, username: str) -> str:
        """A fresh access token for a demo user (password grant), reused for a minute."""
        now = time.monotonic()
        cached = self._tokens.get(username)
        if cached is not None and now - cached[0] < 60:
            return cached[1]
        answer = httpx.post(
            f"{self.keycloak_url}/realms/entente/protocol/openid-connect/token",
            data={
                "grant_type": "password",
                "client_id": TOKEN_CLIENT,
                "username": username,
                "password": self.demo_password,
            },
            timeout=30,
        )
        answer.raise_for_status()
        token = str(answer.json()["access_token"])
        self._tokens[username] = (now, token)
        return token

    def as_user(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(username)}"}


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    with httpx.Client(base_url=_required("ENTENTE_STACK_URL"), timeout=30) as gateway:
        yield Stack(
            gateway=gateway,
            keycloak_url=_required("ENTENTE_STACK_KEYCLOAK_URL").rstrip("/"),
            demo_password=_required("ENTENTE_STACK_DEMO_PASSWORD"),
            compose=shlex.split(_required("ENTENTE_STACK_COMPOSE")),
        )
