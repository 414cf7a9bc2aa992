"""Dead letters on Kafka: each parked message published on its tenant's dead-letter topic.

``KafkaDeadLetters.park`` runs inside the projector's view transaction: it
publishes the letter to ``entente.<tenant>.events.dlt`` and waits for the
broker's acknowledgement (acks=all, idempotent producer) *before* returning, so
before the transaction that moves the tracking past the message commits. If
the broker does not acknowledge, ``DeadLetterPublishError`` rolls the batch
back and the pass is retried: a message is never passed over unparked.

The reverse can happen: a crash after the acknowledgement and before the
commit parks the message again on the next pass. **Readers of a dead-letter
topic de-duplicate by (topic, partition, offset)** of the original message,
which every dead letter carries as headers and in its key.

The message:

- key: ``<topic>:<partition>:<offset>`` of the original message;
- headers: ``entente_dlt_topic``, ``entente_dlt_partition``,
  ``entente_dlt_offset``, ``entente_dlt_kind`` — where it was and the class of
  failure, nothing else, since a reason can quote payload values and personal
  data never goes in a header;
- value: JSON of ``DeadLetter.as_dict()``: the reason, the time it was parked,
  and the original key, headers and value in base64 (raw bytes for an
  undecodable message, the decoded envelope for an unknown type or a schema
  violation).

Each letter is also recorded in the view store's ``dead_letters`` table (in
the same transaction), which de-duplicates and gives the status endpoint its
count without reading the topic back.
"""

from __future__ import annotations

import json
from typing import Protocol

from shared.events.wire import WireMessage
from shared.kafka.errors import PublishFailedError
from shared.kafka.names import dead_letter_topic
from shared.kafka.producer import KafkaPublisher
from shared.kafka.settings import KafkaSettings
from shared.log.ports import topic_for
from shared.views.dead_letters import DeadLetter, DeadLetters, ViewStoreDeadLetters
from shared.views.errors import DeadLetterPublishError
from shared.views.store import ViewSession

HEADER_PREFIX = "entente_dlt_"


class Publisher(Protocol):
    """Returns once the broker acknowledged every message (``KafkaPublisher``)."""

    def publish(self, topic: str, messages: list[WireMessage]) -> None: ...


class KafkaDeadLetters:
    """Parks on the tenant's dead-letter topic (acknowledged), then in the views' table."""

    def __init__(self, publisher: Publisher, record: DeadLetters | None = None) -> None:
        self.publisher = publisher
        self.record = record or ViewStoreDeadLetters()

    def park(self, session: ViewSession, letter: DeadLetter) -> None:
        topic = dead_letter_topic(tenant_of(letter.topic))
        try:
            self.publisher.publish(topic, [dead_letter_message(letter)])
        except PublishFailedError as error:
            raise DeadLetterPublishError(
                f"{topic} did not acknowledge the dead letter of "
                f"{letter.topic}[{letter.partition}]@{letter.offset}: {error.detail}"
            ) from error
        self.record.park(session, letter)


def kafka_dead_letters(settings: KafkaSettings) -> KafkaDeadLetters:
    """Dead letters published with the relay's safe producer settings."""
    return KafkaDeadLetters(KafkaPublisher(settings))


def dead_letter_message(letter: DeadLetter) -> WireMessage:
    """The message published for ``letter`` (see the module docstring)."""
    where = (letter.topic, str(letter.partition), str(letter.offset))
    headers = [
        (HEADER_PREFIX + name, value.encode())
        for name, value in zip(("topic", "partition", "offset"), where, strict=True)
    ]
    headers.append((HEADER_PREFIX + "kind", letter.kind.encode()))
    value = json.dumps(letter.as_dict(), ensure_ascii=False, sort_keys=True)
    return WireMessage(key=":".join(where).encode(), headers=headers, value=value.encode())


def tenant_of(topic: str) -> str:
    """The tenant of an event topic (``entente.police.events`` → ``police``)."""
    tenant = topic.removeprefix("entente.").removesuffix(".events")
    if not tenant or topic_for(tenant) != topic:
        raise ValueError(f"{topic!r} is not a tenant's event topic")
    return tenant
