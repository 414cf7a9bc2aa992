"""Fixtures of the projector tests (helpers in ``support``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.views.store import ViewStore

from .support import BACKENDS, Recording, open_recording, open_store, record_some


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recording]:
    """Twelve events of four agreements, recorded once per module; tests only read them."""
    recording = open_recording(tmp_path_factory.mktemp("events"))
    record_some(recording)
    yield recording
    recording.ledger.close()


@pytest.fixture
def recording(tmp_path: Path) -> Iterator[Recording]:
    """An empty ledger of its own, for tests that record while projecting."""
    recording = open_recording(tmp_path / "events")
    yield recording
    recording.ledger.close()


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ViewStore]:
    """Empty views per test, on SQLite and on PostgreSQL."""
    yield from open_store(request, request.param, tmp_path)
