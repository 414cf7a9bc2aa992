"""Agreement commands as HTTP bodies."""

from __future__ import annotations

from pydantic import Field, StrictInt

from services.tenant.schemas.common import Classified, IsoDate, MoneyIn, Strict, Text
from shared.domain.base import MAX_CODES, MAX_COUNTRIES


class SignAgreement(Classified):
    reference: Text = Field(max_length=100, examples=["FR-VN-2011-CM"])
    title: Text = Field(
        max_length=500, examples=["Convention de lutte contre la contrefaçon de médicaments"]
    )
    kind: str = Field(description="An AgreementKind code", examples=["funding-convention"])
    partner_countries: list[str] = Field(
        default_factory=list, max_length=MAX_COUNTRIES, examples=[["VN"]]
    )
    partner_organisations: list[str] = Field(
        default_factory=list, max_length=MAX_CODES, examples=[[]]
    )
    themes: list[str] = Field(max_length=MAX_CODES, examples=[["counterfeit-medicines"]])
    signed_on: IsoDate = Field(examples=["2011-12-09"])
    signed_at: Text = Field(max_length=200, examples=["Hanoï"])
    duration_months: StrictInt | None = Field(default=None, examples=[36])
    funding: MoneyIn | None = None
    funder: Text | None = Field(
        default=None, max_length=200, examples=["Ministère de l'Europe et des Affaires étrangères"]
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "reference": "FR-VN-2011-CM",
                    "title": "Convention de lutte contre la contrefaçon de médicaments",
                    "kind": "funding-convention",
                    "partner_countries": ["VN"],
                    "themes": ["counterfeit-medicines"],
                    "signed_on": "2011-12-09",
                    "signed_at": "Hanoï",
                    "duration_months": 36,
                    "funding": {"amount": "1000000.00", "currency": "EUR"},
                    "funder": "Fonds de solidarité prioritaire",
                    "classification": "internal",
                }
            ]
        }
    }


class AmendAgreement(Strict):
    amended_on: IsoDate = Field(examples=["2013-05-02"])
    summary: Text = Field(max_length=2000, examples=["Extension to Cambodia and Laos"])


class RenewAgreement(Strict):
    renewed_on: IsoDate = Field(examples=["2014-12-01"])
    duration_months: StrictInt = Field(examples=[24])


class SuspendAgreement(Strict):
    suspended_on: IsoDate = Field(examples=["2020-03-16"])
    reason: Text = Field(max_length=2000, examples=["Sanitary crisis"])


class ResumeAgreement(Strict):
    resumed_on: IsoDate = Field(examples=["2020-09-01"])


class TerminateAgreement(Strict):
    terminated_on: IsoDate = Field(examples=["2022-01-01"])
    reason: Text = Field(max_length=2000, examples=["Replaced by a new agreement"])
