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
from kafka.producer.future import FutureRecordMetadata

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
        self.send(topic, messages).wait()

    def send(self, topic: str, messages: Sequence[WireMessage]) -> KafkaDelivery:
        """Hands ``messages`` to the producer and returns at once; ``wait()`` awaits the acks.

        The caller can work (read and encode the next page) while the producer's
        I/O thread sends these; nothing counts as published before ``wait()``.
        """
        if not messages:
            return KafkaDelivery(self, None, [], "")
        producer = self._connected()
        physical = self._settings.physical(topic)
        try:
            send = producer.send
            only = _only_partition(producer, physical)
            futures = [
                send(physical, key=m.key, value=m.value, headers=m.headers, partition=only)
                for m in messages
            ]
        except KafkaError as error:
            raise self._failed(len(messages), physical, error) from None
        return KafkaDelivery(self, producer, futures, physical)

    @property
    def delivery_timeout(self) -> float:
        """How long waiting for acks may take: the producer's delivery timeout, and a margin."""
        return self._settings.delivery_timeout_ms / 1000 + 5

    def close(self) -> None:
        """Closes the producer without waiting for unacknowledged messages."""
        producer, self._producer = self._producer, None
        if producer is None:
            return
        try:
            producer.close(timeout=0)
        except KafkaError as error:  # close() flushes, and a broken producer fails that
            log.warning("closing a failed Kafka producer: %r", error)

    def _failed(
        self, count: int, physical: str, error: KafkaError, producer: KafkaProducer | None = None
    ) -> PublishFailedError:
        """Drops the failed producer (unless already replaced) and names the failure."""
        if producer is None or producer is self._producer:
            self.close()
        return PublishFailedError(
            f"the broker did not acknowledge {count} messages to {physical}: {error!r}"
        )

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


def _only_partition(producer: KafkaProducer, physical: str) -> int | None:
    """The topic's partition when it has exactly one (as deployed), else None.

    With a single partition every key lands on it, and saying so spares
    kafka-python's partitioner: a pure-Python murmur2 of every key, about a
    tenth of a message's send. Asked again for every page, from the producer's
    metadata, so a topic given more partitions is partitioned by key again.
    """
    partitions = producer.partitions_for(physical)
    if partitions is not None and len(partitions) == 1:
        only: int = next(iter(partitions))
        return only
    return None


class KafkaDelivery:
    """Messages handed to the producer: ``wait()`` returns once the broker acknowledged each."""

    def __init__(
        self,
        publisher: KafkaPublisher,
        producer: KafkaProducer | None,
        futures: list[FutureRecordMetadata],
        physical: str,
    ) -> None:
        self._publisher = publisher
        self._producer = producer
        self._futures = futures
        self._physical = physical

    def wait(self) -> None:
        """Returns once every message is acknowledged; PublishFailedError otherwise.

        ``flush`` sends what the producer still lingers on at once (no
        ``linger_ms`` wait for a page's last batch or a lone checkpoint) and
        returns when every record sent so far is done; each future then says
        whether its record was acknowledged or failed.
        """
        if self._producer is None:
            return
        timeout = self._publisher.delivery_timeout
        try:
            self._producer.flush(timeout=timeout)
            for future in self._futures:
                future.get(timeout=timeout)
        except KafkaError as error:
            raise self._publisher._failed(
                len(self._futures), self._physical, error, self._producer
            ) from None
