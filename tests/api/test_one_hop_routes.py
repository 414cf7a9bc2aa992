"""``OneHopRoute``: blocking endpoints still run off the event loop, with the same contract."""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Query
from fastapi.testclient import TestClient
from pydantic import BaseModel

from services.tenant.routes import missions
from shared.http.routing import OneHopRoute, one_hop


class Answer(BaseModel):
    thread: str
    doubled: int


def _dependency(x: Annotated[int, Query(ge=0)]) -> int:
    return x * 2


def _app(calls: list[str]) -> FastAPI:
    router = APIRouter(route_class=OneHopRoute)

    @router.get("/answer")
    def answer(doubled: Annotated[int, Depends(_dependency)]) -> Answer:
        calls.append(threading.current_thread().name)
        return Answer(thread=threading.current_thread().name, doubled=doubled)

    @router.get("/wrong")
    def wrong() -> Answer:
        return {"thread": "x"}  # type: ignore[return-value]  # fails the response model

    app = FastAPI()
    app.include_router(router)
    return app


def test_a_blocking_endpoint_runs_in_a_worker_thread_with_its_parameters() -> None:
    calls: list[str] = []
    with TestClient(_app(calls)) as client:
        loop_thread = client.portal.call(lambda: threading.current_thread().name)  # type: ignore[union-attr]
        answer = client.get("/answer", params={"x": 21})
        assert answer.status_code == 200
        assert answer.json()["doubled"] == 42
        assert calls
        assert calls[0] != loop_thread  # not on the event loop
        assert client.get("/answer", params={"x": -1}).status_code == 422


def test_the_response_model_is_still_enforced() -> None:
    with TestClient(_app([]), raise_server_exceptions=False) as client:
        assert client.get("/wrong").status_code == 500


def test_the_openapi_document_keeps_the_endpoint_signature() -> None:
    schema = _app([]).openapi()
    parameters = schema["paths"]["/answer"]["get"]["parameters"]
    assert [p["name"] for p in parameters] == ["x"]
    assert "Answer" in schema["components"]["schemas"]


def test_tenant_routes_are_one_hop() -> None:
    routes = [r for r in missions.router.routes if isinstance(r, OneHopRoute)]
    assert len(routes) == len(missions.router.routes) > 0
    assert one_hop(missions.request) is not missions.request  # blocking: wrapped
