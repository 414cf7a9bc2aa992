"""Prometheus metrics over HTTP: one registry per service instance, served as text.

Each service builds its own ``CollectorRegistry`` (never the library's global
one), so two apps in one process — or in one test run — never share a series.
"""

from __future__ import annotations

from fastapi import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest


def metrics_response(registry: CollectorRegistry) -> Response:
    """The registry's current samples in the Prometheus text exposition format."""
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
