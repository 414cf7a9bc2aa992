"""Agreements: sign, amend, renew, suspend, resume, terminate, correct; read one."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Response, status

from services.tenant.context import Context, Ledger
from services.tenant.schemas.agreements import (
    AmendAgreement,
    RenewAgreement,
    ResumeAgreement,
    SignAgreement,
    SuspendAgreement,
    TerminateAgreement,
)
from services.tenant.schemas.common import Correction, record_state
from shared.application.ledger import Idempotency
from shared.domain.agreement import Agreement
from shared.http.commands import CommandAccepted, accepted, etag, idempotency, if_match
from shared.http.routing import OneHopRoute
from shared.http.security import Reader, Recorder

router = APIRouter(prefix="/api/{tenant}/agreements", tags=["agreements"], route_class=OneHopRoute)
Key = Annotated[Idempotency | None, Depends(idempotency)]
Version = Annotated[int | None, Depends(if_match)]


@router.post("", status_code=status.HTTP_201_CREATED, summary="Record a signed agreement")
def sign(
    principal: Recorder,
    ctx: Context,
    ledger: Ledger,
    body: SignAgreement,
    key: Key,
    response: Response,
) -> CommandAccepted:
    result = ledger.create(
        lambda id_: Agreement.sign(
            ctx,
            id=id_,
            **body.model_dump(exclude={"funding", "classification"}),
            funding=body.funding.pair() if body.funding else None,
            classification=body.classification,
            today=ledger.today(),
        ),
        key,
    )
    return accepted(result, response, f"/api/{ctx.tenant}/agreements/{result.record_id}")


@router.get("/{record_id}", summary="One agreement's current state")
def read(principal: Reader, ledger: Ledger, record_id: UUID, response: Response) -> dict[str, Any]:
    record = ledger.record(Agreement, record_id)
    etag(response, record.version)
    state = record_state(record)
    state["expires_on"] = record.expires_on.isoformat() if record.expires_on else None
    return state


def _change(
    ledger: Ledger, record_id: UUID, version: int | None, key: Key, action: Any, response: Response
) -> CommandAccepted:
    result = ledger.change(Agreement, record_id, version, action, key)
    return accepted(result, response)


@router.post("/{record_id}/amendments", summary="Record an amendment")
def amend(
    principal: Recorder,
    ctx: Context,
    ledger: Ledger,
    record_id: UUID,
    body: AmendAgreement,
    key: Key,
    version: Version,
    response: Response,
) -> CommandAccepted:
    return _change(
        ledger,
        record_id,
        version,
        key,
        lambda a: a.amend(ctx, body.amended_on, body.summary),
        response,
    )


@router.post("/{record_id}/renewals", summary="Record a renewal")
def renew(
    principal: Recorder,
    ctx: Context,
    ledger: Ledger,
    record_id: UUID,
    body: RenewAgreement,
    key: Key,
    version: Version,
    response: Response,
) -> CommandAccepted:
    return _change(
        ledger,
        record_id,
        version,
        key,
        lambda a: a.renew(ctx, body.renewed_on, body.duration_months),
        response,
    )


@router.post("/{record_id}/suspension", summary="Record a suspension")
def suspend(
    principal: Recorder,
    ctx: Context,
    ledger: Ledger,
    record_id: UUID,
    body: SuspendAgreement,
    key: Key,
    version: Version,
    response: Response,
) -> CommandAccepted:
    return _change(
        ledger,
        record_id,
        version,
        key,
        lambda a: a.suspend(ctx, body.suspended_on, body.reason),
        response,
    )


@router.post("/{record_id}/resumption", summary="Record the end of a suspension")
def resume(
    principal: Recorder,
    ctx: Context,
    ledger: Ledger,
    record_id: UUID,
    body: ResumeAgreement,
    key: Key,
    version: Version,
    response: Response,
) -> CommandAccepted:
    return _change(
        ledger, record_id, version, key, lambda a: a.resume(ctx, body.resumed_on), response
    )


@router.post("/{record_id}/termination", summary="Record a termination")
def terminate(
    principal: Recorder,
    ctx: Context,
    ledger: Ledger,
    record_id: UUID,
    body: TerminateAgreement,
    key: Key,
    version: Version,
    response: Response,
) -> CommandAccepted:
    return _change(
        ledger,
        record_id,
        version,
        key,
        lambda a: a.terminate(ctx, body.terminated_on, body.reason),
        response,
    )


@router.post("/{record_id}/corrections", summary="Correct descriptive fields, with a reason")
def correct(
    principal: Recorder,
    ctx: Context,
    ledger: Ledger,
    record_id: UUID,
    body: Correction,
    key: Key,
    version: Version,
    response: Response,
) -> CommandAccepted:
    return _change(
        ledger,
        record_id,
        version,
        key,
        lambda a: a.correct(ctx, body.changes, body.reason, body.corrected_on),
        response,
    )
