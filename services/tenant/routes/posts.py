"""Posts abroad: open, change coverage, close, correct; read one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Response, status

from services.tenant.context import Context, Ledger
from services.tenant.schemas.common import Correction, record_state
from services.tenant.schemas.posts import ChangeCoverage, ClosePost, OpenPost
from shared.application.ledger import CooperationLedger, Idempotency
from shared.domain.post import PostAbroad
from shared.http.commands import CommandAccepted, accepted, etag, idempotency, if_match
from shared.http.routing import OneHopRoute
from shared.http.security import Reader, Recorder

router = APIRouter(prefix="/api/{tenant}/posts", tags=["posts"], route_class=OneHopRoute)
Key = Annotated[Idempotency | None, Depends(idempotency)]
Version = Annotated[int | None, Depends(if_match)]


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
        ),
        key,
    )
    return accepted(result, response, f"/api/{ctx.tenant}/posts/{result.record_id}")


@router.get("/{record_id}", summary="One post's current state and coverage history")
def read(principal: Reader, ledger: Ledger, record_id: UUID, response: Response) -> dict[str, Any]:
    record = ledger.record(PostAbroad, record_id)
    etag(response, record.version)
    return record_state(record)


@router.post("/{record_id}/coverage", summary="Record the countries covered from a date on")
def change_coverage(
    principal: Recorder,
    ctx: Context,
    ledger: Ledger,
    record_id: UUID,
    body: ChangeCoverage,
    key: Key,
    version: Version,
    response: Response,
) -> CommandAccepted:
    def action(p: PostAbroad) -> None:
        p.change_coverage(ctx, body.covered_countries, body.effective_on)

    return _change(ledger, record_id, version, key, action, response)


@router.post("/{record_id}/closure", summary="Record the closure of a post")
def close(
    principal: Recorder,
    ctx: Context,
    ledger: Ledger,
    record_id: UUID,
    body: ClosePost,
    key: Key,
    version: Version,
    response: Response,
) -> CommandAccepted:
    def action(p: PostAbroad) -> None:
        p.close(ctx, body.closed_on)

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
    def action(p: PostAbroad) -> None:
        p.correct(ctx, body.changes, body.reason, body.corrected_on)

    return _change(ledger, record_id, version, key, action, response)


def _change(
    ledger: CooperationLedger,
    record_id: UUID,
    version: int | None,
    key: Idempotency | None,
    action: Callable[[PostAbroad], None],
    response: Response,
) -> CommandAccepted:
    return accepted(ledger.change(PostAbroad, record_id, version, action, key), response)
