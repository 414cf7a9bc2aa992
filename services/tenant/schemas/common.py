"""Request shapes shared by every resource: strict, closed, documented."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidatorFunctionWrapHandler,
)
from pydantic import ValidationError as PydanticValidationError
from pydantic.config import JsonDict
from pydantic_core import PydanticCustomError

from shared.application.bulk import ItemRejectedError
from shared.domain.values import AMOUNT_TEXT, business_date_problem
from shared.domain.vocabulary import Classification
from shared.events.envelope import to_json
from shared.http.fields import field_path
from shared.http.iso import iso_date_only
from shared.text import (
    NONCHARACTER_MESSAGE,
    NONCHARACTER_RULE,
    SURROGATE_RULE,
    TEXT_PATTERN,
    composed,
    first_control_character,
    lone_surrogate,
    noncharacter,
    refused_character,
)
from shared.text import RULE as CONTROL_RULE
from shared.views.queries.present import with_money


def _business_date(value: date) -> date:
    """A date the ledger records: from 1900 to 2199 (``values.business_date_problem``)."""
    problem = business_date_problem(value)
    if problem is not None:
        raise PydanticCustomError("date-range", problem)
    return value


#: A date field that refuses numbers, digit strings and booleans (not 1970: a 422),
#: and dates outside 1900-2199 (a slip, and a term computed from one can pass 9999).
IsoDate = Annotated[date, BeforeValidator(iso_date_only), AfterValidator(_business_date)]


class Strict(BaseModel):
    """Unknown fields are refused (422 naming the field), never silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _plain_text(value: Any) -> Any:
    """Refuses text holding a control character or a noncharacter (``shared.text``),
    naming its place; gives the rest in composed form (``shared.text.composed``), as
    the domain keeps it.

    Before the string rules, so before the model strips whitespace: ``"Lyon\x85"``
    is refused as the documented pattern says, not trimmed to ``"Lyon"``; and a
    length bound counts the characters a reader sees, however they were typed.
    """
    if type(value) is str:
        found = refused_character(value)
        if found is not None:
            rule, where = found
            message = CONTROL_MESSAGE if rule == CONTROL_RULE else NONCHARACTER_MESSAGE
            raise PydanticCustomError(rule, message, {"where": where})
        return composed(value)
    return value


CONTROL_MESSAGE = (
    "contains a control character ({where}); only tab, line feed and carriage return are allowed"
)

#: Free text a person typed (a title, a reason, a place): any control character but
#: tab, line feed and carriage return is refused (``shared.text``), as the OpenAPI
#: documents state (``pattern``). Coded fields (countries, themes, kinds) need not
#: be: their vocabulary refuses anything else. A type per field, not one validator
#: for every field of every model: that cost 4 µs per imported mission, this about
#: a tenth of it per text field.
Text = Annotated[
    str,
    BeforeValidator(_plain_text),
    Field(json_schema_extra={"pattern": TEXT_PATTERN}),
]


def _amount_text(value: Any) -> Any:
    if type(value) is str and not AMOUNT_TEXT.fullmatch(value):
        raise PydanticCustomError(
            "decimal_parsing", "write the amount in digits with a decimal point, as 1000.00"
        )
    return value


@dataclass(frozen=True)
class InvalidItem:
    """A batch item that failed its format checks, kept in its place (``keep_invalid``).

    ``issues``: each format error as (field within the item, rule, message).
    """

    issues: tuple[tuple[str, str, str], ...]

    def rejected(self) -> ItemRejectedError:
        return ItemRejectedError(self.issues)


def keep_invalid(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """The item, or an ``InvalidItem`` instead of failing the whole body (a batch item's
    ``WrapValidator``; its schema stays the model's).

    FastAPI answers a body's format errors before the route runs, so the business
    rules of the well-formed items went unchecked, and a client fixed one kind of
    error per round trip. The route builds the others and names every bad item.
    """
    try:
        return handler(value)
    except PydanticValidationError as error:
        return InvalidItem(
            tuple(
                (field_path(e["loc"]), str(e["type"]), str(e["msg"]))
                for e in error.errors(include_url=False)
            )
        )


class MoneyIn(Strict):
    amount: Annotated[Decimal, BeforeValidator(_amount_text)] = Field(
        description=(
            "Decimal amount, with at most the currency's ISO 4217 decimals "
            "(EUR 2, XOF and JPY none, TND 3); recorded with exactly that many"
        ),
        examples=["1000000.00"],
    )
    currency: str = Field(description="ISO 4217 code", examples=["EUR"], min_length=3, max_length=3)

    def pair(self) -> tuple[Decimal, str]:
        return self.amount, self.currency


class Classified(Strict):
    classification: Classification = Field(
        default=Classification.INTERNAL,
        description="public, internal or restricted (restricted items are counted, not detailed)",
    )


def _storable_change(value: Any) -> Any:
    """Refuses a corrected value holding a control character, a lone surrogate or a
    noncharacter, however deep (``shared.text``): the error's place is the field
    (``changes.title``), and a list item's index is in its message. The domain's
    normalisers check the known fields again; this also covers values it would refuse
    for another reason first.
    """
    found = first_control_character(value)
    if found is not None:
        path, where = found
        raise PydanticCustomError(CONTROL_RULE, _inner(path) + CONTROL_MESSAGE, {"where": where})
    found = first_control_character(value, find=lone_surrogate)
    if found is not None:
        path, where = found
        raise PydanticCustomError(
            SURROGATE_RULE,
            _inner(path) + "holds a lone surrogate ({where}), not Unicode text",
            {"where": where},
        )
    found = first_control_character(value, find=noncharacter)
    if found is not None:
        path, where = found
        raise PydanticCustomError(
            NONCHARACTER_RULE, _inner(path) + NONCHARACTER_MESSAGE, {"where": where}
        )
    return value


def _inner(path: str) -> str:
    """``"[2] "`` for an item of a list value, nothing for the value itself."""
    return f"{path} " if path else ""


#: A field name in ``changes``, exactly as sent: the model's whitespace stripping also
#: stripped dict keys, after the body's duplicate-key check, so ``{"title": "New",
#: "title ": "x"}`` recorded ``x`` (last wins) and ``" title "`` corrected ``title``.
FieldName = Annotated[str, StringConstraints(strip_whitespace=False)]


class Correction(Strict):
    changes: dict[FieldName, Annotated[Any, BeforeValidator(_storable_change)]] = Field(
        description="Field names and their corrected values",
        examples=[{"title": "Gestion d'une scène de crime"}],
    )
    reason: Text = Field(min_length=1, max_length=2000, examples=["Typo in the title"])
    corrected_on: IsoDate = Field(
        description="Business date of the correction", examples=["2024-03-01"]
    )


class Withdrawal(Strict):
    """A step recorded by mistake (a termination, a closure, a cancellation) withdrawn."""

    reason: Text = Field(min_length=1, max_length=2000, examples=["Recorded on the wrong record"])
    corrected_on: IsoDate = Field(
        description="Business date of the withdrawal (not before the step it withdraws)",
        examples=["2024-03-01"],
    )


class Dated(Strict):
    on: IsoDate = Field(description="When it happened (business date)", examples=["2024-03-01"])


def record_state(record: Any) -> dict[str, Any]:
    """A record's public state as JSON (attributes not starting with ``_``), amounts
    as the commands take them and the lists show them (``with_money``)."""
    state = with_money({k: to_json(v) for k, v in vars(record).items() if not k.startswith("_")})
    state["id"] = str(record.id)
    state["version"] = record.version
    state["created_on"] = to_json(record.created_on)
    state["modified_on"] = to_json(record.modified_on)
    return state


def bounds(least: int, most: int) -> JsonDict:
    """A count's range, stated in the API's description; the domain checks it, with a
    refusal naming the rule (``range``). It was enforced but not stated (probe 7)."""
    return {"minimum": least, "maximum": most}
