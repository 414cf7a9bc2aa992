"""Overlap alerts on the log: CloudEvents 1.0 in Kafka binary mode, like the events.

An alert row of the reporting area (``alerts`` table) becomes one message on
``entente.reporting.alerts``: the attributes are ``ce_*`` headers, the value is
the alert's JSON data (already redacted for restricted missions when it was
raised), the key ``<country>/<theme>`` so one subject's alerts stay in order.
The id is the alert's deterministic id: republished after a crash, it is
recognisably the same alert.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.v1.event import CloudEvent

from shared.events.alert_schemas import ALERT_SOURCE, ALERT_TYPES
from shared.events.wire import UndecodableMessageError, WireMessage
from shared.reporting.overlaps import withholds


@dataclass(frozen=True)
class PublishedAlert:
    """An alert as the log carries it (what a consumer of the alerts topic reads)."""

    id: str
    type: str
    #: None (and ``caused_by`` too) when the alert names a restricted mission.
    time: datetime | None
    subject: str
    caused_by: str | None
    data: dict[str, Any]


def subject_of(country: str, theme: str) -> str:
    """``FR/terrorism``: the key and ``ce_subject`` of an alert."""
    return f"{country}/{theme}"


def encode_alert(row: dict[str, Any]) -> WireMessage:
    """The message for one ``alerts`` row (id, type, time, country, theme, caused_by, data).

    An alert naming a restricted mission carries no ``ce_time`` and no
    ``ce_causationid`` (both optional in CloudEvents): the cause is often the
    restricted mission's own event, whose record time and id would give it away.
    """
    subject = subject_of(str(row["country"]), str(row["theme"]))
    attributes: dict[str, Any] = {
        "id": str(row["id"]),
        "source": ALERT_SOURCE,
        "type": str(row["type"]),
        "subject": subject,
        "time": row["time"],
        "datacontenttype": "application/json",
        "causationid": str(row["caused_by"]),
    }
    withheld = withholds(row["data"])
    if withheld:
        del attributes["causationid"]
    message = ce_kafka.to_binary_event(CloudEvent(attributes=attributes, data=row["data"]))
    # The binding makes up a time when there is none: the row's is written, then dropped.
    headers = [(k, v) for k, v in message.headers.items() if not (withheld and k == "ce_time")]
    return WireMessage(key=subject.encode(), headers=headers, value=message.value)


def decode_alert(headers: list[tuple[str, bytes]], value: bytes) -> PublishedAlert:
    """The alert in a message; UndecodableMessageError if it is not one."""
    try:
        event = ce_kafka.from_binary_event(
            ce_kafka.KafkaMessage(headers=dict(headers), key=None, value=value)
        )
        if event.get_type() not in ALERT_TYPES:
            raise UndecodableMessageError(f"not an overlap alert: {event.get_type()}")
        data = event.get_data()
        if isinstance(data, bytes | str):
            data = json.loads(data)
        if not isinstance(data, dict):
            raise UndecodableMessageError("the alert's value is not a JSON object")
        names = {name for name, _ in headers}
        time = event.get_time() if "ce_time" in names else None  # else made up by the binding
        cause = event.get_extension("causationid")
        return PublishedAlert(
            id=str(event.get_id()),
            type=str(event.get_type()),
            time=time if time is None or isinstance(time, datetime) else _time(time),
            subject=str(event.get_subject()),
            caused_by=None if cause is None else str(cause),
            data=data,
        )
    except UndecodableMessageError:
        raise
    except Exception as error:
        raise UndecodableMessageError(f"not an Entente overlap alert: {error}") from None


def _time(spelled: Any) -> datetime:
    return datetime.fromisoformat(str(spelled))
