"""Mission commands as HTTP bodies: from a foreign request to its evaluation.

Counts are strict integers: ``true`` or ``"12"`` is refused rather than read as
a number of experts or participants.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from pydantic import ConfigDict, Field, StrictInt, WrapValidator

from services.tenant.schemas.common import (
    Classified,
    IsoDate,
    MoneyIn,
    Strict,
    Text,
    bounds,
    keep_invalid,
)
from shared.application.bulk import MAX_ITEMS
from shared.domain.base import MAX_CODES, MAX_COUNTRIES
from shared.domain.mission import MAX_EXPERTS, MAX_PARTICIPANTS

#: The documentation's example of a foreign request (one item of an import too).
CRIME_SCENE_COURSE: dict[str, Any] = {
    "title": "Gestion d'une scène de crime",
    "mission_type": "training-course",
    "countries": ["KH"],
    "themes": ["forensic-science"],
    "requested_by": "Police nationale cambodgienne",
    "requested_on": "2013-03-14",
}


class RequestMission(Classified):
    title: Text = Field(max_length=500, examples=["Gestion d'une scène de crime"])
    mission_type: str = Field(description="A MissionType code", examples=["training-course"])
    countries: list[str] = Field(
        max_length=MAX_COUNTRIES, description="ISO 3166-1 alpha-2 codes", examples=[["KH"]]
    )
    organisations: list[str] = Field(default_factory=list, max_length=MAX_CODES, examples=[[]])
    themes: list[str] = Field(max_length=MAX_CODES, examples=[["forensic-science"]])
    requested_by: Text = Field(
        max_length=200,
        description="The foreign authority that asked",
        examples=["Police nationale cambodgienne"],
    )
    post_id: UUID | None = Field(
        default=None, description="The post abroad that collected the request (same directorate)"
    )
    requested_on: IsoDate = Field(examples=["2013-03-14"])
    description: Text = Field(default="", max_length=4000, examples=["Two-week course"])

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **CRIME_SCENE_COURSE,
                    "description": "Two-week course for crime-scene technicians",
                    "classification": "internal",
                }
            ]
        }
    )


#: An item of an import: its format errors are named with the other items' rule breaks.
BatchMission = Annotated[RequestMission, WrapValidator(keep_invalid)]


class ImportMissions(Strict):
    """Several foreign requests recorded together: all of them, or none."""

    items: list[BatchMission] = Field(
        min_length=1,
        max_length=MAX_ITEMS,
        description=f"1 to {MAX_ITEMS} bodies of `POST /missions`, recorded in this order",
        examples=[
            [
                CRIME_SCENE_COURSE,
                {
                    "title": "Conférence régionale sur les faux médicaments",
                    "mission_type": "regional-conference",
                    "countries": ["VN", "KH", "LA"],
                    "themes": ["counterfeit-medicines"],
                    "requested_by": "Ministère de la Sécurité publique",
                    "requested_on": "2013-06-01",
                },
            ]
        ],
    )


class ValidateMission(Strict):
    decided_on: IsoDate = Field(examples=["2013-04-02"])
    decided_by: Text = Field(
        max_length=200,
        description="The deciding authority",
        examples=["Ministère de l'Europe et des Affaires étrangères"],
    )
    decision_reference: Text = Field(max_length=100, examples=["MEAE/DCSD/2013-118"])


class DeclineMission(ValidateMission):
    reason: Text = Field(max_length=2000, examples=["Outside the cooperation priorities"])


class ScheduleMission(Strict):
    start_date: IsoDate = Field(examples=["2013-10-07"])
    end_date: IsoDate = Field(examples=["2013-10-18"])
    place: Text = Field(max_length=200, examples=["Phnom Penh"])
    expert_count: StrictInt = Field(examples=[3], json_schema_extra=bounds(0, MAX_EXPERTS))
    budget: MoneyIn | None = None
    scheduled_on: IsoDate = Field(description="When the schedule was set", examples=["2013-05-20"])

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "start_date": "2013-10-07",
                    "end_date": "2013-10-18",
                    "place": "Phnom Penh",
                    "expert_count": 3,
                    "budget": {"amount": "24000.00", "currency": "EUR"},
                    "scheduled_on": "2013-05-20",
                }
            ]
        }
    )


class LaunchMission(Strict):
    launched_on: IsoDate = Field(examples=["2013-10-07"])


class CompleteMission(Strict):
    completed_on: IsoDate = Field(examples=["2013-10-18"])
    participants: StrictInt = Field(examples=[18], json_schema_extra=bounds(0, MAX_PARTICIPANTS))
    actual_cost: MoneyIn | None = None
    outcome: Text = Field(max_length=4000, examples=["18 technicians trained; kits handed over"])


class CancelMission(Strict):
    cancelled_on: IsoDate = Field(examples=["2013-09-01"])
    reason: Text = Field(max_length=2000, examples=["Security situation"])


class EvaluateMission(Strict):
    evaluated_on: IsoDate = Field(examples=["2013-12-10"])
    rating: StrictInt = Field(
        description="1 (poor) to 5 (excellent)", examples=[4], json_schema_extra=bounds(1, 5)
    )
    findings: Text = Field(max_length=4000, examples=["Good uptake; follow-up requested"])
    recommendations: Text = Field(default="", max_length=4000, examples=["Train trainers next"])
