"""The reporting projector as a background thread (embedded server and service).

It polls every ``poll_interval`` seconds (on Kafka, a caught-up pass waits on the
broker instead: ``shared.log.idle``) and can be woken with ``wake()``. A
``ProjectionError`` (version gap, unknown type, bad payload, poison message)
stops it, or with the projector's ``halts`` only that directorate's partition —
retrying cannot fix those and the tracking stays before the event — and
``stop_reason`` tells readiness why. Any other error (a locked file,
a dropped connection, a broker away) rolled its batch back and is retried
with a growing pause.
"""

from __future__ import annotations

import logging

from shared.reporting.projector import ReportingProjector
from shared.views.runner import PassThread

log = logging.getLogger("entente.reporting")


class ReportingThread(PassThread[ReportingProjector]):
    """The reporting projector's thread (``PassThread``)."""

    def __init__(self, projector: ReportingProjector, poll_interval: float = 0.2) -> None:
        super().__init__(projector, poll_interval, name="entente-reporting", logger=log)
