"""The annual report's average rating is rounded as its readers round: half up."""

from __future__ import annotations

from typing import Any

import pytest

from shared.views.queries.report import _evaluations


@pytest.mark.parametrize(
    ("ratings", "average"),
    [
        ([5, 4, 4, 4, 4, 4, 4, 4], "4.13"),  # 4.125: half even gave 4.12
        ([5, 5, 5, 4, 4, 4, 4, 4], "4.38"),  # 4.375
        ([4, 5], "4.50"),
        ([3, 3, 4], "3.33"),
    ],
)
def test_the_average_rating_is_rounded_half_up(ratings: list[int], average: str) -> None:
    rows: list[Any] = [{"rating": r} for r in ratings] + [{"rating": None}]

    assert _evaluations(rows) == {"count": len(ratings), "average_rating": average}
