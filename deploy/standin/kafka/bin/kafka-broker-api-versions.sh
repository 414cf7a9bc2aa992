#!/usr/bin/env bash
# The Kafka release's kafka-broker-api-versions.sh: the same tool class.
exec /opt/kafka/bin/java-tool org.apache.kafka.tools.BrokerApiVersionsCommand "$@"
