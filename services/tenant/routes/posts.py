"""Posts abroad: open, change coverage, close, withdraw a closure, redate the opening or
the last coverage change, correct; read one."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response, status

from services.tenant.context import Context, Ledger
from services.tenant.routes.changes import Key, change_route, correction_route
from services.tenant.schemas.common import Withdrawal, record_state
from services.tenant.schemas.posts import (
    ChangeCoverage,
    ClosePost,
    OpenPost,
    RedateCoverage,
    RedateOpening,
)
from shared.application.collected import check_collected_requests
from shared.application.ledger import CooperationLedger
from shared.domain.post import PostAbroad
from shared.http.commands import CommandAccepted, accepted, etag
from shared.http.security import Reader, Recorder
from shared.http.strict_json import LedgerRoute
from shared.views.record_schemas import POST_RECORD
from shared.views.response_schemas import json_answer

router = APIRouter(prefix="/api/{tenant}/posts", tags=["posts"], route_class=LedgerRoute)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Record the opening of a post")
def open_post(
    principal: Recorder,
    ctx: Context,
    ledger: Ledger,
    body: OpenPost,
    key: Key,
    response: Response,
) -> CommandAccepted:
    result = ledger.create(
        lambda id_: PostAbroad.open(
            ctx,
            id=id_,
            name=body.name,
            city=body.city,
            host_country=body.host_country,
            covered_countries=body.covered_countries,
            opened_on=body.opened_on,
            classification=body.classification,
            closed_on=body.closed_on,
        ),
        key,
    )
    return accepted(result, response, f"/api/{ctx.tenant}/posts/{result.record_id}")


@router.get(
    "/{record_id}",
    summary="One post's current state and coverage history",
    responses=json_answer(POST_RECORD),
)
def read(principal: Reader, ledger: Ledger, record_id: UUID, response: Response) -> dict[str, Any]:
    record = ledger.record(PostAbroad, record_id)
    etag(response, record.version)
    return record_state(record)


def _collected(ledger: CooperationLedger, post: PostAbroad, _: object) -> None:
    """The requests the post collected stay within its coverage (``shared.application.
    collected``): a closure or coverage dated back may not leave one out."""
    check_collected_requests(ledger, post)


change_route(
    router,
    "/{record_id}/coverage",
    name="change_coverage",
    summary="Record the countries covered from a date on",
    record=PostAbroad,
    body=ChangeCoverage,
    apply=lambda p, ctx, b: p.change_coverage(ctx, b.covered_countries, b.effective_on),
    check=_collected,
)
change_route(
    router,
    "/{record_id}/coverage-correction",
    name="redate_coverage",
    summary="Correct the day the last coverage change took effect, with a reason",
    record=PostAbroad,
    body=RedateCoverage,
    apply=lambda p, ctx, b: p.redate_coverage(ctx, b.effective_on, b.reason, b.corrected_on),
    check=_collected,
)
change_route(
    router,
    "/{record_id}/opening-correction",
    name="redate_opening",
    summary="Correct the day the post opened, with a reason",
    description=(
        "The post's first coverage begins on the new day, a day at least before what "
        "followed it (its next coverage change, or its closure). Earlier: `409 "
        "country-covered` if another post of the directorate covered one of its first "
        "countries on a day it gains. Later: `422 collected-requests` if it would leave "
        "out a request the post collected. The recorded day stays in the history."
    ),
    record=PostAbroad,
    body=RedateOpening,
    apply=lambda p, ctx, b: p.redate_opening(ctx, b.opened_on, b.reason, b.corrected_on),
    check=_collected,
)
change_route(
    router,
    "/{record_id}/closure",
    name="close",
    summary="Record the closure of a post",
    record=PostAbroad,
    body=ClosePost,
    apply=lambda p, ctx, b: p.close(ctx, b.closed_on),
    check=_collected,
)
change_route(
    router,
    "/{record_id}/closure-withdrawal",
    name="withdraw_closure",
    summary="Withdraw a closure recorded by mistake, with a reason",
    description=(
        "The post is open again, covering its countries from the closing day on as if it "
        "had never closed: `409 country-covered` if another post of the directorate has "
        "covered one of them since. The closure and its withdrawal both stay in the history."
    ),
    record=PostAbroad,
    body=Withdrawal,
    apply=lambda p, ctx, b: p.withdraw_closure(ctx, b.reason, b.corrected_on),
)
correction_route(router, PostAbroad)
