"""Delegation visit commands as HTTP bodies: plan, reschedule, host, cancel."""

from __future__ import annotations

from pydantic import ConfigDict, Field, StrictInt

from services.tenant.schemas.common import Classified, IsoDate, Strict, Text, bounds
from shared.domain.base import MAX_CODES
from shared.domain.delegation import MAX_SIZE


class PlanDelegation(Classified):
    country: str | None = Field(
        default=None,
        description="ISO 3166-1 alpha-2 code; give a country or an organisation, not both",
        examples=["VN"],
    )
    organisation: str | None = Field(
        default=None, description="An Organisation code", examples=[None]
    )
    head_of_delegation: Text = Field(max_length=200, examples=["Général Nguyen Van A"])
    size: StrictInt = Field(
        description="People expected", examples=[8], json_schema_extra=bounds(1, MAX_SIZE)
    )
    start_date: IsoDate = Field(examples=["2024-06-10"])
    end_date: IsoDate = Field(examples=["2024-06-14"])
    host_site: Text = Field(max_length=200, examples=["ENSOSP, Aix-en-Provence"])
    topics: list[str] = Field(
        max_length=MAX_CODES, examples=[["crisis-management-and-civil-protection"]]
    )
    planned_on: IsoDate | None = Field(
        default=None,
        description=(
            "When the visit was agreed; without it, the plan is dated when it is recorded, "
            "or the visit's first day if that came first"
        ),
        examples=["2024-03-01"],
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "country": "VN",
                    "head_of_delegation": "Général Nguyen Van A",
                    "size": 8,
                    "start_date": "2024-06-10",
                    "end_date": "2024-06-14",
                    "host_site": "ENSOSP, Aix-en-Provence",
                    "topics": ["crisis-management-and-civil-protection"],
                    "planned_on": "2024-03-01",
                    "classification": "internal",
                }
            ]
        }
    )


class RescheduleDelegation(Strict):
    start_date: IsoDate = Field(examples=["2024-09-16"])
    end_date: IsoDate = Field(examples=["2024-09-20"])
    rescheduled_on: IsoDate = Field(examples=["2024-05-02"])


class HostDelegation(Strict):
    hosted_on: IsoDate = Field(
        description="A day within the visit's dates", examples=["2024-06-10"]
    )
    actual_size: StrictInt = Field(
        description="People who actually came",
        examples=[7],
        json_schema_extra=bounds(1, MAX_SIZE),
    )


class CancelDelegation(Strict):
    cancelled_on: IsoDate = Field(examples=["2024-05-20"])
    reason: Text = Field(max_length=2000, examples=["Visit postponed sine die by the partner"])
