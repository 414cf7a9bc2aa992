"""The relay service: one process per tenant, publishing its events to Kafka."""
