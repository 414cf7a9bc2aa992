"""``/api/reporting/…``: consolidated figures, matrix, agreements, overlaps, alerts.

Every route declares ``ReportingReader`` first (only ``reporting:reader``; an
auditor reads the tenants' own views and the audit API instead), then records
the read in the access log *before* answering: a read the log cannot record is
not served. Every answer states its counting rule and, per directorate, the
log position it reflects; ``?format=csv|xlsx`` turns it into a file.

The routes find the service on ``request.app.state.reporting``, so the same
router serves the standalone app and the embedded server (``embedded.mount``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BeforeValidator

from services.reporting import answers
from services.reporting.bootstrap import ReportingService
from shared.auth.roles import Principal
from shared.domain.vocabulary import vocabularies
from shared.errors import ValidationError
from shared.http.iso import iso_date_only
from shared.http.query import LARGEST_ID
from shared.http.security import ReportingReader
from shared.http.vocabulary_schema import VOCABULARIES
from shared.reporting import queries, sheets
from shared.reporting.exports import XLSX_TYPE, context_headers, render
from shared.reporting.labels import labelled
from shared.reporting.queries.overlaps import MAX_LIMIT
from shared.reporting.tracking import as_of
from shared.views.response_schemas import json_answer

router = APIRouter(prefix="/api/reporting", tags=["reporting"])
#: Overlaps per JSON page when the request names no limit.
DEFAULT_PAGE = 50

Country = Annotated[str | None, Query(description="ISO 3166-1 alpha-2 code", examples=["VN"])]
Directorate = Annotated[str | None, Query(description="A tenant slug", examples=["police"])]
Year = Annotated[int | None, Query(ge=1900, le=2200, description="Year of the start date")]
MissionType = Annotated[
    str | None, Query(alias="type", description="A mission type code", examples=["seminar"])
]
Theme = Annotated[str | None, Query(description="A theme code", examples=["cybercrime"])]
On = Annotated[
    Annotated[date, BeforeValidator(iso_date_only)] | None,
    Query(description="Reference date for agreements in force (ISO 8601)"),
]
Format = Annotated[
    Literal["json", "csv", "xlsx"], Query(description="json (default), or a csv or xlsx file")
]
Lang = Annotated[
    Literal["fr", "en"] | None,
    Query(
        description=(
            "Files only: columns titled and codes (countries, themes, types, statuses, "
            "agreement kinds) named in French or English; without it, the codes"
        )
    ),
]
GroupBy = Annotated[
    list[str] | None,
    Query(description="Dimensions of the cells (repeat or comma-separate); default: all five"),
]


def json_or_file(schema: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    """A route's ``responses``: ``schema`` in JSON, or with ``?format=csv|xlsx`` a file."""
    return {
        200: {
            "description": "JSON, or with `format`, the same answer as a file",
            "content": {
                "application/json": {"schema": schema},
                "text/csv": {"schema": {"type": "string"}},
                XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
            },
        }
    }


def _service(request: Request) -> ReportingService:
    service: ReportingService = request.app.state.reporting
    return service


def _record(request: Request, principal: Principal, action: str, tenant: str | None) -> None:
    """Writes the read to the access log (raises, and so refuses the read, if it cannot)."""
    resource = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    _service(request).access.record(principal, f"reporting.{action}", resource, tenant)


def _respond(
    answer: dict[str, Any],
    format: str,
    to_sheet: Callable[[Mapping[str, Any]], sheets.Sheet],
    lang: Literal["fr", "en"] | None,
) -> dict[str, Any] | Response:
    if format == "json":
        if lang is not None:  # refused, never ignored (see ``overlaps``)
            raise ValidationError(
                "lang", "file-only", "lang names a file's language: ask for format=csv or xlsx"
            )
        return answer
    sheet = to_sheet(answer)
    if lang is not None:
        sheet = labelled(sheet, lang)
    export = render(sheet, "csv" if format == "csv" else "xlsx")
    headers = {"Content-Disposition": f'attachment; filename="{export.filename}"'}
    headers.update(context_headers(sheet))
    return Response(export.content, media_type=export.media_type, headers=headers)


@router.get(
    "/figures",
    summary="Actions and budgets by country × directorate × year × type × theme",
    responses=json_or_file(answers.FIGURES),
)
def figures(
    principal: ReportingReader,
    request: Request,
    country: Country = None,
    directorate: Directorate = None,
    year: Year = None,
    mission_type: MissionType = None,
    theme: Theme = None,
    group_by: GroupBy = None,
    format: Format = "json",
    lang: Lang = None,
) -> Any:
    _record(request, principal, "figures", directorate)
    service = _service(request)
    filters = queries.Filters(country, directorate, year, mission_type, theme)
    dimensions = queries.DIMENSIONS if group_by is None else group_by_names(group_by)
    answer = queries.figures(service.store, service.tenants, filters, dimensions)
    return _respond(answer, format, sheets.figures_sheet, lang)


def group_by_names(values: list[str]) -> list[str]:
    """The dimensions ``group_by`` names: repeated or comma-separated, each once.

    ``group_by=`` alone asks for the totals. A blank between commas or a
    dimension named twice was dropped silently (``,,`` answered the totals).
    """
    if values == [""]:
        return []
    names = [name.strip() for value in values for name in value.split(",")]
    if "" in names:
        raise ValidationError(
            "group_by", "format", "group_by names dimensions separated by commas, none empty"
        )
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ValidationError("group_by", "repeated", f"group_by names {twice[0]!r} twice")
    return names


@router.get(
    "/matrix",
    summary="Who works with which country on which theme",
    responses=json_or_file(answers.MATRIX),
)
def matrix(
    principal: ReportingReader,
    request: Request,
    country: Country = None,
    directorate: Directorate = None,
    year: Year = None,
    mission_type: MissionType = None,
    theme: Theme = None,
    on: On = None,
    format: Format = "json",
    lang: Lang = None,
) -> Any:
    _record(request, principal, "matrix", directorate)
    service = _service(request)
    filters = queries.Filters(country, directorate, year, mission_type, theme)
    reference = queries.reference_date(on, year, service.today())
    answer = queries.matrix(service.store, service.tenants, filters, reference)
    return _respond(answer, format, sheets.matrix_sheet, lang)


@router.get(
    "/agreements/in-force",
    summary="Agreements in force by partner country",
    responses=json_or_file(answers.AGREEMENTS_IN_FORCE),
)
def agreements_in_force(
    principal: ReportingReader,
    request: Request,
    country: Country = None,
    directorate: Directorate = None,
    theme: Theme = None,
    year: Annotated[int | None, Query(ge=1900, le=2200, description="On 31 December")] = None,
    on: On = None,
    format: Format = "json",
    lang: Lang = None,
) -> Any:
    _record(request, principal, "agreements", directorate)
    service = _service(request)
    reference = queries.reference_date(on, year, service.today())
    filters = queries.Filters(country=country, directorate=directorate, theme=theme)
    answer = queries.agreements_in_force(service.store, service.tenants, filters, reference)
    return _respond(answer, format, sheets.agreements_sheet, lang)


@router.get(
    "/overlaps",
    summary="Missions of two directorates: same country, theme and dates",
    responses=json_or_file(answers.OVERLAPS),
)
def overlaps(
    principal: ReportingReader,
    request: Request,
    country: Country = None,
    directorate: Directorate = None,
    year: Year = None,
    mission_type: MissionType = None,
    theme: Theme = None,
    limit: Annotated[
        int | None, Query(ge=1, le=MAX_LIMIT, description="Page size (JSON only; default 50)")
    ] = None,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    format: Format = "json",
    lang: Lang = None,
) -> Any:
    """A page in JSON; a file holds every overlap the filters select (one snapshot).

    A file refuses ``cursor`` and ``limit`` rather than ignore them: ``limit=5`` with a
    file gave every overlap, and a parameter is refused, never ignored.
    """
    _record(request, principal, "overlaps", directorate)
    service = _service(request)
    filters = queries.Filters(country, directorate, year, mission_type, theme)
    for name, given in (("cursor", cursor), ("limit", limit)):
        if given is not None and format != "json":
            raise ValidationError(
                name, "whole-list", f"a file holds every overlap the filters select: no {name}"
            )
    size = (limit or DEFAULT_PAGE) if format == "json" else None
    answer = queries.overlaps(service.store, service.tenants, filters, limit=size, cursor=cursor)
    return _respond(answer, format, sheets.overlaps_sheet, lang)


@router.get(
    "/vocabularies",
    summary="The codes the figures use: French and English labels, international codes",
    responses=json_answer(VOCABULARIES),
)
def vocabulary_key(principal: ReportingReader, request: Request) -> dict[str, Any]:
    """The key to the figures' codes (``group_by=theme``, ``type``…): every code with
    its labels; themes with their OECD CRS purpose code, mission statuses with their
    IATI activity status, so consolidated figures can be exchanged in those codelists.

    Recorded in the access log as every reporting read is (it was not: probe 12)."""
    _record(request, principal, "vocabularies", None)
    return vocabularies()


@router.get(
    "/alerts",
    summary="Overlap alert events, in the order they were raised",
    responses=json_answer(answers.ALERTS),
)
def alerts(
    principal: ReportingReader,
    request: Request,
    after: Annotated[
        int, Query(ge=0, le=LARGEST_ID, description="next_after of the previous page")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
) -> dict[str, Any]:
    _record(request, principal, "alerts", None)
    service = _service(request)
    return queries.alerts(service.store, service.tenants, after=after, limit=limit)


@router.get(
    "/status",
    summary="Positions reflected per directorate, and the projector's state",
    responses=json_answer(answers.STATUS),
)
def status(principal: ReportingReader, request: Request) -> dict[str, Any]:
    _record(request, principal, "status", None)
    service = _service(request)
    runner = service.runner
    failure = None if runner.failure is None else str(runner.failure)
    with service.store.read() as session:
        reflected = as_of(session, service.tenants)
    return {
        "running": runner.is_alive(),
        "stopped_by_error": runner.stopped_by_error,
        # Passes failing and retried for a while (an undecodable stored event, a database
        # that refuses): ``failure`` said why while the two fields above said all was well.
        "failing": runner.failing,
        "failure": failure,
        # A directorate whose events an error stopped; the others' figures go on.
        "stopped_tenants": {tenant: str(error) for tenant, error in runner.stopped_tenants.items()},
        "positions": {tenant: found["position"] for tenant, found in reflected.items()},
        "as_of": reflected,
    }
