"""One shape for every command that changes an existing record: ``POST /{record_id}/<what>``.

Each of them takes the same things (the caller's role, the command context,
the tenant's ledger, the record id, a body, an Idempotency-Key, If-Match) and
does the same thing: the ledger loads the record, applies one domain method,
records it with the version check, and the route answers ``CommandAccepted``.
Only the role, the body model and the method differ, so ``change_route``
writes the route from those three; the operation (name, summary, parameters,
body schema) is exactly the one a hand-written route would have.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar
from uuid import UUID

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel

from services.tenant.context import Context, Ledger
from services.tenant.schemas.common import Correction
from shared.application.ledger import CooperationLedger, Idempotency
from shared.domain.base import EntenteAggregate
from shared.domain.context import CommandContext
from shared.http.commands import CommandAccepted, accepted, idempotency, if_match
from shared.http.security import Recorder

R = TypeVar("R", bound=EntenteAggregate)
B = TypeVar("B", bound=BaseModel)

Key = Annotated[Idempotency | None, Depends(idempotency)]
Version = Annotated[int | None, Depends(if_match)]


def change_route(
    router: APIRouter,
    path: str,
    *,
    name: str,
    summary: str,
    record: type[R],
    body: type[B],
    apply: Callable[[R, CommandContext, B], object],
    role: Any = Recorder,
    check: Callable[[CooperationLedger, R, B], None] | None = None,
    description: str | None = None,
) -> None:
    """Adds ``POST path``: ``apply(record, ctx, body)``, recorded if the version matches.

    ``role``: the caller's dependency (``Recorder``, or ``Validator`` for decisions).
    ``check``: the rules that read other records of the tenant (a post named by a
    mission), run on the record as ``apply`` left it, before it is saved.
    """

    def endpoint(
        principal: Any,
        ctx: Context,
        ledger: Ledger,
        record_id: UUID,
        body: Any,
        key: Key,
        version: Version,
        response: Response,
    ) -> CommandAccepted:
        def action(found: R) -> None:
            apply(found, ctx, body)
            if check is not None:
                check(ledger, found, body)

        return accepted(ledger.change(record, record_id, version, action, key), response)

    # FastAPI reads the role and the body model from the annotations.
    endpoint.__annotations__ = {**endpoint.__annotations__, "principal": role, "body": body}
    endpoint.__name__ = endpoint.__qualname__ = name
    router.post(path, name=name, summary=summary, description=description)(endpoint)


def correction_route(
    router: APIRouter,
    record: type[R],
    check: Callable[[CooperationLedger, R, Correction], None] | None = None,
) -> None:
    """``POST /{record_id}/corrections`` of ``record``: its operation lists the fields a
    correction may name, as the domain defines them (``correctable``)."""
    named = [n for n in record.correctable if n not in record.decision_fields]  # a validator's
    fields = ", ".join(f"`{name}`" for name in sorted([*named, "classification"]))
    change_route(
        router,
        "/{record_id}/corrections",
        name="correct",
        summary="Correct recorded fields, with a reason",
        description=(
            f"Fields a correction may name: {fields}. Each keeps the rules of the command "
            "that recorded it, and a field a step records (a hosting, a completion, an "
            "evaluation) is corrected once that step is recorded, as of a day not before it; "
            "the original stays in the history."
        ),
        record=record,
        body=Correction,
        apply=lambda found, ctx, body: found.correct(
            ctx, body.changes, body.reason, body.corrected_on
        ),
        check=check,
    )
