"""The audit service: read-only history, as-of states and the access log for auditors."""
