"""The one line an error is told in (answers, findings, log lines)."""

from __future__ import annotations

import psycopg
import pytest

from shared.errors import first_line
from shared.views.data_refusals import refused


def test_a_driver_error_is_told_by_its_first_line() -> None:
    said = 'connection failed: FATAL:  database "entente_polcie" does not exist'
    error = psycopg.OperationalError(said + "\nDETAIL:  the statement and its parameters")
    assert first_line(error) == said


@pytest.mark.parametrize("message", ["", "  \n  "])
def test_an_error_without_a_message_still_names_itself(message: str) -> None:
    assert first_line(psycopg.DataError(message)) == f"DataError({message!r})"


def test_a_refused_batch_without_a_message_becomes_a_projection_error() -> None:
    """It raised IndexError inside the projector's handler of refused data."""
    error = refused(psycopg.DataError(""), "police", 0, 41)
    assert error.offset == 42
    assert "after offset 41: DataError('')" in str(error)
