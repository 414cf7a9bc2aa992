"""Post abroad commands as HTTP bodies: open, change coverage, close."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from services.tenant.schemas.common import Classified, IsoDate, Strict, Text
from shared.domain.base import MAX_COUNTRIES


class OpenPost(Classified):
    name: Text = Field(max_length=200, examples=["SSI Hanoï"])
    city: Text = Field(max_length=200, examples=["Hanoï"])
    host_country: str = Field(description="ISO 3166-1 alpha-2 code", examples=["VN"])
    covered_countries: list[str] = Field(
        max_length=MAX_COUNTRIES,
        description="ISO 3166-1 alpha-2 codes, the host country included",
        examples=[["VN", "KH", "LA"]],
    )
    opened_on: IsoDate = Field(examples=["2005-09-01"])
    closed_on: IsoDate | None = Field(
        default=None,
        description=(
            "A post of the past: the day it closed (its first day without coverage), "
            "recorded with the opening; its countries are checked from opened_on to then"
        ),
        examples=["2012-12-31"],
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "SSI Hanoï",
                    "city": "Hanoï",
                    "host_country": "VN",
                    "covered_countries": ["VN", "KH", "LA"],
                    "opened_on": "2005-09-01",
                    "classification": "internal",
                }
            ]
        }
    )


class ChangeCoverage(Strict):
    covered_countries: list[str] = Field(max_length=MAX_COUNTRIES, examples=[["VN", "LA"]])
    effective_on: IsoDate = Field(
        description="First day of the new coverage (after the last change)",
        examples=["2014-01-01"],
    )


class RedateCoverage(Strict):
    effective_on: IsoDate = Field(
        description="The day the last coverage change really took effect",
        examples=["2013-06-01"],
    )
    reason: Text = Field(min_length=1, max_length=2000, examples=["Date of the decree"])
    corrected_on: IsoDate = Field(
        description="Business date of the correction (not before either date)",
        examples=["2014-02-03"],
    )


class RedateOpening(Strict):
    opened_on: IsoDate = Field(
        description="The day the post really opened (before its next coverage change or "
        "its closure)",
        examples=["2005-09-01"],
    )
    reason: Text = Field(min_length=1, max_length=2000, examples=["Date of the decree"])
    corrected_on: IsoDate = Field(
        description="Business date of the correction (not before either date)",
        examples=["2014-02-03"],
    )


class ClosePost(Strict):
    closed_on: IsoDate = Field(examples=["2020-08-31"])
