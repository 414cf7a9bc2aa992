"""Reporting handlers, keyed by full (versioned) event type.

Reporting consumes missions and agreements. Delegation visits and posts
abroad are read and knowingly left out (``IGNORED_AGGREGATES``): the figures
asked of reporting do not use them. Any other aggregate type, or a type
version no handler was written for, is unknown and stops the projection.
"""

from __future__ import annotations

from collections.abc import Mapping

from shared.reporting.handlers import agreements, missions
from shared.reporting.handlers.common import Handler

HANDLERS: Mapping[str, Handler] = {**missions.HANDLERS, **agreements.HANDLERS}

#: Aggregate types whose events move the tracking on without changing any row.
IGNORED_AGGREGATES = frozenset({"delegation-visit", "post-abroad"})

__all__ = ["HANDLERS", "IGNORED_AGGREGATES", "Handler"]
