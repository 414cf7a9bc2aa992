"""A database's refusal reaches the operator as one line and exit code 2, not a traceback."""

from __future__ import annotations

import psycopg
import sqlalchemy.exc
from eventsourcing import persistence

from shared.cli.errors import database_refusal


def test_a_psycopg_error_is_one_line_naming_its_kind() -> None:
    error = psycopg.errors.InsufficientPrivilege("permission denied for database entente\nmore")

    assert database_refusal(error) == (
        "the database refused (InsufficientPrivilege): permission denied for database entente"
    )


def test_sqlalchemy_wrapping_is_seen_through() -> None:
    original = psycopg.OperationalError("connection refused")
    wrapped = sqlalchemy.exc.OperationalError("SELECT 1", {}, original)

    assert database_refusal(wrapped) == (
        "the database refused (OperationalError): connection refused"
    )


def test_other_errors_are_not_taken_for_refusals() -> None:
    assert database_refusal(ValueError("a bug")) is None
    assert database_refusal(sqlalchemy.exc.ArgumentError("bad URL")) is None


def test_eventsourcing_wrapping_is_seen_through() -> None:
    original = psycopg.errors.InsufficientPrivilege("permission denied for schema entente_police")
    try:
        raise persistence.ProgrammingError(str(original)) from original
    except persistence.ProgrammingError as wrapped:
        refusal = database_refusal(wrapped)

    assert refusal == (
        "the database refused (InsufficientPrivilege): permission denied for schema entente_police"
    )


def test_eventsourcing_errors_of_its_own_are_refusals_too() -> None:
    timeout = persistence.OperationalError("couldn't get a connection after 30.00 sec")

    assert database_refusal(timeout) == (
        "the database refused (OperationalError): couldn't get a connection after 30.00 sec"
    )
