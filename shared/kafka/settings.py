"""How Entente reaches its Kafka cluster and shapes its topics, read once at start-up.

Environment variables use the prefix ``ENTENTE_KAFKA_`` (for example
``ENTENTE_KAFKA_BOOTSTRAP_SERVERS``). The defaults suit one local broker; in
production the operator sets ``REPLICATION_FACTOR=3`` and
``MIN_INSYNC_REPLICAS=2`` so an acknowledged event survives the loss of a broker.
Security settings (TLS, SASL) will join this class when the cluster needs them.
"""

from __future__ import annotations

from typing import Any, Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class KafkaSettings(BaseSettings):
    """Every knob of the Kafka adapters, with safe defaults."""

    model_config = SettingsConfigDict(env_prefix="ENTENTE_KAFKA_", extra="ignore", frozen=True)

    bootstrap_servers: str = Field(
        default="127.0.0.1:9092", description="Comma-separated host:port list of brokers"
    )
    client_id: str = "entente"
    topic_prefix: str = Field(
        default="",
        description="Namespace put before every topic name, so environments (or test runs) "
        "can share one cluster; empty in production",
    )
    partitions: int = Field(
        default=1,
        ge=1,
        description=(
            "Partitions of each tenant's event topic. Keep 1: read-your-writes (min_position) "
            "is exact only with one; with several, the views can report a position before an "
            "earlier event of another partition is applied (a watermark is not built yet)"
        ),
    )
    replication_factor: int = Field(default=1, ge=1)
    min_insync_replicas: int = Field(default=1, ge=1)
    bootstrap_timeout_ms: int = Field(default=30_000, ge=100)
    request_timeout_ms: int = Field(default=30_000, ge=100)
    delivery_timeout_ms: int = Field(
        default=120_000, ge=100, description="How long the producer retries one message"
    )
    linger_ms: int = Field(default=5, ge=0, description="Wait this long to fill a batch")
    batch_size: int = Field(default=256 * 1024, ge=1024)
    max_in_flight: int = Field(
        default=5, ge=1, description="Above 5, the idempotent producer refuses to start"
    )
    fetch_max_wait_ms: int = Field(default=100, ge=0)
    read_timeout_ms: int = Field(
        default=30_000, ge=100, description="How long a read waits for records known to exist"
    )

    @model_validator(mode="after")
    def _durability_is_possible(self) -> Self:
        if self.min_insync_replicas > self.replication_factor:
            raise ValueError(
                f"min_insync_replicas ({self.min_insync_replicas}) cannot exceed "
                f"replication_factor ({self.replication_factor}): no write could be acknowledged"
            )
        return self

    def servers(self) -> list[str]:
        """The bootstrap servers as the client wants them."""
        return [s.strip() for s in self.bootstrap_servers.split(",") if s.strip()]

    def physical(self, topic: str) -> str:
        """The broker's name of a logical topic (``entente.police.events``)."""
        return self.topic_prefix + topic

    def logical(self, physical: str) -> str | None:
        """The logical name of a broker topic, or None when it is outside our namespace."""
        if not physical.startswith(self.topic_prefix):
            return None
        return physical[len(self.topic_prefix) :]

    def client_config(self, role: str) -> dict[str, Any]:
        """Settings every client shares; ``role`` tells producer, consumer and admin apart."""
        return {
            "bootstrap_servers": self.servers(),
            "client_id": f"{self.client_id}-{role}",
            "bootstrap_timeout_ms": self.bootstrap_timeout_ms,
            "request_timeout_ms": self.request_timeout_ms,
        }
