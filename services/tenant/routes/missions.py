"""Missions: request, validate or decline, schedule, launch, complete, cancel, evaluate.

Recorders record; validators decide (validation and decline), so one person
cannot both collect a request and approve it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Response, status

from services.tenant.context import Context, Ledger
from services.tenant.schemas.common import Correction, record_state
from services.tenant.schemas.missions import (
    CancelMission,
    CompleteMission,
    DeclineMission,
    EvaluateMission,
    ImportMissions,
    LaunchMission,
    RequestMission,
    ScheduleMission,
    ValidateMission,
)
from shared.application.bulk import MAX_ITEMS, create_all
from shared.application.ledger import CooperationLedger, Idempotency
from shared.domain.context import CommandContext
from shared.domain.mission import Mission
from shared.domain.post import PostAbroad
from shared.errors import NotFoundError, ValidationError
from shared.http.commands import (
    CommandAccepted,
    ImportAccepted,
    accepted,
    etag,
    idempotency,
    if_match,
    imported,
)
from shared.http.routing import OneHopRoute
from shared.http.security import Reader, Recorder, Validator

router = APIRouter(prefix="/api/{tenant}/missions", tags=["missions"], route_class=OneHopRoute)
Key = Annotated[Idempotency | None, Depends(idempotency)]
Version = Annotated[int | None, Depends(if_match)]


@router.post("", status_code=status.HTTP_201_CREATED, summary="Record a foreign request")
def request(
    principal: Recorder,
    ctx: Context,
    ledger: Ledger,
    body: RequestMission,
    key: Key,
    response: Response,
) -> CommandAccepted:
    post_id = _known_post(ledger, body.post_id)
    result = ledger.create(_requested(ctx, ledger, body, post_id), key)
    return accepted(result, response, f"/api/{ctx.tenant}/missions/{result.record_id}")


@router.post(
    "/imports",
    status_code=status.HTTP_201_CREATED,
    summary=f"Record up to {MAX_ITEMS} foreign requests at once, all or none",
    responses={422: {"description": "Invalid items, each named by its index; nothing recorded"}},
)
def import_requests(
    principal: Recorder,
    ctx: Context,
    ledger: Ledger,
    body: ImportMissions,
    key: Key,
    response: Response,
) -> ImportAccepted:
    """One transaction: every item is checked (with its index in any error) before any is saved."""
    posts: dict[UUID, str] = {}

    def build(item: RequestMission) -> Callable[[UUID], Mission]:
        def built(id_: UUID) -> Mission:
            post_id = None
            if item.post_id is not None:
                if item.post_id not in posts:  # each post looked up once per import
                    posts[item.post_id] = str(_known_post(ledger, item.post_id))
                post_id = posts[item.post_id]
            return _requested(ctx, ledger, item, post_id)(id_)

        return built

    result = create_all(ledger, [build(item) for item in body.items], key)
    return imported(result, response)


def _requested(
    ctx: CommandContext, ledger: CooperationLedger, body: RequestMission, post_id: str | None
) -> Callable[[UUID], Mission]:
    """Builds the new mission of one request body (the domain runs its guards)."""
    return lambda id_: Mission.request(
        ctx,
        id=id_,
        title=body.title,
        mission_type=body.mission_type,
        countries=body.countries,
        organisations=body.organisations,
        themes=body.themes,
        requested_by=body.requested_by,
        post_id=post_id,
        requested_on=body.requested_on,
        description=body.description,
        classification=body.classification,
        today=ledger.today(),
    )


@router.get("/{record_id}", summary="One mission's current state")
def read(principal: Reader, ledger: Ledger, record_id: UUID, response: Response) -> dict[str, Any]:
    record = ledger.record(Mission, record_id)
    etag(response, record.version)
    return record_state(record)


@router.post("/{record_id}/validation", summary="Record the decision to go ahead")
def validate(
    principal: Validator,
    ctx: Context,
    ledger: Ledger,
    record_id: UUID,
    body: ValidateMission,
    key: Key,
    version: Version,
    response: Response,
) -> CommandAccepted:
    def action(m: Mission) -> None:
        m.validate(ctx, body.decided_on, body.decided_by, body.decision_reference)

    return _change(ledger, record_id, version, key, action, response)


@router.post("/{record_id}/decline", summary="Record the decision to decline, with its reason")
def decline(
    principal: Validator,
    ctx: Context,
    ledger: Ledger,
    record_id: UUID,
    body: DeclineMission,
    key: Key,
    version: Version,
    response: Response,
) -> CommandAccepted:
    def action(m: Mission) -> None:
        m.decline(ctx, body.decided_on, body.decided_by, body.decision_reference, body.reason)

    return _change(ledger, record_id, version, key, action, response)


@router.post("/{record_id}/schedule", summary="Set or change dates, place, experts, budget")
def schedule(
    principal: Recorder,
    ctx: Context,
    ledger: Ledger,
    record_id: UUID,
    body: ScheduleMission,
    key: Key,
    version: Version,
    response: Response,
) -> CommandAccepted:
    budget = body.budget.pair() if body.budget else None

    def action(m: Mission) -> None:
        m.schedule(
            ctx,
            body.start_date,
            body.end_date,
            body.place,
            body.expert_count,
            budget,
            body.scheduled_on,
        )

    return _change(ledger, record_id, version, key, action, response)


@router.post("/{record_id}/launch", summary="Record that delivery has begun")
def launch(
    principal: Recorder,
    ctx: Context,
    ledger: Ledger,
    record_id: UUID,
    body: LaunchMission,
    key: Key,
    version: Version,
    response: Response,
) -> CommandAccepted:
    return _change(
        ledger, record_id, version, key, lambda m: m.launch(ctx, body.launched_on), response
    )


@router.post("/{record_id}/completion", summary="Record delivery: participants, cost, outcome")
def complete(
    principal: Recorder,
    ctx: Context,
    ledger: Ledger,
    record_id: UUID,
    body: CompleteMission,
    key: Key,
    version: Version,
    response: Response,
) -> CommandAccepted:
    cost = body.actual_cost.pair() if body.actual_cost else None

    def action(m: Mission) -> None:
        m.complete(ctx, body.completed_on, body.participants, cost, body.outcome)

    return _change(ledger, record_id, version, key, action, response)


@router.post("/{record_id}/cancellation", summary="Record a cancellation, with its reason")
def cancel(
    principal: Recorder,
    ctx: Context,
    ledger: Ledger,
    record_id: UUID,
    body: CancelMission,
    key: Key,
    version: Version,
    response: Response,
) -> CommandAccepted:
    def action(m: Mission) -> None:
        m.cancel(ctx, body.cancelled_on, body.reason)

    return _change(ledger, record_id, version, key, action, response)


@router.post("/{record_id}/evaluation", summary="Record the evaluation (rating 1 to 5)")
def evaluate(
    principal: Recorder,
    ctx: Context,
    ledger: Ledger,
    record_id: UUID,
    body: EvaluateMission,
    key: Key,
    version: Version,
    response: Response,
) -> CommandAccepted:
    def action(m: Mission) -> None:
        m.evaluate(ctx, body.evaluated_on, body.rating, body.findings, body.recommendations)

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
    def action(m: Mission) -> None:
        m.correct(ctx, body.changes, body.reason, body.corrected_on)

    return _change(ledger, record_id, version, key, action, response)


def _change(
    ledger: CooperationLedger,
    record_id: UUID,
    version: int | None,
    key: Idempotency | None,
    action: Callable[[Mission], None],
    response: Response,
) -> CommandAccepted:
    return accepted(ledger.change(Mission, record_id, version, action, key), response)


def _known_post(ledger: CooperationLedger, post_id: UUID | None) -> str | None:
    """The post's id as stored, once it is known to exist in this tenant (422 otherwise)."""
    if post_id is None:
        return None
    try:
        ledger.record(PostAbroad, post_id)
    except NotFoundError:
        raise ValidationError(
            "post_id", "unknown-post", f"no post abroad {post_id} in this directorate"
        ) from None
    return str(post_id)
