"""``entente check`` on one event altered in the store, after it was published (probe 11).

Every later link of the store's chain then differs from the one the relay sent,
and the check counted each later message as altered *and* its stored event as
lost: "lost 1364 … 1365 altered" for one event, which an operator would take for
mass loss and republish. The later messages carry their stored events: they are
counted apart (``relinked``), and only the altered one is altered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from shared.application.ledger import CooperationLedger
from shared.application.stores import SqliteStore
from shared.checker.check import chained, stored_events
from shared.checker.report import CheckReport
from shared.checker.topic import examine_topic
from shared.events import wire
from shared.events.envelope import EventEnvelope
from shared.log.ports import RawRecord
from tests.audit.support import sign

TENANT = "police"
TOPIC = "entente.police.events"


def _published(tenant: str, events: Sequence[EventEnvelope]) -> list[RawRecord]:
    """The messages the relay sent for ``events``, with the links of their chain."""
    records = []
    for offset, stored in enumerate(chained(tenant, events).values()):
        message = wire.encode(stored.event, stored.link)
        records.append(RawRecord(TOPIC, 0, offset, message.key, message.headers, message.value, 0))
    return records


def test_one_event_altered_in_the_store_is_one_altered_not_mass_loss(tmp_path: Path) -> None:
    ledger = CooperationLedger(TENANT, SqliteStore(tmp_path))
    for number in range(6):
        sign(ledger, f"A-{number}")
    events = stored_events(ledger)
    ledger.close()
    published = _published(TENANT, events)
    altered = list(events)
    altered[2] = replace(events[2], data={**events[2].data, "title": "Accord falsifié"})

    found = examine_topic(TENANT, TOPIC, chained(TENANT, altered), [published])
    report = CheckReport(TENANT, len(altered), found, None)

    assert (found.altered, found.relinked) == (1, 3)  # the altered one; the three after it
    assert found.lost == {(events[2].aggregate_id, 1)}  # its stored form is on no message
    assert (report.lost, report.reordered) == (1, 0)
    assert not report.ok
    summary = report.summary()
    assert "1 altered" in summary
    assert "3 with another link than the store's chain" in summary
    assert "`entente audit verify` names that event" in summary
    healthy = examine_topic(TENANT, TOPIC, chained(TENANT, list(events)), [published])
    assert healthy.ok
    assert (healthy.altered, healthy.relinked, healthy.lost) == (0, 0, frozenset())
