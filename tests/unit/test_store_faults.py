"""Store faults that pass answer 503 with Retry-After (``shared.http.store_faults``).

A locked SQLite store and a full disk answered ``500 internal-error``; the request
was not recorded and would succeed once the fault passed (operations probe).
"""

from __future__ import annotations

import sqlite3

import pytest
from eventsourcing.persistence import OperationalError, PersistenceError
from fastapi import FastAPI
from fastapi.testclient import TestClient

from shared.http import problems


def _wrapped(cause: BaseException) -> PersistenceError:
    """As the library raises them: its own error, from the driver's."""
    try:
        raise OperationalError(cause) from cause
    except OperationalError as error:
        return error


def _answer(error: BaseException) -> tuple[int, dict[str, str], dict[str, object]]:
    app = FastAPI()
    problems.install(app)

    @app.post("/command")
    def command() -> None:
        raise error

    response = TestClient(app, raise_server_exceptions=False).post("/command")
    return response.status_code, dict(response.headers), response.json()


@pytest.mark.parametrize(
    ("driver", "said"),
    [
        ("database is locked", "the event store is held by another writer"),
        ("database or disk is full", "the disk holding the store is full"),
    ],
)
def test_a_fault_that_passes_is_a_503_to_retry(driver: str, said: str) -> None:
    status, headers, body = _answer(_wrapped(sqlite3.OperationalError(driver)))

    assert status == 503
    assert headers["retry-after"] == "5"
    assert body["type"] == "https://entente.interieur.gouv.fr/problems/store-unavailable"
    assert body["detail"] == f"{said}: nothing was recorded; send the request again shortly"


def test_other_database_errors_stay_unexpected() -> None:
    status, headers, body = _answer(_wrapped(sqlite3.OperationalError("no such table: x")))

    assert status == 500
    assert "retry-after" not in headers
    assert body["detail"] == "an unexpected error occurred"
