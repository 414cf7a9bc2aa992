"""Request shapes shared by every resource: strict, closed, documented."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from shared.domain.vocabulary import Classification
from shared.events.envelope import to_json
from shared.http.iso import iso_text_only
from shared.text import RULE as CONTROL_RULE
from shared.text import first_control_character

#: A date field that refuses numbers, digit strings and booleans (not 1970: a 422).
IsoDate = Annotated[date, BeforeValidator(iso_text_only)]


class Strict(BaseModel):
    """Unknown fields are refused (422 naming the field), never silently dropped.

    Text with a control character is refused too, in any field however deep
    (a correction's ``changes``): see ``shared.text``. The domain refuses it
    again for the commands that do not come over HTTP.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        found = first_control_character(value)
        if found is not None:
            path, where = found
            raise PydanticCustomError(
                CONTROL_RULE,
                "{place}contains a control character ({where}); only tab, line feed and "
                "carriage return are allowed",
                {"place": f"{path} " if path else "", "where": where},
            )
        return value


class MoneyIn(Strict):
    amount: Decimal = Field(
        description="Decimal amount, at most 2 decimals", examples=["1000000.00"]
    )
    currency: str = Field(description="ISO 4217 code", examples=["EUR"], min_length=3, max_length=3)

    def pair(self) -> tuple[Decimal, str]:
        return self.amount, self.currency


class Classified(Strict):
    classification: Classification = Field(
        default=Classification.INTERNAL,
        description="public, internal or restricted (restricted items are counted, not detailed)",
    )


class Correction(Strict):
    changes: dict[str, Any] = Field(
        description="Field names and their corrected values",
        examples=[{"title": "Gestion d'une scène de crime"}],
    )
    reason: str = Field(min_length=1, max_length=2000, examples=["Typo in the title"])
    corrected_on: IsoDate = Field(
        description="Business date of the correction", examples=["2024-03-01"]
    )


class Dated(Strict):
    on: IsoDate = Field(description="When it happened (business date)", examples=["2024-03-01"])


def record_state(record: Any) -> dict[str, Any]:
    """A record's public state as JSON (attributes not starting with ``_``)."""
    state = {k: to_json(v) for k, v in vars(record).items() if not k.startswith("_")}
    state["id"] = str(record.id)
    state["version"] = record.version
    state["created_on"] = to_json(record.created_on)
    state["modified_on"] = to_json(record.modified_on)
    return state
