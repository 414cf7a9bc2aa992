"""What each component may do on a cluster that authorizes, as code: its topic ACLs.

On a shared cluster every component gets an identity of its own (the chart's
``kafka.security.sasl.identities``) and only the ACLs listed here, which
docs/deployment.md shows and ``tests/kafka/test_least_privilege.py`` proves
sufficient (and the rest refused) on a broker that authorizes. ``entente kafka
acls`` prints them for a principal, writes them as a Strimzi ``KafkaUser``
(``--format strimzi``), or applies them (``--apply``) through an identity allowed
to alter ACLs. The chart renders the same ``KafkaUser``s (``kafka.strimziUsers``;
its template repeats this table, and ``tests/deploy/test_deployment_files.py``
compares the two).

- the relay of a tenant creates, checks and writes the tenant's three topics;
- the projector checks them all at start, reads the events and parks dead letters;
- reporting reads every tenant's events and creates, checks and writes its alerts;
- the audit reads the events and the checkpoints.

No consumer group and no transactional id: readers keep their own positions.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from shared.errors import ConfigurationError, ValidationError
from shared.kafka.errors import BrokerUnavailableError
from shared.kafka.names import alerts_topic, checkpoints_topic, dead_letter_topic, events_topic
from shared.kafka.settings import KafkaSettings

Component = Literal["relay", "projector", "reporting", "audit"]
COMPONENTS: tuple[Component, ...] = ("relay", "projector", "reporting", "audit")
Operation = Literal["Create", "Write", "Read", "Describe", "DescribeConfigs"]


#: What the writer of a topic it may also create needs (the relay's, reporting's alerts).
_OWNER: tuple[Operation, ...] = ("Create", "Write", "Describe", "DescribeConfigs")


@dataclass(frozen=True)
class TopicGrant:
    """Operations allowed on one topic, or on every topic whose name starts with ``name``."""

    name: str
    operations: tuple[Operation, ...]
    prefixed: bool = False

    def line(self, principal: str) -> str:
        """One human-readable line: who, what, on which topics."""
        where = f"topics starting with {self.name}" if self.prefixed else f"topic {self.name}"
        return f"{principal}: {', '.join(self.operations)} on {where}"


def component_grants(
    component: Component, tenants: Sequence[str], settings: KafkaSettings
) -> list[TopicGrant]:
    """The ACLs ``component`` needs for ``tenants`` (topic names as the broker knows them)."""
    physical = settings.physical
    grants: list[TopicGrant] = []
    for tenant in tenants:
        prefix = physical(f"entente.{tenant}.")
        events = physical(events_topic(tenant))
        if component == "relay":
            grants.append(TopicGrant(prefix, _OWNER, prefixed=True))
        elif component == "projector":
            grants.append(TopicGrant(prefix, ("Describe", "DescribeConfigs"), prefixed=True))
            grants.append(TopicGrant(events, ("Read",)))
            grants.append(TopicGrant(physical(dead_letter_topic(tenant)), ("Write",)))
        elif component == "reporting":
            grants.append(TopicGrant(events, ("Read", "Describe")))
        else:  # audit
            grants.append(TopicGrant(events, ("Read", "Describe")))
            grants.append(TopicGrant(physical(checkpoints_topic(tenant)), ("Read", "Describe")))
    if component == "reporting":
        grants.append(TopicGrant(physical(alerts_topic()), _OWNER))
    return grants


def strimzi_user(
    principal: str, grants: Sequence[TopicGrant], cluster: str, authentication: str
) -> dict[str, object]:
    """A Strimzi ``KafkaUser`` for ``principal`` with exactly ``grants`` (simple authorization).

    ``authentication``: ``scram-sha-512`` or ``tls``; the user operator then writes
    the Secret the chart reads (``kafka.security.sasl.identities`` or
    ``kafka.security.tls.clientCertSecret``).
    """
    name = principal.removeprefix("User:")
    if authentication == "tls":
        name = name.removeprefix("CN=")
    return {
        "apiVersion": "kafka.strimzi.io/v1beta2",
        "kind": "KafkaUser",
        "metadata": {"name": name, "labels": {"strimzi.io/cluster": cluster}},
        "spec": {
            "authentication": {"type": authentication},
            "authorization": {
                "type": "simple",
                "acls": [
                    {
                        "resource": {
                            "type": "topic",
                            "name": grant.name,
                            "patternType": "prefix" if grant.prefixed else "literal",
                        },
                        "operations": list(grant.operations),
                        "host": "*",
                    }
                    for grant in grants
                ],
            },
        },
    }


#: What Kubernetes accepts as an object's name (an RFC 1123 subdomain, at most 253
#: characters) and as a label's value (at most 63).
_OBJECT_NAME = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")
_LABEL_VALUE = re.compile(r"([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?")


def checked_kubernetes_names(user: dict[str, Any]) -> None:
    """ValidationError unless the KafkaUser's name and cluster label are ones Kubernetes
    accepts. Why: a principal such as ``User:CN=audit,O=Ministry`` was printed as the
    name ``audit,O=Ministry``, which ``kubectl apply`` refused only at deployment."""
    metadata = user["metadata"]
    name, cluster = metadata["name"], metadata["labels"]["strimzi.io/cluster"]
    if not _OBJECT_NAME.fullmatch(name):
        raise ValidationError(
            "principal",
            "kubernetes_name",
            f"the KafkaUser would be named {name!r}, which Kubernetes refuses (lower-case "
            "letters, digits, '-' and '.', at most 253): the principal must be User:<name>, "
            "or User:CN=<name> with --authentication tls",
        )
    if not _LABEL_VALUE.fullmatch(cluster) or not cluster:
        raise ValidationError(
            "cluster",
            "kubernetes_label",
            f"--cluster {cluster!r} is not a Kubernetes label value (letters, digits, '-', "
            "'_' and '.', at most 63)",
        )


class KafkaAccessAdmin:
    """Applies users and ACLs through an identity allowed to (the cluster's administrator)."""

    def __init__(self, settings: KafkaSettings) -> None:
        from shared.kafka.clients import create_admin

        self._settings = settings
        self._admin = create_admin(settings)

    def grant(self, principal: str, grants: Sequence[TopicGrant]) -> int:
        """Adds the ACLs (existing ones are kept); returns how many were created."""
        from kafka.admin import (
            ACL,
            ACLOperation,
            ACLPermissionType,
            ACLResourcePatternType,
            ResourcePattern,
            ResourceType,
        )

        from shared.kafka.clients import translated_errors

        acls = [
            ACL(
                principal=principal,
                host="*",
                operation=ACLOperation[_OPERATIONS[operation]],
                permission_type=ACLPermissionType.ALLOW,
                resource_pattern=ResourcePattern(
                    ResourceType.TOPIC,
                    grant.name,
                    ACLResourcePatternType.PREFIXED
                    if grant.prefixed
                    else ACLResourcePatternType.LITERAL,
                ),
            )
            for grant in grants
            for operation in grant.operations
        ]
        with translated_errors(self._settings):
            result = self._admin.create_acls(acls)
        if result["failed"]:
            raise ConfigurationError(
                f"the cluster refused ACLs for {principal}: {result['failed']}"
            )
        return len(result["succeeded"])

    def set_scram_user(self, username: str, password: str, mechanism: str) -> None:
        """Creates or resets a SCRAM user; returns once the broker lists it."""
        from kafka.admin import UserScramCredentialUpsertion

        from shared.kafka.clients import translated_errors

        with translated_errors(self._settings):
            made = self._admin.alter_user_scram_credentials(
                [UserScramCredentialUpsertion(username, mechanism, password)]
            )
            if made.get(username) is not None:
                raise ConfigurationError(f"the cluster refused the user {username}: {made}")
            # The broker's credential cache follows the metadata log asynchronously.
            deadline = time.monotonic() + self._settings.request_timeout_ms / 1000
            while username not in self._admin.describe_user_scram_credentials([username]):
                if time.monotonic() > deadline:
                    raise BrokerUnavailableError(f"the broker never listed the user {username}")
                time.sleep(0.1)

    def close(self) -> None:
        self._admin.close()


#: Our names of operations → kafka-python's ``ACLOperation`` members.
_OPERATIONS: dict[Operation, str] = {
    "Create": "CREATE",
    "Write": "WRITE",
    "Read": "READ",
    "Describe": "DESCRIBE",
    "DescribeConfigs": "DESCRIBE_CONFIGS",
}
