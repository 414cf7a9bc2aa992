"""A recorded decision (who decided, when, on what reference) is corrected by a validator.

A mistake is fixed by a correcting event with a reason (domain.md), and the
decision is recorded for auditors: a reference typed wrong stayed the mission's
for good (probe 8). Validators record decisions, so they alone correct them;
a recorder's correction cannot name them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from .conftest import problem

if TYPE_CHECKING:
    from .conftest import Api, Created


def _correct(
    api: Api, record: Created, changes: dict[str, Any], user: str = "police-validator"
) -> Any:
    body = {"changes": changes, "reason": "Reference misread", "corrected_on": "2013-06-01"}
    return api.post(f"{record.path}/decision-correction", body, user, version=record.version)


def test_a_validator_corrects_the_decision_and_the_original_stays_in_the_history(
    api: Api,
) -> None:
    record = api.walk("missions", "validation")

    answer = _correct(
        api, record, {"decision_reference": "MEAE/DCSD/2013-181", "decided_on": "2013-04-03"}
    )

    assert answer.status_code == 200, answer.text
    mission = api.get(record.path).json()
    assert (mission["decision_reference"], mission["decided_on"]) == (
        "MEAE/DCSD/2013-181",
        "2013-04-03",
    )
    events = api.get(f"{record.path}/history").json()["events"]
    assert events[1]["data"]["decision_reference"] == "MEAE/DCSD/2013-118"
    assert events[-1]["data"]["changes"] == {
        "decision_reference": "MEAE/DCSD/2013-181",
        "decided_on": "2013-04-03",
    }
    assert events[-1]["data"]["reason"] == "Reference misread"


def test_a_recorder_cannot_correct_a_decision_either_way(api: Api) -> None:
    record = api.walk("missions", "validation")
    position = api.position()

    plain = api.post(
        f"{record.path}/corrections",
        {
            "changes": {"decision_reference": "X"},
            "reason": "Typo",
            "corrected_on": "2013-06-01",
        },
        "police-recorder",
        version=record.version,
    )
    routed = _correct(api, record, {"decision_reference": "X"}, user="police-recorder")

    refused = problem(plain, 422, "decision-field")
    assert refused["field"] == "changes.decision_reference"
    assert "decision-correction" in refused["detail"]
    problem(routed, 403, "permission-denied")
    assert api.position() == position


@pytest.mark.parametrize(
    ("before", "changes", "status", "slug", "field"),
    [
        ([], {"decided_by": "MEAE"}, 422, "not-decided", "changes.decided_by"),
        (["validation"], {"title": "Autre"}, 422, "not-correctable", "changes.title"),
        # After the first scheduling (2013-05-20): the decision came before it.
        (
            ["validation", "schedule"],
            {"decided_on": "2013-05-21"},
            422,
            "dates-in-order",
            "changes.decided_on",
        ),
        # Before the request it decided.
        (["decline"], {"decided_on": "2000-01-01"}, 422, "dates-in-order", "changes.decided_on"),
        (["validation"], {"decided_by": ""}, 422, "required", "changes.decided_by"),
    ],
)
def test_a_decision_correction_keeps_the_decisions_rules(
    api: Api,
    before: list[str],
    changes: dict[str, Any],
    status: int,
    slug: str,
    field: str,
) -> None:
    record = api.walk("missions", *before)
    position = api.position()

    refused = problem(_correct(api, record, changes), status, slug)

    assert refused["field"] == field
    assert api.position() == position
