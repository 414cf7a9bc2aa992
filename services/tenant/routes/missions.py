"""Missions: request, validate or decline, schedule, launch, complete, cancel (and withdraw a
cancellation), evaluate.

Recorders record; validators decide (validation and decline), so one person
cannot both collect a request and approve it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Response, status
from fastapi.responses import JSONResponse

from services.tenant.context import Context, Ledger
from services.tenant.routes.changes import Key, change_route, correction_route
from services.tenant.schemas.common import Correction, InvalidItem, Withdrawal, record_state
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
from shared.application.ledger import CooperationLedger
from shared.domain.context import CommandContext
from shared.domain.mission import Mission
from shared.domain.post import PostAbroad
from shared.errors import NotFoundError, ValidationError
from shared.http.commands import (
    CommandAccepted,
    ImportAccepted,
    accepted,
    etag,
    imported,
)
from shared.http.problems import problem
from shared.http.security import Public, Reader, Recorder, Validator
from shared.http.strict_json import LedgerRoute
from shared.views.record_schemas import MISSION_RECORD
from shared.views.response_schemas import json_answer

router = APIRouter(prefix="/api/{tenant}/missions", tags=["missions"], route_class=LedgerRoute)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Record a foreign request")
def request(
    principal: Recorder,
    ctx: Context,
    ledger: Ledger,
    body: RequestMission,
    key: Key,
    response: Response,
) -> CommandAccepted:
    post = _known_post(ledger, body.post_id)
    post_id = _collecting(post, body.requested_on)
    result = ledger.create(_requested(ctx, ledger, body, post_id, post), key)
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
    posts: dict[UUID, PostAbroad | None] = {}

    def build(item: RequestMission | InvalidItem) -> Callable[[UUID], Mission]:
        def built(id_: UUID) -> Mission:
            if isinstance(item, InvalidItem):
                raise item.rejected()  # named beside the others' rule breaks
            post, post_id = None, None
            if item.post_id is not None:
                if item.post_id not in posts:  # each post looked up once per import
                    posts[item.post_id] = _known_post(ledger, item.post_id)
                post = posts[item.post_id]
                post_id = _collecting(post, item.requested_on)
            return _requested(ctx, ledger, item, post_id, post)(id_)

        return built

    result = create_all(ledger, [build(item) for item in body.items], key)
    return imported(result, response)


@router.api_route(
    "/imports", methods=["GET", "PUT", "PATCH", "DELETE", "OPTIONS"], include_in_schema=False
)
def imports_by_another_method(_: Annotated[None, Depends(Public())]) -> JSONResponse:
    """405 naming ``POST``: without this route, ``GET /missions/imports`` was read as
    the mission whose id is "imports" and answered 422 on the id, not on the method.
    Open, as Starlette's own 405 is: it is answered before any credential is read."""
    return problem(
        405,
        "method-not-allowed",
        "Method not allowed",
        "imports are recorded with POST; each recorded mission is read at its own URL",
        headers={"Allow": "POST"},
    )


def _requested(
    ctx: CommandContext,
    ledger: CooperationLedger,
    body: RequestMission,
    post_id: str | None,
    post: PostAbroad | None = None,
) -> Callable[[UUID], Mission]:
    """Builds the new mission of one request body (the domain runs its guards first)."""

    def build(id_: UUID) -> Mission:
        mission = _new_mission(ctx, ledger, body, post_id, id_)
        _covering(post, mission.countries, body.requested_on)
        return mission

    return build


def _covering(post: PostAbroad | None, countries: list[str], requested_on: date) -> None:
    """Refuses a post that covered none of the mission's countries the day it was requested.

    A post collects the requests of the countries it covers: a mission to Senegal
    collected by the post in Hanoi was accepted, and the country file of Senegal
    listed it under a post that never covered it.
    """
    if post is None:
        return
    covered = post.covered_on(requested_on)
    if not set(countries) & set(covered):
        raise ValidationError(
            "post_id",
            "post-not-covering",
            f"the post {post.name} covered {', '.join(covered) or 'no country'} on "
            f"{requested_on.isoformat()}, none of the mission's countries "
            f"({', '.join(countries)})",
        )


def _new_mission(
    ctx: CommandContext,
    ledger: CooperationLedger,
    body: RequestMission,
    post_id: str | None,
    id_: UUID,
) -> Mission:
    return Mission.request(
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
        today=ledger.latest_today(),
    )


@router.get(
    "/{record_id}",
    summary="One mission's current state",
    responses=json_answer(MISSION_RECORD),
)
def read(principal: Reader, ledger: Ledger, record_id: UUID, response: Response) -> dict[str, Any]:
    record = ledger.record(Mission, record_id)
    etag(response, record.version)
    return record_state(record)


change_route(
    router,
    "/{record_id}/validation",
    name="validate",
    summary="Record the decision to go ahead",
    record=Mission,
    body=ValidateMission,
    apply=lambda m, ctx, b: m.validate(ctx, b.decided_on, b.decided_by, b.decision_reference),
    role=Validator,
)
change_route(
    router,
    "/{record_id}/decline",
    name="decline",
    summary="Record the decision to decline, with its reason",
    record=Mission,
    body=DeclineMission,
    apply=lambda m, ctx, b: m.decline(
        ctx, b.decided_on, b.decided_by, b.decision_reference, b.reason
    ),
    role=Validator,
)
change_route(
    router,
    "/{record_id}/schedule",
    name="schedule",
    summary="Set or change dates, place, experts, budget",
    record=Mission,
    body=ScheduleMission,
    apply=lambda m, ctx, b: m.schedule(
        ctx,
        b.start_date,
        b.end_date,
        b.place,
        b.expert_count,
        b.budget.pair() if b.budget else None,
        b.scheduled_on,
    ),
)
change_route(
    router,
    "/{record_id}/launch",
    name="launch",
    summary="Record that delivery has begun",
    record=Mission,
    body=LaunchMission,
    apply=lambda m, ctx, b: m.launch(ctx, b.launched_on),
)
change_route(
    router,
    "/{record_id}/completion",
    name="complete",
    summary="Record delivery: participants, cost, outcome",
    record=Mission,
    body=CompleteMission,
    apply=lambda m, ctx, b: m.complete(
        ctx,
        b.completed_on,
        b.participants,
        b.actual_cost.pair() if b.actual_cost else None,
        b.outcome,
    ),
)
change_route(
    router,
    "/{record_id}/cancellation",
    name="cancel",
    summary="Record a cancellation, with its reason",
    record=Mission,
    body=CancelMission,
    apply=lambda m, ctx, b: m.cancel(ctx, b.cancelled_on, b.reason),
)
change_route(
    router,
    "/{record_id}/cancellation-withdrawal",
    name="withdraw_cancellation",
    summary="Withdraw a cancellation recorded by mistake, with a reason",
    description=(
        "The mission goes on from the status it had (validated, scheduled or launched), "
        "counted again in every figure and overlap. The cancellation and its withdrawal "
        "both stay in the history."
    ),
    record=Mission,
    body=Withdrawal,
    apply=lambda m, ctx, b: m.withdraw_cancellation(ctx, b.reason, b.corrected_on),
)
change_route(
    router,
    "/{record_id}/evaluation",
    name="evaluate",
    summary="Record the evaluation (rating 1 to 5)",
    record=Mission,
    body=EvaluateMission,
    apply=lambda m, ctx, b: m.evaluate(
        ctx, b.evaluated_on, b.rating, b.findings, b.recommendations
    ),
)
correction_route(router, Mission, check=lambda ledger, m, b: _corrected_post(ledger, m, b.changes))
change_route(
    router,
    "/{record_id}/decision-withdrawal",
    name="withdraw_decision",
    summary="Withdraw a decision recorded by mistake, with a reason",
    description=(
        "Undoes the decision while it is the mission's last step: a decline, or a "
        "validation before any scheduling. The request waits for a decision again. A "
        "validator's, as the decision itself; the decision and its withdrawal both stay "
        "in the history."
    ),
    record=Mission,
    body=Withdrawal,
    apply=lambda m, ctx, b: m.withdraw_decision(ctx, b.reason, b.corrected_on),
    role=Validator,
)
change_route(
    router,
    "/{record_id}/decision-correction",
    name="correct_decision",
    summary="Correct the recorded decision (who, when, reference), with a reason",
    description=(
        "Fields it may name: `decided_on`, `decided_by`, `decision_reference`, once the "
        "request is validated or declined, as of a day not before the decision. A "
        "validator's, as the decision itself; the original stays in the history."
    ),
    record=Mission,
    body=Correction,
    apply=lambda m, ctx, b: m.correct(ctx, b.changes, b.reason, b.corrected_on, decision=True),
    role=Validator,
)


def _corrected_post(ledger: CooperationLedger, mission: Mission, changes: dict[str, Any]) -> None:
    """A corrected collecting post, or corrected countries or request day of a mission a
    post collected, are held to the request's rules: a post of this directorate, open
    and covering one of the mission's countries the day it was requested (a redated
    coverage can leave a mission under a post that no longer did). Read on the
    corrected mission; ``post_id`` ``null`` says no post collected it."""
    named = next((n for n in ("post_id", "countries", "requested_on") if n in changes), None)
    if named is None or mission.post_id is None:
        return
    try:
        post = _known_post(ledger, UUID(mission.post_id))
        _collecting(post, mission.requested_on)
        _covering(post, mission.countries, mission.requested_on)
    except ValidationError as error:
        raise ValidationError(f"changes.{named}", error.rule, error.detail) from None


def _known_post(ledger: CooperationLedger, post_id: UUID | None) -> PostAbroad | None:
    """The post, once it is known to exist in this tenant (422 otherwise)."""
    if post_id is None:
        return None
    try:
        return ledger.record(PostAbroad, post_id)
    except NotFoundError:
        raise ValidationError(
            "post_id", "unknown-post", f"no post abroad {post_id} in this directorate"
        ) from None


def _collecting(post: PostAbroad | None, requested_on: date) -> str | None:
    """The post's id as stored, if it was open on the day the request was collected.

    A post opened after the request, or closed by then, cannot have collected it:
    the country file and the annual report by post would count it there.
    """
    if post is None:
        return None
    closed_on = post.closed_on
    if requested_on < post.opened_on or (closed_on is not None and requested_on >= closed_on):
        when = f"opened on {post.opened_on.isoformat()}" + (
            f", closed on {closed_on.isoformat()}" if closed_on is not None else ""
        )
        raise ValidationError(
            "post_id",
            "post-not-open",
            f"the post {post.name} ({when}) was not open on {requested_on.isoformat()}, "
            "when the request was made",
        )
    return str(post.id)
