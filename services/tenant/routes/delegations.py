"""Delegation visits: plan, reschedule, host, cancel, withdraw a cancellation, correct;
read one."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response, status

from services.tenant.context import Context, Ledger
from services.tenant.routes.changes import Key, change_route, correction_route
from services.tenant.schemas.common import Withdrawal, record_state
from services.tenant.schemas.delegations import (
    CancelDelegation,
    HostDelegation,
    PlanDelegation,
    RescheduleDelegation,
)
from shared.domain.delegation import DelegationVisit
from shared.http.commands import CommandAccepted, accepted, etag
from shared.http.security import Reader, Recorder
from shared.http.strict_json import LedgerRoute
from shared.views.record_schemas import DELEGATION_RECORD
from shared.views.response_schemas import json_answer

router = APIRouter(
    prefix="/api/{tenant}/delegations", tags=["delegations"], route_class=LedgerRoute
)


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


@router.get(
    "/{record_id}",
    summary="One delegation visit's current state",
    responses=json_answer(DELEGATION_RECORD),
)
def read(principal: Reader, ledger: Ledger, record_id: UUID, response: Response) -> dict[str, Any]:
    record = ledger.record(DelegationVisit, record_id)
    etag(response, record.version)
    return record_state(record)


change_route(
    router,
    "/{record_id}/reschedule",
    name="reschedule",
    summary="Move a planned visit to new dates",
    record=DelegationVisit,
    body=RescheduleDelegation,
    apply=lambda d, ctx, b: d.reschedule(ctx, b.start_date, b.end_date, b.rescheduled_on),
)
change_route(
    router,
    "/{record_id}/hosting",
    name="host",
    summary="Record the visit as it happened",
    record=DelegationVisit,
    body=HostDelegation,
    apply=lambda d, ctx, b: d.host(ctx, b.hosted_on, b.actual_size),
)
change_route(
    router,
    "/{record_id}/cancellation",
    name="cancel",
    summary="Record a cancellation, with its reason",
    record=DelegationVisit,
    body=CancelDelegation,
    apply=lambda d, ctx, b: d.cancel(ctx, b.cancelled_on, b.reason),
)
change_route(
    router,
    "/{record_id}/cancellation-withdrawal",
    name="withdraw_cancellation",
    summary="Withdraw a cancellation recorded by mistake, with a reason",
    description=(
        "The visit is planned again. The cancellation and its withdrawal both stay in the history."
    ),
    record=DelegationVisit,
    body=Withdrawal,
    apply=lambda d, ctx, b: d.withdraw_cancellation(ctx, b.reason, b.corrected_on),
)
correction_route(router, DelegationVisit)
