#!/usr/bin/env bash
# The Kafka release's kafka-topics.sh: the same tool class.
exec /opt/kafka/bin/java-tool org.apache.kafka.tools.TopicCommand "$@"
