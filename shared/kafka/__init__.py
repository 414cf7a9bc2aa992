"""The Kafka adapters: the only package that imports ``kafka`` (kafka-python).

- ``settings``: how to reach the cluster and shape topics (``ENTENTE_KAFKA_*``);
- ``crc``: the start-up check that CRC-32C runs in C;
- ``clients``: producer, consumer and admin factories with the safe settings;
- ``producer``: ``KafkaPublisher``, which returns only once the broker acknowledged;
- ``topics``: explicit creation and ``verify_topic`` of the tenant topics;
- ``log``: ``KafkaEventLog``, the ``EventLog`` port over the event topics;
- ``names``: topic names, importable without the client library.

This module imports nothing, so ``shared.kafka.names`` stays light.
"""
