"""The projector service: consumes the tenant topics into the read views, and reports on it.

``entente project`` runs it (see README.md): a ``ProjectorThread`` over the
event log (Kafka, or the embedded log) and the view store, with ``/healthz``,
``/readyz``, ``/metrics`` and ``/status``.
"""
