"""Store faults that pass answer 503 with Retry-After (``shared.http.store_faults``).

A locked SQLite store and a full disk answered ``500 internal-error``; the request
was not recorded and would succeed once the fault passed (operations probe).
"""

from __future__ import annotations

import sqlite3

import psycopg
import pytest
import sqlalchemy.exc
from eventsourcing.persistence import OperationalError, PersistenceError
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import DBAPIError

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
        ("database is locked", "the database is held by another writer"),
        ("database or disk is full", "the disk holding the database is full"),
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


def _views_down() -> DBAPIError:
    """As SQLAlchemy raises it when the PostgreSQL views server does not answer."""
    cause = psycopg.OperationalError("connection refused")
    return sqlalchemy.exc.OperationalError("SELECT 1", {}, cause)


def test_a_views_database_that_does_not_answer_is_a_503_not_a_500() -> None:
    """Through SQLAlchemy, not the event store's library: it answered 500 (probe 5)."""
    app = FastAPI()
    problems.install(app)

    @app.get("/view")
    def view() -> None:
        raise _views_down()

    response = TestClient(app, raise_server_exceptions=False).get("/view")

    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json()["detail"] == (
        "the database does not answer: send the request again shortly"
    )  # a read: nothing to record


def test_other_sqlalchemy_errors_stay_unexpected() -> None:
    error = sqlalchemy.exc.ProgrammingError("SELECT x", {}, Exception("no such column"))

    status, _, body = _answer(error)

    assert (status, body["detail"]) == (500, "an unexpected error occurred")
