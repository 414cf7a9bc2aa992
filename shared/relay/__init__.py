"""The relay: publishes a tenant's stored events to its topic, hash-chained, in order.

It is a transactional outbox built on the notification log (architecture §2,
§3): it reads the event store in notification order, computes the chain,
publishes a page, and records how far it got only after the broker acknowledged
the page. A crash anywhere republishes, never skips; readers de-duplicate by
record version. This package holds the logic and its ports; the Kafka adapter
lives in ``shared.kafka`` and the process in ``services.relay``.
"""
