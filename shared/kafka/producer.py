"""Publishing wire messages and waiting until the broker acknowledged every one.

The relay advances its position only after ``publish`` returns, so ``publish``
returns only when every message's send future succeeded (acks=all, idempotent
producer). Any failure raises ``PublishFailedError`` and drops the producer: the
next publication starts a fresh one (new producer id, clean sequence numbers)
instead of reusing a client whose state after the failure is unknown.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from kafka import KafkaProducer
from kafka.errors import KafkaError

from shared.events.wire import WireMessage
from shared.kafka.clients import create_producer
from shared.kafka.errors import BrokerUnavailableError, PublishFailedError
from shared.kafka.settings import KafkaSettings

log = logging.getLogger("entente.kafka")


class KafkaPublisher:
    """Sends pages of wire messages to logical topics; one producer, reused while healthy."""

    def __init__(self, settings: KafkaSettings) -> None:
        self._settings = settings
        self._producer: KafkaProducer | None = None
        self._connecting = threading.Lock()

    def warm_up(self, topics: Sequence[str]) -> None:
        """Connects and fetches the topics' metadata in the background, if not connected yet.

        A new producer's first send waits ~100 ms for the broker (producer id,
        metadata); the relay reads and encodes its first page meanwhile. Errors
        are left for the first real send to raise.
        """
        if self._producer is not None:
            return
        physical = [self._settings.physical(topic) for topic in topics]
        threading.Thread(
            target=self._warm, args=(physical,), name="kafka-warm-up", daemon=True
        ).start()

    def publish(self, topic: str, messages: Sequence[WireMessage]) -> None:
        """Returns once the broker acknowledged all ``messages``; PublishFailedError otherwise."""
        if not messages:
            return
        producer = self._connected()
        physical = self._settings.physical(topic)
        try:
            futures = [
                producer.send(physical, key=m.key, value=m.value, headers=m.headers)
                for m in messages
            ]
            timeout = self._settings.delivery_timeout_ms / 1000 + 5
            for future in futures:
                future.get(timeout=timeout)
        except KafkaError as error:
            self.close()
            raise PublishFailedError(
                f"the broker did not acknowledge {len(messages)} messages to {physical}: {error!r}"
            ) from None

    def close(self) -> None:
        """Closes the producer without waiting for unacknowledged messages."""
        producer, self._producer = self._producer, None
        if producer is None:
            return
        try:
            producer.close(timeout=0)
        except KafkaError as error:  # close() flushes, and a broken producer fails that
            log.warning("closing a failed Kafka producer: %r", error)

    def _connected(self) -> KafkaProducer:
        with self._connecting:  # the warm-up thread may be creating it
            if self._producer is None:
                try:
                    self._producer = create_producer(self._settings)
                except BrokerUnavailableError as error:
                    raise PublishFailedError(error.detail) from None
            return self._producer

    def _warm(self, physical: list[str]) -> None:
        try:
            producer = self._connected()
            for topic in physical:
                producer.partitions_for(topic)
        except Exception as error:  # the first real send says what is wrong
            log.debug("warming up the Kafka producer: %r", error)
