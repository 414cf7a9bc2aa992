"""The names of a tenant's topics, importable without loading the Kafka client.

The relay's logic and the projectors name topics but must not depend on
kafka-python; only the adapters in this package talk to the broker.
"""

from __future__ import annotations

from shared.log.ports import topic_for


def events_topic(tenant: str) -> str:
    """The tenant's event log: ``entente.<tenant>.events``."""
    return topic_for(tenant)


def checkpoints_topic(tenant: str) -> str:
    """Where the relay publishes the chain checkpoints (size, head) of ``tenant``."""
    return f"entente.{tenant}.checkpoints"


def dead_letter_topic(tenant: str) -> str:
    """Where readers park the messages of ``tenant``'s event topic they cannot process."""
    return f"{topic_for(tenant)}.dlt"


def alerts_topic() -> str:
    """Where consolidated reporting publishes its overlap alerts (one for the platform)."""
    return "entente.reporting.alerts"
