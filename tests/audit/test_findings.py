"""The pieces verification is built on: the link formula, finding order, field differences."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from shared.audit.compare import link_bytes, version_gaps
from shared.audit.findings import Entry, Finding, Kind, VerifyReport, differences
from shared.events import chain
from shared.events.envelope import EventEnvelope

EVENT = EventEnvelope(
    id="7b1f0b1e-0000-5000-8000-000000000001",
    type="fr.interieur.entente.agreement.signed.v2",
    source="/entente/police",
    subject="3f1c9b8e-5d0b-4a55-9a57-6f1d7e0c2b11",
    time=datetime(2014, 6, 1, 12, tzinfo=UTC),
    tenant="police",
    aggregate_type="agreement",
    aggregate_id="3f1c9b8e-5d0b-4a55-9a57-6f1d7e0c2b11",
    version=1,
    position=1,
    business_time=datetime(2011, 12, 9, tzinfo=UTC),
    actor_id="u-1",
    actor_name="Claire Martin",
    correlation_id="c-1",
    causation_id=None,
    classification="public",
    schema_version=2,
    data={"title": "Accord", "themes": ["counterfeit-medicines"]},
)


def test_the_link_from_canonical_bytes_is_the_chain_link() -> None:
    genesis = chain.genesis("police")

    assert link_bytes(genesis, chain.canonical(EVENT)) == chain.link(genesis, EVENT)


def test_the_first_finding_is_the_earliest_precise_one_witnesses_before_version_checks() -> None:
    by_versions = Finding(Kind.REORDERED, "store", 4, "v2 first", "the record's version sequence")
    by_topic = Finding(Kind.REORDERED, "store", 4, "moved", "the topic")
    later = Finding(Kind.ALTERED, "store", 9, "edited", "the topic")
    vague = Finding(Kind.ALTERED, "store", 1, "range", "a published checkpoint", precise=False)
    unplaced = Finding(Kind.INSERTED, "topic", None, "not an event", "the message format")

    report = VerifyReport("police", findings=[vague, later, unplaced, by_versions, by_topic])

    assert report.first is by_topic
    assert VerifyReport("police", findings=[vague, unplaced]).first is unplaced
    assert VerifyReport("police").first is None
    assert (
        by_topic.line() == "REORDERED in the store at position 4: moved [checked against the topic]"
    )


def test_differences_name_the_fields_and_both_values() -> None:
    before = chain.canonical(EVENT)
    after = json.loads(before)
    after["data"]["title"] = "Accord falsifié"
    after["actor_name"] = "Mallory"

    found = differences(before, json.dumps(after).encode())

    assert found == (
        'actor_name: "Claire Martin" became "Mallory"; '
        'data.title: "Accord" became "Accord falsifié"'
    )


def _entry(position: int, record: str, version: int) -> Entry:
    return Entry(position, f"e{position}", "agreement", record, version, "d", "l")


def test_version_sequences_flag_gaps_as_missing_and_inversions_as_reordered() -> None:
    entries = [_entry(1, "a", 1), _entry(2, "b", 2), _entry(3, "a", 3), _entry(4, "b", 1)]

    found = [(f.kind, f.position, f.record) for f in version_gaps(entries)]

    assert found == [
        (Kind.REORDERED, 2, "agreement b v2"),
        (Kind.MISSING, 3, "agreement a v3"),
    ]


def test_a_version_met_twice_is_an_inserted_copy_not_a_reordering() -> None:
    """An exact copy of a stored event (the unique key dropped) was called REORDERED."""
    copy = Entry(3, "e2", "agreement", "a", 2, "d", "l")
    forged = Entry(4, "e9", "agreement", "a", 2, "x", "l")
    entries = [_entry(1, "a", 1), _entry(2, "a", 2), copy, forged, _entry(5, "a", 3)]

    found = [(f.kind, f.position, f.detail) for f in version_gaps(entries)]

    assert found == [
        (Kind.INSERTED, 3, "version 2 again: a copy of the event at position 2"),
        (Kind.INSERTED, 4, "a second version 2: the first is at position 2"),
    ]
