"""Agreements: sign, amend, renew, suspend, resume, terminate, withdraw a status change,
correct; read one."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response, status

from services.tenant.context import Context, Ledger
from services.tenant.routes.changes import Key, change_route, correction_route
from services.tenant.schemas.agreements import (
    AmendAgreement,
    RenewAgreement,
    ResumeAgreement,
    SignAgreement,
    SuspendAgreement,
    TerminateAgreement,
)
from services.tenant.schemas.common import Withdrawal, record_state
from shared.domain.agreement import Agreement
from shared.http.commands import CommandAccepted, accepted, etag
from shared.http.security import Reader, Recorder
from shared.http.strict_json import LedgerRoute
from shared.views.queries.present import agreement_status
from shared.views.record_schemas import AGREEMENT_RECORD
from shared.views.response_schemas import json_answer

router = APIRouter(prefix="/api/{tenant}/agreements", tags=["agreements"], route_class=LedgerRoute)


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
            today=ledger.latest_today(),
        ),
        key,
    )
    return accepted(result, response, f"/api/{ctx.tenant}/agreements/{result.record_id}")


@router.get(
    "/{record_id}",
    summary="One agreement's current state",
    responses=json_answer(AGREEMENT_RECORD),
)
def read(principal: Reader, ledger: Ledger, record_id: UUID, response: Response) -> dict[str, Any]:
    """The agreement as the register and the country file show it.

    ``status`` is the status to show, ``expired`` derived from the expiry as
    the lists derive it; ``recorded_status`` is the last one an event recorded.
    Before, this read said ``in-force`` of an agreement the register listed as
    ``expired`` years ago.
    """
    record = ledger.record(Agreement, record_id)
    etag(response, record.version)
    state = record_state(record)
    state["expires_on"] = record.expires_on.isoformat() if record.expires_on else None
    recorded = {"status": state["status"], "expires_on": record.expires_on}
    state["status"] = agreement_status(recorded, ledger.today())
    state["recorded_status"] = recorded["status"]
    return state


change_route(
    router,
    "/{record_id}/amendments",
    name="amend",
    summary="Record an amendment",
    record=Agreement,
    body=AmendAgreement,
    apply=lambda a, ctx, b: a.amend(ctx, b.amended_on, b.summary),
)
change_route(
    router,
    "/{record_id}/amendment-withdrawal",
    name="withdraw_amendment",
    summary="Withdraw the last amendment, recorded by mistake",
    description=(
        "Undoes the last amendment recorded, with a reason, as of a day not before it; "
        "the ones before it stand. The amendment and its withdrawal both stay in the "
        "history."
    ),
    record=Agreement,
    body=Withdrawal,
    apply=lambda a, ctx, b: a.withdraw_amendment(ctx, b.reason, b.corrected_on),
)
change_route(
    router,
    "/{record_id}/renewals",
    name="renew",
    summary="Record a renewal",
    record=Agreement,
    body=RenewAgreement,
    apply=lambda a, ctx, b: a.renew(ctx, b.renewed_on, b.duration_months),
)
change_route(
    router,
    "/{record_id}/suspension",
    name="suspend",
    summary="Record a suspension",
    record=Agreement,
    body=SuspendAgreement,
    apply=lambda a, ctx, b: a.suspend(ctx, b.suspended_on, b.reason),
)
change_route(
    router,
    "/{record_id}/resumption",
    name="resume",
    summary="Record the end of a suspension",
    record=Agreement,
    body=ResumeAgreement,
    apply=lambda a, ctx, b: a.resume(ctx, b.resumed_on),
)
change_route(
    router,
    "/{record_id}/termination",
    name="terminate",
    summary="Record a termination",
    record=Agreement,
    body=TerminateAgreement,
    apply=lambda a, ctx, b: a.terminate(ctx, b.terminated_on, b.reason),
)
change_route(
    router,
    "/{record_id}/status-withdrawal",
    name="withdraw_status_change",
    summary="Withdraw the last suspension, resumption or termination, recorded by mistake",
    description=(
        "Undoes the last suspension, resumption or termination, with a reason, as of a day "
        "not before it: the agreement is again as it was before it (a terminated one in "
        "force or suspended). A renewal is withdrawn with renewal-withdrawal. The change "
        "and its withdrawal both stay in the history."
    ),
    record=Agreement,
    body=Withdrawal,
    apply=lambda a, ctx, b: a.withdraw_status_change(ctx, b.reason, b.corrected_on),
)
change_route(
    router,
    "/{record_id}/renewal-withdrawal",
    name="withdraw_renewal",
    summary="Withdraw the last renewal, recorded by mistake",
    description=(
        "Undoes the last renewal, with a reason, as of a day not before it, when it is "
        "the agreement's last status change (a later suspension or termination is "
        "withdrawn first, with status-withdrawal): the term before it comes back, and "
        "the agreement is in force on that term (expired, if it has ended). The "
        "renewal and its withdrawal both stay in the history."
    ),
    record=Agreement,
    body=Withdrawal,
    apply=lambda a, ctx, b: a.withdraw_renewal(ctx, b.reason, b.corrected_on),
)
correction_route(router, Agreement)
