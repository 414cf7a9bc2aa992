"""The history of a record: every event with who, when recorded and when it happened."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from eventsourcing.sqlite import SQLiteApplicationRecorder

from shared.audit.errors import UnknownRecordError
from shared.audit.history import record_history
from shared.errors import AlteredHistoryError, EntenteError

from .conftest import CREATE, problem

if TYPE_CHECKING:
    from .conftest import Api

PREFIX = "fr.interieur.entente"


def _subject(username: str) -> str:
    """The dev issuer's subject for a demo user (what Keycloak's ``sub`` is)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"entente-demo:{username}"))


def test_a_mission_history_lists_every_step_with_its_actor_and_both_times(api: Api) -> None:
    started = datetime.now(UTC)
    record = api.walk("missions", "validation", "schedule")

    response = api.get(f"{record.path}/history")

    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"3"'
    history = response.json()
    assert (history["id"], history["type"], history["version"]) == (record.id, "mission", 3)
    events = history["events"]
    assert [(e["type"], e["version"]) for e in events] == [
        (f"{PREFIX}.mission.requested.v1", 1),
        (f"{PREFIX}.mission.validated.v1", 2),
        (f"{PREFIX}.mission.scheduled.v1", 3),
    ]
    assert [e["business_time"] for e in events] == [
        "2013-03-14T00:00:00Z",
        "2013-04-02T00:00:00Z",
        "2013-05-20T00:00:00Z",
    ]
    assert [e["recorded_by"] for e in events] == [
        {"id": _subject("police-recorder"), "name": "Demo police recorder"},
        {"id": _subject("police-validator"), "name": "Demo police validator"},
        {"id": _subject("police-recorder"), "name": "Demo police recorder"},
    ]
    recorded = [datetime.fromisoformat(e["recorded_at"]) for e in events]
    assert recorded == sorted(recorded)
    assert started - timedelta(seconds=1) <= recorded[0] <= datetime.now(UTC)
    assert events[1]["data"] == {
        "decided_on": "2013-04-02",
        "decided_by": "Ministère de l'Europe et des Affaires étrangères",
        "decision_reference": "MEAE/DCSD/2013-118",
    }
    assert events[2]["data"]["budget_amount"] == "24000.00"
    assert {e["classification"] for e in events} == {"internal"}
    assert len({e["id"] for e in events}) == 3


def test_the_correlation_and_causation_ids_sent_are_kept(api: Api) -> None:
    headers = {"X-Correlation-Id": "corr-2024-0042", "X-Causation-Id": "mail-17"}
    created = api.post("/api/police/posts", CREATE["posts"], headers=headers)

    events = api.get(f"/api/police/posts/{created.json()['id']}/history").json()["events"]

    assert (events[0]["correlation_id"], events[0]["causation_id"]) == ("corr-2024-0042", "mail-17")


@pytest.mark.opens_posts
def test_a_correction_stays_in_the_history_with_its_reason(api: Api) -> None:
    record = api.walk("posts", "corrections")

    events = api.get(f"{record.path}/history").json()["events"]

    assert [e["type"] for e in events] == [
        f"{PREFIX}.post-abroad.opened.v1",
        f"{PREFIX}.post-abroad.corrected.v1",
    ]
    assert events[0]["data"]["name"] == "SSI Hanoï"
    assert events[1]["data"] == {
        "changes": {"name": "SSI Hanoi"},
        "reason": "Name as in the decree",
    }
    assert events[1]["business_time"] == "2005-09-02T00:00:00Z"


@pytest.mark.parametrize(
    ("collection", "first_type"),
    [
        ("agreements", f"{PREFIX}.agreement.signed.v2"),
        ("missions", f"{PREFIX}.mission.requested.v1"),
        ("delegations", f"{PREFIX}.delegation-visit.planned.v1"),
        ("posts", f"{PREFIX}.post-abroad.opened.v1"),
    ],
)
def test_every_collection_has_a_history(api: Api, collection: str, first_type: str) -> None:
    record = api.create(collection)

    history = api.get(f"{record.path}/history", "auditor").json()

    assert [e["type"] for e in history["events"]] == [first_type]
    assert history["events"][0]["recorded_by"]["name"] == "Demo police recorder"


@pytest.mark.opens_posts
def test_the_history_of_a_record_of_another_collection_is_not_found(api: Api) -> None:
    post = api.create("posts")

    response = api.get(f"/api/police/missions/{post.id}/history")

    assert problem(response, 404, "not-found")["detail"] == f"no mission {post.id}"


def test_the_history_of_another_directorates_record_is_not_found(api: Api) -> None:
    theirs = api.create("posts", tenant="gendarmerie")

    response = api.get(f"/api/police/posts/{theirs.id}/history")

    assert problem(response, 404, "not-found")["detail"] == f"no post abroad {theirs.id}"


@pytest.mark.parametrize(
    ("column", "value"),
    [("state", b"{"), ("topic", "shared.domain.agreement:Agreement.Signed")],
    ids=["state-cut-short", "another-class"],  # another class's upcaster: a KeyError, a 500
)
def test_a_record_whose_stored_event_was_altered_is_named_as_such_not_an_unexpected_error(
    api: Api, column: str, value: object
) -> None:
    """An event store changed where it is kept: a 500 that says so, for operators and auditors."""
    record = api.create("missions")
    store = api.platform.settings.data_dir / "events" / "police.events.sqlite3"
    key = uuid.UUID(record.id).hex
    change = f"UPDATE stored_events SET {column} = ? WHERE originator_id = ?"
    with contextlib.closing(sqlite3.connect(store)) as db:
        (kept,) = db.execute(
            f"SELECT {column} FROM stored_events WHERE originator_id = ?", (key,)
        ).fetchone()
        db.execute(change, (value, key))
        db.commit()
        try:
            response = api.get(record.path)
            history = api.get(f"{record.path}/history")
        finally:  # the module's other tests share the store
            db.execute(change, (kept, key))
            db.commit()

    for answer in (response, history):
        body = problem(answer, 500, "undecodable-history")
        assert "entente audit verify" in body["detail"]


@pytest.mark.parametrize("alteration", ["version-missing", "another-tenant"])
def test_a_record_whose_history_was_altered_is_refused_not_served(
    api: Api, alteration: str
) -> None:
    """A history with version 2 deleted was served (the audit's too, with its as-of states
    ones the record never had), or failed as "an unexpected error"; a record moved from
    another directorate's store was served through this directorate's route."""
    record = api.walk("missions", "validation", "schedule")  # versions 1 to 3
    store = api.platform.settings.data_dir / "events" / "police.events.sqlite3"
    key = uuid.UUID(record.id).hex
    with contextlib.closing(sqlite3.connect(store)) as db:
        rows = db.execute(
            "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events "
            "WHERE originator_id = ? ORDER BY rowid",
            (key,),
        ).fetchall()
        if alteration == "version-missing":
            db.execute("DELETE FROM stored_events WHERE rowid = ?", (rows[1][0],))
        else:
            for rowid, *_, state in rows:
                fields = json.loads(state)
                fields["tenant"] = "gendarmerie"
                moved = json.dumps(fields).encode()
                db.execute("UPDATE stored_events SET state = ? WHERE rowid = ?", (moved, rowid))
        db.commit()
        try:
            read = api.get(record.path)
            try:
                record_history(api.platform.ledger("police"), uuid.UUID(record.id))
            except EntenteError as refused:
                audit: EntenteError | None = refused
            else:
                audit = None
        finally:  # the module's other tests share the store: put the rows back
            db.execute("DROP TRIGGER entente_positions_only_grow")  # at their positions
            db.execute("DELETE FROM stored_events WHERE originator_id = ?", (key,))
            db.executemany(
                "INSERT INTO stored_events (rowid, originator_id, originator_version, topic, "
                "state) VALUES (?, ?, ?, ?, ?)",
                rows,
            )
            db.commit()
            recorder = api.platform.ledger("police").recorder
            assert isinstance(recorder, SQLiteApplicationRecorder)
            recorder.create_table()  # the trigger again

    body = problem(read, 500, "altered-history")
    assert record.id in body["detail"]
    assert "entente audit verify police" in body["detail"]
    if alteration == "version-missing":
        assert "version 3 where 2 was expected" in body["detail"]
        assert isinstance(audit, AlteredHistoryError)  # the auditor's history too
        assert "run 1, 3, not 1 to 2" in audit.detail
    else:
        assert "tenant 'gendarmerie'" in body["detail"]
        assert isinstance(audit, UnknownRecordError)  # none of this tenant's, for the audit
