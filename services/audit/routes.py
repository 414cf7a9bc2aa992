"""The audit API, for the ``auditor`` role only, read-only, and itself recorded.

Every route's first dependency is ``Audited(action)``: it verifies the token
(the ``Auditor`` policy), then appends who asked for what to the access log,
before anything is read. If the access log cannot record, nothing is served (503).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path as PathType
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BeforeValidator

from services.audit import answers
from services.audit.bootstrap import AuditService
from services.audit.schemas import (
    AccessLogEntry,
    AccessLogPage,
    AuditedHistory,
    StateAsOf,
    Tenants,
)
from shared.application.ledger import CooperationLedger
from shared.audit.history import Axis, record_history, state_as_of
from shared.audit.views_as_of import ViewsAsOf, replay_business, replay_until
from shared.auth.roles import Principal
from shared.domain.reference import country as iso_country
from shared.errors import ValidationError
from shared.http.iso import iso_instant_text
from shared.http.query import LARGEST_ID
from shared.http.security import Auditor
from shared.views import queries
from shared.views.queries import Page
from shared.views.response_schemas import json_answer

router = APIRouter(prefix="/api/audit", tags=["audit"])


def _service(request: Request) -> AuditService:
    service: AuditService = request.app.state.audit
    return service


class Audited:
    """The ``Auditor`` policy, then one access-log entry for this request."""

    def __init__(self, action: str) -> None:
        self.action = action

    def __call__(self, request: Request, principal: Auditor) -> Principal:
        query = f"?{request.url.query}" if request.url.query else ""
        tenant = request.path_params.get("tenant")
        _service(request).access.record(principal, self.action, request.url.path + query, tenant)
        return principal


Service = Annotated[AuditService, Depends(_service)]


#: An instant in a query: ISO 8601 text (its offset is checked where it is used).
Instant = Annotated[datetime, BeforeValidator(iso_instant_text)]
At = Annotated[
    Instant,
    Query(description="An ISO 8601 instant with its offset, e.g. 2013-04-01T00:00:00Z"),
]


@router.get("/tenants", summary="The tenants this audit service reads", response_model=Tenants)
def tenants(
    _: Annotated[Principal, Depends(Audited("audit.tenants"))], service: Service
) -> Tenants:
    return Tenants(tenants=service.tenants)


@router.get(
    "/{tenant}/records/{record_id}/history",
    summary="Every event of any record: who, both times, and the change it made",
    response_model=AuditedHistory,
)
def history(
    _: Annotated[Principal, Depends(Audited("audit.history"))],
    service: Service,
    tenant: str,
    record_id: UUID,
) -> AuditedHistory:
    return AuditedHistory.of(record_history(service.ledger(tenant), record_id))


def _as_of(
    service: AuditService, tenant: str, record_id: UUID, at: datetime, axis: Axis
) -> StateAsOf:
    _utc("at", at)  # refused as the access log's bounds are; answered as given
    return StateAsOf.of(state_as_of(service.ledger(tenant), record_id, at, axis))


@router.get(
    "/{tenant}/records/{record_id}/as-of/recorded",
    summary="The record as the ledger showed it at a recorded time",
    description="Replays the record's events recorded at or before `at`, in version order.",
    response_model=StateAsOf,
)
def state_as_of_recorded_time(
    _: Annotated[Principal, Depends(Audited("audit.as-of-recorded"))],
    service: Service,
    tenant: str,
    record_id: UUID,
    at: At,
) -> StateAsOf:
    return _as_of(service, tenant, record_id, at, "recorded")


@router.get(
    "/{tenant}/records/{record_id}/as-of/business",
    summary="The record as it is now known to have been at a business time",
    description=(
        "Replays the record's events whose business time is at or before `at`, in version "
        "order, whenever they were recorded: a correction counts from its own business time. "
        "`left_out` lists the versions dated after `at`."
    ),
    response_model=StateAsOf,
)
def state_as_of_business_time(
    _: Annotated[Principal, Depends(Audited("audit.as-of-business"))],
    service: Service,
    tenant: str,
    record_id: UUID,
    at: At,
) -> StateAsOf:
    return _as_of(service, tenant, record_id, at, "business")


def _utc(name: str, moment: datetime | None) -> datetime | None:
    """``moment`` in UTC; a 422 naming ``name`` when it has no offset or no UTC form.

    ``9999-12-31T23:59:59-14:00`` is a valid instant whose UTC form lies past year 9999,
    which no datetime holds: the conversion's OverflowError was a 500.
    """
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise ValidationError(
            name,
            "timezone",
            f"give {name} with a time and its offset, e.g. 2013-04-01T00:00:00Z "
            "(a day alone, or a time without offset, names no instant)",
        )
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValidationError(
            name, "range", f"{name} must fall between years 1 and 9999 once written in UTC"
        ) from None


@router.get("/access-log", summary="Who consulted what, when (oldest first)")
def access_log(
    _: Annotated[Principal, Depends(Audited("audit.access-log"))],
    service: Service,
    subject: str | None = None,
    tenant: str | None = None,
    action: Annotated[
        str | None, Query(description="An action, or a prefix ending in '.' (audit., reporting.)")
    ] = None,
    since: Annotated[Instant | None, Query(description="ISO 8601, with its offset")] = None,
    until: Annotated[Instant | None, Query(description="ISO 8601, with its offset")] = None,
    after: Annotated[
        int, Query(ge=0, le=LARGEST_ID, description="The cursor: the last id already seen")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AccessLogPage:
    since, until = _utc("since", since), _utc("until", until)
    if since is not None and until is not None and until < since:  # answered nothing
        raise ValidationError("until", "dates-in-order", "until is before since")
    if tenant is not None and tenant not in service.tenants:  # "POLICE" answered nothing
        known = ", ".join(sorted(service.tenants))
        raise ValidationError("tenant", "unknown-tenant", f"tenant is one of {known}")
    entries = service.access.entries(
        subject=subject,
        tenant=tenant,
        action=action,
        since=since,
        until=until,
        after=after,
        limit=limit,
    )
    next_cursor = entries[-1].id if len(entries) == limit else None
    return AccessLogPage(items=[AccessLogEntry.of(e) for e in entries], next_cursor=next_cursor)


# The views as of a past recorded or business time: the store replayed up to ``at`` into
# scratch views (``shared.audit.views_as_of``), read by the directorates' own queries with
# ``at``'s day as today. As of a business time, each record's events dated at or before
# ``at``, as its own read as of a business time applies them; a record they cannot make is
# listed in ``left_out_records``.
AS_OF_VIEW: dict[str, str] = {
    "recorded": (
        "Replays the tenant's events recorded at or before `at` into scratch views and reads "
        "them as the directorate's route does, with `at`'s day (UTC) as today. The first read "
        "of an instant replays the whole store (minutes for a million events); the last few "
        "replays are kept."
    ),
    "business": (
        "What is now known to have been true at `at`: each record's events whose business "
        "time is at or before `at` (a correction from its own date), replayed into scratch "
        "views and read as the directorate's route does, with `at`'s day (UTC) as today. A "
        "record whose events dated then cannot be applied without the ones left out is "
        "listed in `left_out_records` (its own read as of that business time answers 409). "
        "The first read of an instant replays the whole store; the last few are kept."
    ),
}
AXES: dict[str, Callable[[CooperationLedger, datetime, PathType], ViewsAsOf]] = {
    "recorded": replay_until,
    "business": replay_business,
}
Limit = Annotated[int, Query(ge=1, le=queries.MAX_LIMIT, description="Page size")]
Cursor = Annotated[str | None, Query(description="next_cursor of the previous page")]
AUDITED_VIEW: dict[str, Any] = {
    "recorded": Annotated[Principal, Depends(Audited("audit.view-as-of-recorded"))],
    "business": Annotated[Principal, Depends(Audited("audit.view-as-of-business"))],
}


def _view_as_of(
    service: AuditService,
    tenant: str,
    at: datetime,
    axis: Axis,
    query: Callable[[ViewsAsOf], dict[str, Any]],
) -> dict[str, Any]:
    instant = _utc("at", at)
    assert instant is not None
    answer, left_out = service.as_of_views.read(
        service.ledger(tenant),
        instant,
        lambda views: (query(views), views.left_out),
        AXES[axis],
        axis,
    )
    # What this adds to the directorate's answer is stated in ``answers`` (``_SAID``).
    said: dict[str, Any] = {f"as_of_{axis}": instant.isoformat()}
    if axis == "business":
        said["left_out_records"] = list(left_out)
    return {**answer, **said}


#: A list view read as of ``at``: the views as of then, the page size, the cursor.
ListAsOf = Callable[[ViewsAsOf, int, str | None], Page]


def _list_as_of(view: str, what: str, name: str, query: ListAsOf) -> None:
    """``GET /{tenant}/as-of/<axis>/<view>``: one page of that list as it stood then."""
    for axis in AXES:
        _list_route(view, f"{what} as it stood at a {axis} time", f"{name}_{axis}", axis, query)


def _list_route(view: str, summary: str, name: str, axis: Any, query: ListAsOf) -> None:
    def endpoint(
        _: Any,
        service: Service,
        tenant: str,
        at: At,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> dict[str, Any]:
        return _view_as_of(service, tenant, at, axis, lambda v: query(v, limit, cursor).as_dict())

    endpoint.__annotations__ = {**endpoint.__annotations__, "_": AUDITED_VIEW[axis]}
    endpoint.__name__ = endpoint.__qualname__ = name
    router.get(
        f"/{{tenant}}/as-of/{axis}/{view}",
        summary=summary,
        description=AS_OF_VIEW[axis],
        responses=json_answer(answers.page_as_of(view, axis)),
    )(endpoint)


_list_as_of(
    "agreements",
    "The agreements register",
    "agreements_as_of",
    lambda v, limit, cursor: queries.agreements_register(
        v.store, v.tenant, today=v.today, limit=limit, cursor=cursor
    ),
)
_list_as_of(
    "missions",
    "The missions board",
    "missions_as_of",
    lambda v, limit, cursor: queries.missions_board(v.store, v.tenant, limit=limit, cursor=cursor),
)
_list_as_of(
    "delegations",
    "The delegations calendar",
    "delegations_as_of",
    lambda v, limit, cursor: queries.delegations_calendar(
        v.store, v.tenant, limit=limit, cursor=cursor
    ),
)
_list_as_of(
    "posts",
    "The posts directory",
    "posts_as_of",
    lambda v, limit, cursor: queries.posts_directory(
        v.store, v.tenant, today=v.today, limit=limit, cursor=cursor
    ),
)


def _country_route(axis: Any) -> None:
    def country_as_of(
        _: Any, service: Service, tenant: str, country: str, at: At
    ) -> dict[str, Any]:
        iso_country(country, "country")  # refused before any replay
        return _view_as_of(
            service,
            tenant,
            at,
            axis,
            lambda v: queries.country_file(v.store, v.tenant, country, today=v.today),
        )

    country_as_of.__annotations__ = {**country_as_of.__annotations__, "_": AUDITED_VIEW[axis]}
    country_as_of.__name__ = country_as_of.__qualname__ = f"country_as_of_{axis}"
    router.get(
        f"/{{tenant}}/as-of/{axis}/countries/{{country}}",
        summary=f"A country file as it stood at a {axis} time",
        description=AS_OF_VIEW[axis],
        responses=json_answer(answers.country_file_as_of(axis)),
    )(country_as_of)


def _report_route(axis: Any) -> None:
    def annual_report_as_of(
        _: Any,
        service: Service,
        tenant: str,
        year: Annotated[int, Path(ge=1900, le=2200)],
        at: At,
    ) -> dict[str, Any]:
        return _view_as_of(
            service, tenant, at, axis, lambda v: queries.annual_report(v.store, v.tenant, year)
        )

    annual_report_as_of.__annotations__ = {
        **annual_report_as_of.__annotations__,
        "_": AUDITED_VIEW[axis],
    }
    annual_report_as_of.__name__ = annual_report_as_of.__qualname__ = f"annual_report_as_of_{axis}"
    router.get(
        f"/{{tenant}}/as-of/{axis}/reports/annual/{{year}}",
        summary=f"The annual activity report as it stood at a {axis} time",
        description=AS_OF_VIEW[axis],
        responses=json_answer(answers.annual_report_as_of(axis)),
    )(annual_report_as_of)


for _axis in AXES:
    _country_route(_axis)
    _report_route(_axis)
