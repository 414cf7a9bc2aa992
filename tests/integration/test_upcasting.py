"""A v1 Agreement.Signed, stored before partners became lists, still reads as v2."""

from __future__ import annotations

import json
from uuid import uuid4

from eventsourcing.persistence import StoredEvent

from shared.application.ledger import CooperationLedger
from shared.domain.agreement import Agreement

V1_STATE = {
    "timestamp": {"_type_": "datetime_iso", "_data_": "2011-12-09T10:00:00+00:00"},
    "originator_topic": "shared.domain.agreement:Agreement",
    "tenant": "police",
    "business_time": {"_type_": "datetime_iso", "_data_": "2011-12-09T00:00:00+00:00"},
    "actor_id": "legacy-import",
    "actor_name": "Reprise de l'historique",
    "correlation_id": "legacy-1",
    "causation_id": None,
    "classification": "internal",
    "reference": "FR-VN-2011-CM",
    "title": "Convention contrefaçon de médicaments",
    "kind": "funding-convention",
    "partner_country": "VN",
    "themes": ["counterfeit-medicines"],
    "signed_on": {"_type_": "date_iso", "_data_": "2011-12-09"},
    "signed_at": "Hanoï",
    "duration_months": 36,
    "funding_amount": {"_type_": "decimal_str", "_data_": "1000000.00"},
    "funding_currency": "EUR",
    "funder": "Ambassade de France",
}


def _store_v1(ledger: CooperationLedger) -> object:
    record_id = uuid4()
    stored = StoredEvent(
        originator_id=record_id,
        originator_version=1,
        topic="shared.domain.agreement:Agreement.Signed",
        state=json.dumps(V1_STATE).encode(),
    )
    ledger.recorder.insert_events([stored])
    return record_id


def test_a_stored_v1_signature_is_upcast_on_read(ledger: CooperationLedger) -> None:
    record_id = _store_v1(ledger)

    agreement = ledger.record(Agreement, record_id)  # type: ignore[arg-type]

    assert agreement.partner_countries == ["VN"]
    assert agreement.partner_organisations == []
    assert str(agreement.expires_on) == "2014-12-09"


def test_the_log_publishes_the_upcast_payload_under_the_current_type(
    ledger: CooperationLedger,
) -> None:
    _store_v1(ledger)

    [(_, event)] = ledger.read_log(after=0, limit=10)

    assert event.type == "fr.interieur.entente.agreement.signed.v2"
    assert event.data["partner_countries"] == ["VN"]
    assert "partner_country" not in event.data
    assert event.data["funding_amount"] == "1000000.00"
