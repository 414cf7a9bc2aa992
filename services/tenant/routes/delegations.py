"""Delegation visits: plan, reschedule, host, cancel, correct; read one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Response, status

from services.tenant.context import Context, Ledger
from services.tenant.schemas.common import Correction, record_state
from services.tenant.schemas.delegations import (
    CancelDelegation,
    HostDelegation,
    PlanDelegation,
    RescheduleDelegation,
)
from shared.application.ledger import CooperationLedger, Idempotency
from shared.domain.delegation import DelegationVisit
from shared.http.commands import CommandAccepted, accepted, etag, idempotency, if_match
from shared.http.routing import OneHopRoute
from shared.http.security import Reader, Recorder

router = APIRouter(
    prefix="/api/{tenant}/delegations", tags=["delegations"], route_class=OneHopRoute
)
Key = Annotated[Idempotency | None, Depends(idempotency)]
Version = Annotated[int | None, Depends(if_match)]


@router.post("", status_code=status.HTTP_201_CREATED, summary="Record a planned visit")
def plan(
    principal: Recorder,
    ctx: Context,
    ledger: Ledger,
    body: PlanDelegation,
    key: Key,
    response: Response,
) -> CommandAccepted:
    result = ledger.create(
        lambda id_: DelegationVisit.plan(
            ctx,
            id=id_,
            country=body.country,
            organisation=body.organisation,
            head_of_delegation=body.head_of_delegation,
            size=body.size,
            start_date=body.start_date,
            end_date=body.end_date,
            host_site=body.host_site,
            topics=body.topics,
            classification=body.classification,
            planned_on=body.planned_on,
        ),
        key,
    )
    return accepted(result, response, f"/api/{ctx.tenant}/delegations/{result.record_id}")


@router.get("/{record_id}", summary="One delegation visit's current state")
def read(principal: Reader, ledger: Ledger, record_id: UUID, response: Response) -> dict[str, Any]:
    record = ledger.record(DelegationVisit, record_id)
    etag(response, record.version)
    return record_state(record)


@router.post("/{record_id}/reschedule", summary="Move a planned visit to new dates")
def reschedule(
    principal: Recorder,
    ctx: Context,
    ledger: Ledger,
    record_id: UUID,
    body: RescheduleDelegation,
    key: Key,
    version: Version,
    response: Response,
) -> CommandAccepted:
    def action(d: DelegationVisit) -> None:
        d.reschedule(ctx, body.start_date, body.end_date, body.rescheduled_on)

    return _change(ledger, record_id, version, key, action, response)


@router.post("/{record_id}/hosting", summary="Record the visit as it happened")
def host(
    principal: Recorder,
    ctx: Context,
    ledger: Ledger,
    record_id: UUID,
    body: HostDelegation,
    key: Key,
    version: Version,
    response: Response,
) -> CommandAccepted:
    def action(d: DelegationVisit) -> None:
        d.host(ctx, body.hosted_on, body.actual_size)

    return _change(ledger, record_id, version, key, action, response)


@router.post("/{record_id}/cancellation", summary="Record a cancellation, with its reason")
def cancel(
    principal: Recorder,
    ctx: Context,
    ledger: Ledger,
    record_id: UUID,
    body: CancelDelegation,
    key: Key,
    version: Version,
    response: Response,
) -> CommandAccepted:
    def action(d: DelegationVisit) -> None:
        d.cancel(ctx, body.cancelled_on, body.reason)

    return _change(ledger, record_id, version, key, action, response)


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
    def action(d: DelegationVisit) -> None:
        d.correct(ctx, body.changes, body.reason, body.corrected_on)

    return _change(ledger, record_id, version, key, action, response)


def _change(
    ledger: CooperationLedger,
    record_id: UUID,
    version: int | None,
    key: Idempotency | None,
    action: Callable[[DelegationVisit], None],
    response: Response,
) -> CommandAccepted:
    return accepted(ledger.change(DelegationVisit, record_id, version, action, key), response)
