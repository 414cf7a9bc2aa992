"""Event handlers of the directorate views, keyed by full event type (with version).

Keying by the versioned type means a ``….v3`` the projector was not written
for is *unknown* and stops projection, instead of being read with the v2 code.
"""

from __future__ import annotations

from collections.abc import Mapping

from shared.views.handlers import agreements, delegations, missions, posts
from shared.views.handlers.common import Handler

HANDLERS: Mapping[str, Handler] = {
    **agreements.HANDLERS,
    **missions.HANDLERS,
    **delegations.HANDLERS,
    **posts.HANDLERS,
}

__all__ = ["HANDLERS", "Handler"]
