"""The directorate's read views: register, board, calendar, country file, report.

Every answer says which log position it reflects. ``min_position`` makes the
request wait (bounded by ``wait_ms``) until the views reflect a position the
client was given by its own command: read-your-writes. ``/views/position``
answers with the position alone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from pydantic import BeforeValidator

from services.tenant.schemas.answers import (
    AGREEMENTS_PAGE,
    ANNUAL_REPORT,
    AWAITING_PAGE,
    COUNTRY_FILE,
    DELEGATIONS_PAGE,
    MISSIONS_PAGE,
    POSITION,
    POSTS_PAGE,
)
from shared.domain.vocabulary import (
    AgreementKind,
    AgreementStatus,
    DelegationStatus,
    MissionStatus,
    MissionType,
    Organisation,
    PostStatus,
    Theme,
    vocabularies,
)
from shared.errors import NotYetVisibleError
from shared.http.iso import iso_date_only
from shared.http.query import LARGEST_ID, whole_number
from shared.http.security import Reader
from shared.http.strict_json import LedgerRoute
from shared.http.vocabulary_schema import VOCABULARIES
from shared.views import queries
from shared.views.response_schemas import json_answer
from shared.views.store import ViewStore
from shared.views.tracking import ViewPosition
from shared.views.waiting import current_position, wait_for_position

router = APIRouter(prefix="/api/{tenant}", tags=["views"], route_class=LedgerRoute)

#: A date in a query: ISO 8601 text only (``?from=0`` is a 422, not 1 January 1970).
QueryDate = Annotated[date, BeforeValidator(iso_date_only)]
MinPosition = Annotated[
    int | None,
    Query(
        ge=0,
        le=LARGEST_ID,
        description="Wait until the views reflect this log position (read-your-writes)",
    ),
]
WaitMs = Annotated[int, Query(ge=0, le=30000, description="Longest wait for min_position, ms")]
Limit = Annotated[int, Query(ge=1, le=queries.MAX_LIMIT, description="Page size")]
Cursor = Annotated[str | None, Query(description="next_cursor of the previous page")]
#: The codes a filter takes, stated in the API's description (the route checks them, with
#: its own refusal naming the rule): they were documented as any text (probe 7).
COUNTRY_CODE: dict[str, Any] = {"pattern": "^[A-Z]{2}$"}


def _coded(description: str, vocabulary: type[StrEnum], *derived: str) -> Any:
    """A filter taking ``vocabulary``'s codes (and ``derived`` ones), stated as an enum."""
    codes = [*(term.value for term in vocabulary), *derived]
    return Query(description=description, json_schema_extra={"enum": codes})


def _country(description: str) -> Any:
    """A filter taking an ISO 3166-1 alpha-2 code, stated as its pattern."""
    return Query(description=description, json_schema_extra=COUNTRY_CODE)


def _read(
    request: Request,
    tenant: str,
    min_position: int | None,
    wait_ms: int,
    read: Callable[[ViewStore], dict[str, Any]],
) -> dict[str, Any]:
    """``read`` of the views, once they reflect ``min_position`` (waiting up to ``wait_ms``).

    The input is checked before any wait: a read whose position is not reached yet
    runs once first, so a bad filter is a 422 at once. It waited the whole ``wait_ms``
    and answered 503 "retry", holding one of the waiting places (probe 7). That first
    answer is not the answer: an empty page reads its position in a second statement,
    which may already see the position its items did not.
    """
    store: ViewStore = request.app.state.platform.views
    if min_position is None or current_position(store, tenant).position >= min_position:
        return read(store)
    read(store)  # refuses bad input now
    _reach(request, tenant, min_position, wait_ms)
    return read(store)


def _reach(request: Request, tenant: str, min_position: int, wait_ms: int) -> ViewPosition:
    """The views' position once they reflect ``min_position``; 503 after ``wait_ms``.

    A position no command gave yet is waited for as any other (a client following
    the views asks for the one after the last it saw), but its 503 says so, with the
    store's last position: a client that made a position up was told only to retry,
    and did for ever (probe 5).
    """
    platform = request.app.state.platform
    try:
        return wait_for_position(
            platform.views,
            tenant,
            min_position,
            timeout_s=wait_ms / 1000,
            signal=platform.passes,
            caller=request.state.principal.subject,  # set by every route's policy
        )
    except NotYetVisibleError as waited:
        last = platform.ledger(tenant).position()
        if min_position <= last:
            raise
        raise NotYetVisibleError(
            f"{waited.detail}; no command gave it yet: the {tenant} event store's last "
            f"position is {last}",
            min_position,
        ) from None


def _today(request: Request, tenant: str) -> date:
    today: date = request.app.state.platform.ledger(tenant).today()
    return today


@router.get(
    "/agreements",
    summary="Agreements register (active, expiring, by country and kind)",
    responses=json_answer(AGREEMENTS_PAGE),
)
def agreements_register(
    principal: Reader,
    request: Request,
    tenant: str,
    status: Annotated[
        str | None,
        _coded("in-force, suspended, terminated, expired", AgreementStatus, "expired"),
    ] = None,
    kind: Annotated[
        str | None,
        _coded("An agreement kind code", AgreementKind),
    ] = None,
    country: Annotated[str | None, _country("ISO 3166-1 alpha-2 partner")] = None,
    expiring_within_days: Annotated[int | None, Query(ge=0, le=3650, examples=[90])] = None,
    reference: Annotated[
        str | None, Query(description="Agreements whose reference holds this text (any case)")
    ] = None,
    theme: Annotated[str | None, _coded("A theme code", Theme)] = None,
    organisation: Annotated[
        str | None,
        _coded("A partner organisation code", Organisation),
    ] = None,
    limit: Limit = queries.DEFAULT_LIMIT,
    cursor: Cursor = None,
    min_position: MinPosition = None,
    wait_ms: WaitMs = 2000,
) -> dict[str, Any]:
    today = _today(request, tenant)  # once, for every read below
    return _read(
        request,
        tenant,
        min_position,
        wait_ms,
        lambda views: queries.agreements_register(
            views,
            tenant,
            today=today,
            status=status,
            kind=kind,
            country=country,
            expiring_within_days=expiring_within_days,
            reference=reference,
            theme=theme,
            organisation=organisation,
            limit=limit,
            cursor=cursor,
        ).as_dict(),
    )


@router.get(
    "/missions",
    summary="Missions board (by status, country, theme, type, year, post)",
    responses=json_answer(MISSIONS_PAGE),
)
def missions_board(
    principal: Reader,
    request: Request,
    tenant: str,
    status: Annotated[
        str | None,
        _coded("A mission status code", MissionStatus),
    ] = None,
    country: Annotated[str | None, _country("ISO 3166-1 alpha-2")] = None,
    theme: Annotated[str | None, _coded("A theme code", Theme)] = None,
    mission_type: Annotated[str | None, _coded("A mission type code", MissionType)] = None,
    year: Annotated[int | None, Query(ge=1900, le=2200)] = None,
    # A UUID: "abc" answered an empty board, as if the post had no mission.
    post_id: Annotated[
        UUID | None,
        Query(
            description=(
                "Missions collected by this post (the request's post_id); the annual report's "
                "by_post counts instead the post covering a mission's country on its start date"
            )
        ),
    ] = None,
    organisation: Annotated[
        str | None,
        _coded("An organisation code", Organisation),
    ] = None,
    limit: Limit = queries.DEFAULT_LIMIT,
    cursor: Cursor = None,
    min_position: MinPosition = None,
    wait_ms: WaitMs = 2000,
) -> dict[str, Any]:
    return _read(
        request,
        tenant,
        min_position,
        wait_ms,
        lambda views: queries.missions_board(
            views,
            tenant,
            status=status,
            country=country,
            theme=theme,
            mission_type=mission_type,
            year=year,
            post_id=None if post_id is None else str(post_id),
            organisation=organisation,
            limit=limit,
            cursor=cursor,
        ).as_dict(),
    )


@router.get(
    "/missions/awaiting-validation",
    summary="Requests waiting for a decision, oldest first",
    responses=json_answer(AWAITING_PAGE),
)
def missions_awaiting_validation(
    principal: Reader,
    request: Request,
    tenant: str,
    limit: Limit = queries.DEFAULT_LIMIT,
    cursor: Cursor = None,
    min_position: MinPosition = None,
    wait_ms: WaitMs = 2000,
) -> dict[str, Any]:
    today = _today(request, tenant)  # once, for every read below
    return _read(
        request,
        tenant,
        min_position,
        wait_ms,
        lambda views: queries.awaiting_validation(
            views,
            tenant,
            today=today,
            limit=limit,
            cursor=cursor,
        ).as_dict(),
    )


@router.get("/delegations", summary="Delegations calendar", responses=json_answer(DELEGATIONS_PAGE))
def delegations_calendar(
    principal: Reader,
    request: Request,
    tenant: str,
    from_date: Annotated[QueryDate | None, Query(alias="from", description="First day")] = None,
    to_date: Annotated[QueryDate | None, Query(alias="to", description="Last day")] = None,
    status: Annotated[
        str | None,
        _coded("planned, hosted, cancelled", DelegationStatus),
    ] = None,
    country: Annotated[str | None, _country("ISO 3166-1 alpha-2")] = None,
    host_site: Annotated[str | None, Query(examples=["Asnières-sur-Seine"])] = None,
    organisation: Annotated[
        str | None,
        _coded("The visiting organisation's code", Organisation),
    ] = None,
    limit: Limit = queries.DEFAULT_LIMIT,
    cursor: Cursor = None,
    min_position: MinPosition = None,
    wait_ms: WaitMs = 2000,
) -> dict[str, Any]:
    return _read(
        request,
        tenant,
        min_position,
        wait_ms,
        lambda views: queries.delegations_calendar(
            views,
            tenant,
            from_date=from_date,
            to_date=to_date,
            status=status,
            country=country,
            host_site=host_site,
            organisation=organisation,
            limit=limit,
            cursor=cursor,
        ).as_dict(),
    )


@router.get(
    "/vocabularies",
    summary="The codes records and figures use: French and English labels, international codes",
    responses=json_answer(VOCABULARIES),
)
def vocabulary_key(_: Reader, tenant: str) -> dict[str, Any]:
    """Each closed vocabulary (themes, mission types and statuses, agreement kinds…),
    every code with its labels; themes with their OECD CRS purpose code, mission
    statuses with their IATI activity status. Records carry the codes only."""
    return vocabularies()


@router.get(
    "/posts",
    summary="Posts directory (where each post sits, which countries it covers)",
    responses=json_answer(POSTS_PAGE),
)
def posts_directory(
    principal: Reader,
    request: Request,
    tenant: str,
    status: Annotated[str | None, _coded("open or closed", PostStatus)] = None,
    host_country: Annotated[
        str | None,
        _country("ISO 3166-1 alpha-2: posts sitting there"),
    ] = None,
    covers: Annotated[
        str | None,
        _country("ISO 3166-1 alpha-2: posts covering it today"),
    ] = None,
    limit: Limit = queries.DEFAULT_LIMIT,
    cursor: Cursor = None,
    min_position: MinPosition = None,
    wait_ms: WaitMs = 2000,
) -> dict[str, Any]:
    today = _today(request, tenant)  # once, for every read below
    return _read(
        request,
        tenant,
        min_position,
        wait_ms,
        lambda views: queries.posts_directory(
            views,
            tenant,
            today=today,
            status=status,
            host_country=host_country,
            covers=covers,
            limit=limit,
            cursor=cursor,
        ).as_dict(),
    )


@router.get(
    "/views/position",
    summary="The log position the views reflect (read-your-writes)",
    responses=json_answer(POSITION),
)
def views_position(
    principal: Reader,
    request: Request,
    tenant: str,
    min_position: MinPosition = None,
    wait_ms: WaitMs = 2000,
) -> dict[str, Any]:
    """The position alone: a client that only needs to know when its write is visible.

    With ``min_position``, answers as soon as the views reflect it (503 after
    ``wait_ms``), like every read; without, at once. Reading a board page to
    learn this costs a count of every matching row (about 8 ms at 60,000
    missions); this is one index look-up.
    """
    platform = request.app.state.platform
    store: ViewStore = platform.views
    if min_position is not None:
        reached = _reach(request, tenant, min_position, wait_ms)
    else:
        reached = current_position(store, tenant)
    return {"tenant": tenant, **reached.as_dict()}


@router.get(
    "/countries/{country}",
    summary="Country file: everything involving one country",
    responses=json_answer(COUNTRY_FILE),
)
def country_file(
    principal: Reader,
    request: Request,
    tenant: str,
    country: str,
    min_position: MinPosition = None,
    wait_ms: WaitMs = 2000,
) -> dict[str, Any]:
    today = _today(request, tenant)
    return _read(
        request,
        tenant,
        min_position,
        wait_ms,
        lambda views: queries.country_file(views, tenant, country, today=today),
    )


@router.get(
    "/reports/annual/{year}",
    summary="Annual activity report, with its counting rules",
    responses=json_answer(ANNUAL_REPORT),
)
def annual_report(
    principal: Reader,
    request: Request,
    tenant: str,
    year: Annotated[int, BeforeValidator(whole_number)],
    min_position: MinPosition = None,
    wait_ms: WaitMs = 2000,
) -> dict[str, Any]:
    return _read(
        request,
        tenant,
        min_position,
        wait_ms,
        lambda views: queries.annual_report(views, tenant, year),
    )
