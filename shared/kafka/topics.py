"""The tenant topics, created explicitly with the log's configuration, and verified.

The log keeps every event forever, in order per record: no retention limit in
time or size, no compaction (which would keep only the last event of a key),
no unclean leader election (which can drop acknowledged writes). Clients never
create topics by writing to them; ``ensure_tenant_topics`` creates the three
topics of a tenant with that configuration, and every service calls
``verify_topic`` (through it) at start-up, refusing a topic configured otherwise.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kafka.admin import ConfigResource, ConfigResourceType

from shared.errors import ConfigurationError
from shared.kafka.clients import create_admin, translated_errors
from shared.kafka.errors import BrokerRequestError, TopicMisconfiguredError, TopicMissingError
from shared.kafka.names import alerts_topic, checkpoints_topic, dead_letter_topic, events_topic
from shared.kafka.settings import KafkaSettings

_TOPIC_ALREADY_EXISTS = 36
_UNKNOWN_TOPIC = 3


@dataclass(frozen=True)
class TopicSpec:
    """What a log topic must be: its shape and the settings that keep history."""

    name: str
    partitions: int
    replication_factor: int
    min_insync_replicas: int

    def config(self) -> dict[str, str]:
        """The topic-level settings given at creation."""
        return {
            "cleanup.policy": "delete",
            "retention.ms": "-1",
            "retention.bytes": "-1",
            "unclean.leader.election.enable": "false",
            "min.insync.replicas": str(self.min_insync_replicas),
        }


def tenant_topics(settings: KafkaSettings, tenant: str) -> list[TopicSpec]:
    """The events topic (``settings.partitions``), its checkpoints and its dead letters.

    Checkpoints and dead letters have one partition: few messages, read in order.
    """
    shape = (settings.replication_factor, settings.min_insync_replicas)
    return [
        TopicSpec(events_topic(tenant), settings.partitions, *shape),
        TopicSpec(checkpoints_topic(tenant), 1, *shape),
        TopicSpec(dead_letter_topic(tenant), 1, *shape),
    ]


def reporting_topics(settings: KafkaSettings) -> list[TopicSpec]:
    """The platform's alerts topic: one partition, so alerts keep the order they were raised."""
    shape = (settings.replication_factor, settings.min_insync_replicas)
    return [TopicSpec(alerts_topic(), 1, *shape)]


def problems_with(
    spec: TopicSpec, partitions: int, replicas: int, config: Mapping[str, str]
) -> list[str]:
    """Every way an existing topic differs from ``spec`` that could lose or reorder history."""
    found: list[str] = []
    if "compact" in config.get("cleanup.policy", ""):
        found.append(f"cleanup.policy={config['cleanup.policy']} compacts (want delete)")
    for key in ("retention.ms", "retention.bytes"):
        if config.get(key) != "-1":
            found.append(f"{key}={config.get(key)} deletes old events (want -1)")
    if config.get("unclean.leader.election.enable") != "false":
        found.append("unclean.leader.election.enable is not false")
    if int(config.get("min.insync.replicas", "0")) < spec.min_insync_replicas:
        found.append(
            f"min.insync.replicas={config.get('min.insync.replicas')} "
            f"(want at least {spec.min_insync_replicas})"
        )
    if partitions != spec.partitions:
        found.append(f"{partitions} partitions (want {spec.partitions})")
    if replicas < spec.replication_factor:
        found.append(f"replication factor {replicas} (want at least {spec.replication_factor})")
    return found


class KafkaTopicAdmin:
    """Creates and verifies log topics; names are logical (the settings add the prefix)."""

    def __init__(self, settings: KafkaSettings) -> None:
        self._settings = settings
        self._admin = create_admin(settings)

    def ensure_tenant_topics(self, tenant: str) -> None:
        """Creates whichever of the tenant's topics are missing, then verifies all three."""
        for spec in tenant_topics(self._settings, tenant):
            self.create(spec)
            self.verify_topic(spec)

    def ensure_reporting_topics(self) -> None:
        """Creates the alerts topic if missing, then verifies it."""
        for spec in reporting_topics(self._settings):
            self.create(spec)
            self.verify_topic(spec)

    def verify_tenant_topics(self, tenant: str) -> None:
        """TopicMissingError or TopicMisconfiguredError unless all three topics are right."""
        for spec in tenant_topics(self._settings, tenant):
            self.verify_topic(spec)

    def create(self, spec: TopicSpec) -> bool:
        """Creates the topic; False when it already existed (it is *not* verified here)."""
        physical = self._settings.physical(spec.name)
        request = {
            physical: {
                "num_partitions": spec.partitions,
                "replication_factor": spec.replication_factor,
                "configs": spec.config(),
            }
        }
        with translated_errors(self._settings):
            response = self._admin.create_topics(request, raise_errors=False)
            (result,) = response["topics"]
            if result["error_code"] == _TOPIC_ALREADY_EXISTS:
                return False
            if result["error_code"] != 0:
                raise ConfigurationError(
                    f"could not create topic {physical!r}: "
                    f"{result.get('error_message') or result['error_code']}"
                )
            self._admin.wait_for_topics([physical], timeout_ms=self._settings.request_timeout_ms)
        return True

    def verify_topic(self, spec: TopicSpec) -> None:
        """Refuses (named errors) a missing topic or one that could lose or reorder history."""
        physical = self._settings.physical(spec.name)
        partitions, replicas = self._shape(physical)
        problems = problems_with(spec, partitions, replicas, self.config_of(spec.name))
        if problems:
            raise TopicMisconfiguredError(physical, problems)

    def config_of(self, topic: str) -> dict[str, str]:
        """Every effective setting of a topic (its own, the broker's, or the default)."""
        physical = self._settings.physical(topic)
        resource = ConfigResource(ConfigResourceType.TOPIC, physical)
        with translated_errors(self._settings):
            described: dict[str, Any] = self._admin.describe_configs(
                [resource], config_filter="all"
            )
        entries = described.get("topic", {}).get(physical, {})
        return {key: str(entry["value"]) for key, entry in entries.items()}

    def alter_config(self, topic: str, changes: Mapping[str, str], wait_s: float = 10.0) -> None:
        """Sets topic-level settings (an operator's repair, or a test's sabotage).

        Returns once the broker describes the topic with them: the controller
        acknowledges a change before the broker applies it, so a ``verify``
        right after could still see the old settings. BrokerRequestError if
        the change is refused or not applied within ``wait_s``.
        """
        physical = self._settings.physical(topic)
        resource = ConfigResource(ConfigResourceType.TOPIC, physical, dict(changes))
        with translated_errors(self._settings):
            results: dict[str, dict[str, str]] = self._admin.alter_configs([resource])
        result = results.get("topic", {}).get(physical)
        if result != "OK":
            raise BrokerRequestError(f"changing the settings of {physical!r}: {result}")
        deadline = time.monotonic() + wait_s
        while not _applied(changes, self.config_of(topic)):
            if time.monotonic() > deadline:
                raise BrokerRequestError(
                    f"the broker did not apply {dict(changes)} to {physical!r} in {wait_s} s"
                )
            time.sleep(0.05)

    def close(self) -> None:
        self._admin.close()

    def _shape(self, physical: str) -> tuple[int, int]:
        """(partitions, smallest replica count) of a topic, or TopicMissingError."""
        with translated_errors(self._settings):
            (described,) = self._admin.describe_topics([physical])
        if described["error_code"] == _UNKNOWN_TOPIC or not described["partitions"]:
            raise TopicMissingError(f"topic {physical!r} does not exist; create it first")
        partitions = described["partitions"]
        return len(partitions), min(len(p["replica_nodes"]) for p in partitions)


def _applied(changes: Mapping[str, str], config: Mapping[str, str]) -> bool:
    """Whether a topic's described settings hold ``changes`` (lists compared as sets)."""
    return all(
        set(config.get(key, "").replace(" ", "").strip("[]").split(","))
        == set(value.replace(" ", "").split(","))
        for key, value in changes.items()
    )
