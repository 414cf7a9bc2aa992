#!/usr/bin/env bash
# One-shot topic creation for docker compose (runs in the apache/kafka image).
# Per tenant: entente.<tenant>.events (PARTITIONS partitions), .checkpoints and
# .events.dlt (1 partition each), all keeping every event forever. The relays and
# the projector verify these settings at start-up (shared/kafka/topics.py) and
# refuse a topic that differs, so PARTITIONS must equal their ENTENTE_KAFKA_PARTITIONS.
# Once for the platform: entente.reporting.alerts (1 partition), reporting's overlap alerts.
#
# Environment: BOOTSTRAP (kafka:9092), TENANTS (slugs, space- or comma-separated),
# PARTITIONS (3), REPLICATION_FACTOR (1 here; 3 in production), MIN_INSYNC_REPLICAS (1; 2),
# KAFKA_TOPICS (/opt/kafka/bin/kafka-topics.sh, the official image's path).
set -euo pipefail

bootstrap="${BOOTSTRAP:-kafka:9092}"
partitions="${PARTITIONS:-3}"
replication="${REPLICATION_FACTOR:-1}"
min_isr="${MIN_INSYNC_REPLICAS:-1}"
topics_cmd="${KAFKA_TOPICS:-/opt/kafka/bin/kafka-topics.sh}"
slug='^[a-z][a-z0-9]*(-[a-z0-9]+)*$'

create() {  # create TOPIC PARTITIONS
  "$topics_cmd" --bootstrap-server "$bootstrap" --create --if-not-exists \
    --topic "$1" --partitions "$2" --replication-factor "$replication" \
    --config cleanup.policy=delete --config retention.ms=-1 --config retention.bytes=-1 \
    --config unclean.leader.election.enable=false --config min.insync.replicas="$min_isr"
}

for tenant in ${TENANTS//,/ }; do
  if ! [[ $tenant =~ $slug ]]; then
    echo "create-topics: tenant slug '$tenant' must match $slug" >&2
    exit 1
  fi
  create "entente.$tenant.events" "$partitions"
  create "entente.$tenant.checkpoints" 1
  create "entente.$tenant.events.dlt" 1
done
create "entente.reporting.alerts" 1
"$topics_cmd" --bootstrap-server "$bootstrap" --describe --topics-with-overrides
echo "create-topics: done"
