"""The committed event catalogue is exactly what the code defines."""

from __future__ import annotations

from pathlib import Path

from shared.domain.catalogue_doc import render

PAGE = Path(__file__).parents[2] / "docs" / "event-catalogue.md"


def test_the_event_catalogue_page_matches_the_code() -> None:
    assert PAGE.read_text(encoding="utf-8") == render(), (
        "docs/event-catalogue.md is stale: run `.venv/bin/entente catalogue`"
    )


def test_every_event_type_is_listed() -> None:
    text = PAGE.read_text(encoding="utf-8")
    for expected in (
        "fr.interieur.entente.agreement.signed.v2",
        "fr.interieur.entente.mission.evaluated.v1",
        "fr.interieur.entente.delegation-visit.hosted.v1",
        "fr.interieur.entente.post-abroad.coverage-changed.v1",
    ):
        assert f"`{expected}`" in text
