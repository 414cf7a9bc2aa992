"""Auditing a tenant's history: record histories and as-of states, chain verification against
the Kafka log, checkpoints and export bundles, view replays, and the commands that run them.

``docs/audit.md`` is the auditor's guide; ``services/audit`` serves the read API.
"""
