"""Tenant topics are created with the log's configuration, and anything else is refused."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.kafka.errors import BrokerRequestError, TopicMisconfiguredError, TopicMissingError
from shared.kafka.names import checkpoints_topic, dead_letter_topic, events_topic
from shared.kafka.settings import KafkaSettings
from shared.kafka.topics import KafkaTopicAdmin, TopicSpec, tenant_topics

pytestmark = pytest.mark.kafka

KEEPS_HISTORY = {
    "cleanup.policy": "delete",
    "retention.ms": "-1",
    "retention.bytes": "-1",
    "unclean.leader.election.enable": "false",
    "min.insync.replicas": "1",
}


def test_the_three_topics_of_a_tenant_are_created_to_keep_everything_forever(
    topic_admin: KafkaTopicAdmin, tenant: str
) -> None:
    topic_admin.ensure_tenant_topics(tenant)

    for topic in (events_topic(tenant), checkpoints_topic(tenant), dead_letter_topic(tenant)):
        config = topic_admin.config_of(topic)
        assert {key: config[key] for key in KEEPS_HISTORY} == KEEPS_HISTORY
    topic_admin.verify_tenant_topics(tenant)


def test_events_get_the_configured_partitions_checkpoints_and_dead_letters_one(
    kafka_settings: KafkaSettings, tenant: str
) -> None:
    specs = {spec.name: spec for spec in tenant_topics(kafka_settings, tenant)}

    assert specs[events_topic(tenant)].partitions == kafka_settings.partitions == 3
    assert specs[checkpoints_topic(tenant)].partitions == 1
    assert specs[dead_letter_topic(tenant)].partitions == 1


def test_creating_again_changes_nothing(topic_admin: KafkaTopicAdmin, tenant: str) -> None:
    topic_admin.ensure_tenant_topics(tenant)
    spec = TopicSpec(events_topic(tenant), 3, 1, 1)

    assert topic_admin.create(spec) is False
    topic_admin.ensure_tenant_topics(tenant)


@pytest.mark.parametrize(
    ("key", "value", "complaint"),
    [
        ("cleanup.policy", "compact", "compacts"),
        ("cleanup.policy", "compact,delete", "compacts"),
        ("retention.ms", "604800000", "retention.ms=604800000 deletes"),
        ("retention.bytes", "1073741824", "retention.bytes=1073741824 deletes"),
        ("unclean.leader.election.enable", "true", "unclean.leader.election"),
    ],
)
def test_verify_refuses_a_topic_that_could_lose_or_rewrite_history(
    topic_admin: KafkaTopicAdmin, tenant: str, key: str, value: str, complaint: str
) -> None:
    topic_admin.ensure_tenant_topics(tenant)
    topic_admin.alter_config(events_topic(tenant), {key: value})

    with pytest.raises(TopicMisconfiguredError, match=complaint) as refused:
        topic_admin.verify_tenant_topics(tenant)
    assert refused.value.topic.endswith(events_topic(tenant))


def test_verify_refuses_another_partition_count(kafka_settings: KafkaSettings, tenant: str) -> None:
    fewer = kafka_settings.model_copy(update={"partitions": 2})
    creator = KafkaTopicAdmin(fewer)
    try:
        creator.ensure_tenant_topics(tenant)
    finally:
        creator.close()
    admin = KafkaTopicAdmin(kafka_settings)
    try:
        with pytest.raises(TopicMisconfiguredError, match=r"2 partitions \(want 3\)"):
            admin.verify_tenant_topics(tenant)
    finally:
        admin.close()


def test_verify_refuses_a_lower_min_insync_replicas(
    topic_admin: KafkaTopicAdmin, tenant: str
) -> None:
    topic_admin.ensure_tenant_topics(tenant)
    stricter = TopicSpec(events_topic(tenant), 3, 1, min_insync_replicas=2)

    with pytest.raises(TopicMisconfiguredError, match=r"min.insync.replicas=1 \(want at least 2\)"):
        topic_admin.verify_topic(stricter)


def test_verify_refuses_a_missing_topic(topic_admin: KafkaTopicAdmin, tenant: str) -> None:
    with pytest.raises(TopicMissingError):
        topic_admin.verify_tenant_topics(tenant)


def test_settings_refuse_more_insync_replicas_than_replicas() -> None:
    with pytest.raises(ValidationError, match="cannot exceed"):
        KafkaSettings(replication_factor=1, min_insync_replicas=2)


def test_a_setting_change_the_broker_refuses_is_an_error_not_a_silent_no_op(
    topic_admin: KafkaTopicAdmin, tenant: str
) -> None:
    topic_admin.ensure_tenant_topics(tenant)

    with pytest.raises(
        BrokerRequestError, match=r"Invalid value shred for configuration cleanup\.policy"
    ):
        topic_admin.alter_config(events_topic(tenant), {"cleanup.policy": "shred"})
    assert topic_admin.config_of(events_topic(tenant))["cleanup.policy"] == "delete"
