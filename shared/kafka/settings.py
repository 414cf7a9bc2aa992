"""How Entente reaches its Kafka cluster and shapes its topics, read once at start-up.

Environment variables use the prefix ``ENTENTE_KAFKA_`` (for example
``ENTENTE_KAFKA_BOOTSTRAP_SERVERS``). The defaults suit one local broker; in
production the operator sets ``REPLICATION_FACTOR=3`` and
``MIN_INSYNC_REPLICAS=2`` so an acknowledged event survives the loss of a broker.

Security: ``SECURITY_PROTOCOL`` is ``PLAINTEXT`` for a laptop broker; a shared
cluster wants ``SASL_SSL`` (SCRAM credentials in ``SASL_USERNAME`` and
``SASL_PASSWORD``, the cluster's CA in ``SSL_CAFILE``) or ``SSL`` with a client
certificate (``SSL_CERTFILE``, ``SSL_KEYFILE``). Inconsistent combinations are
refused at start-up (credentials a plaintext connection would never send, SASL
without them, a file that cannot be read), not found out at the first publication.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator
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

    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT",
        description="How clients talk to the brokers: SASL_SSL (or SSL) on a shared cluster",
    )
    sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = Field(
        default="SCRAM-SHA-512", description="SASL mechanism (SASL_* protocols only)"
    )
    sasl_username: str | None = Field(default=None, description="SASL user (from a secret)")
    sasl_password: SecretStr | None = Field(default=None, description="SASL password (a secret)")
    ssl_cafile: Path | None = Field(
        default=None, description="PEM file of the CA that signed the brokers' certificates"
    )
    ssl_certfile: Path | None = Field(
        default=None, description="PEM client certificate, for clusters that ask for one"
    )
    ssl_keyfile: Path | None = Field(default=None, description="PEM key of ssl_certfile")
    ssl_check_hostname: bool = Field(
        default=True, description="Check that a broker's certificate names the host dialled"
    )

    @model_validator(mode="after")
    def _security_is_consistent(self) -> Self:
        """Refuses settings that would connect otherwise than the operator meant."""
        sasl = self.security_protocol.startswith("SASL_")
        tls = self.security_protocol.endswith("SSL")
        credentials = self.sasl_username is not None or self.sasl_password is not None
        if sasl and not (self.sasl_username and self.sasl_password):
            raise ValueError(
                f"security_protocol {self.security_protocol} needs sasl_username and "
                "sasl_password (ENTENTE_KAFKA_SASL_USERNAME, ENTENTE_KAFKA_SASL_PASSWORD)"
            )
        if credentials and not sasl:
            raise ValueError(
                f"SASL credentials are set but security_protocol is {self.security_protocol}: "
                "they would never be sent (use SASL_SSL)"
            )
        files = {"ssl_cafile": self.ssl_cafile, "ssl_certfile": self.ssl_certfile}
        files["ssl_keyfile"] = self.ssl_keyfile
        given = [name for name, path in files.items() if path is not None]
        if given and not tls:
            raise ValueError(
                f"{', '.join(given)} set but security_protocol is {self.security_protocol}: "
                "no TLS would be used (use SASL_SSL or SSL)"
            )
        if (self.ssl_certfile is None) != (self.ssl_keyfile is None):
            raise ValueError("ssl_certfile and ssl_keyfile go together (a client certificate)")
        for name, path in files.items():
            if path is not None and not path.is_file():
                raise ValueError(f"{name} {str(path)!r} is not a readable file")
        return self

    @model_validator(mode="after")
    def _durability_is_possible(self) -> Self:
        if self.min_insync_replicas > self.replication_factor:
            raise ValueError(
                f"min_insync_replicas ({self.min_insync_replicas}) cannot exceed "
                f"replication_factor ({self.replication_factor}): no write could be acknowledged"
            )
        return self

    @field_validator("bootstrap_servers")
    @classmethod
    def _host_and_port_each(cls, servers: str) -> str:
        """``host:port`` list: an empty one or a bad port failed inside the client, later."""
        named = [s.strip() for s in servers.split(",") if s.strip()]
        if not named:
            raise ValueError("names no broker (host:port, comma-separated)")
        for index, server in enumerate(named, 1):
            host, _, port = server.rpartition(":")
            if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
                raise ValueError(f"broker {index} is not host:port with a port 1-65535")
        return servers

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
            **self._security_config(),
        }

    def _security_config(self) -> dict[str, Any]:
        """kafka-python's names for the connection's security (nothing for PLAINTEXT)."""
        found: dict[str, Any] = {"security_protocol": self.security_protocol}
        if self.security_protocol.startswith("SASL_"):
            assert self.sasl_password is not None  # checked by _security_is_consistent
            found |= {
                "sasl_mechanism": self.sasl_mechanism,
                "sasl_plain_username": self.sasl_username,
                "sasl_plain_password": self.sasl_password.get_secret_value(),
            }
        if self.security_protocol.endswith("SSL"):
            found["ssl_check_hostname"] = self.ssl_check_hostname
            for name in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"):
                path = getattr(self, name)
                if path is not None:
                    found[name] = str(path)
        return found
