"""The projector service's settings: the platform's, plus where its log comes from.

``ENTENTE_EVENT_LOG=kafka`` reads the tenant topics from the cluster that
``ENTENTE_KAFKA_*`` describes (``shared.kafka.settings``) and parks poison
messages on each tenant's dead-letter topic; the default, ``embedded``, reads
the tenants' event stores directly and parks in the view store only.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.settings import Settings


class ProjectorSettings(Settings):
    """Every knob of the projector service (prefix ``ENTENTE_``)."""

    event_log: Literal["embedded", "kafka"] = Field(
        default="embedded", description="Where the events are read: the stores, or Kafka"
    )
    poll_interval: float = Field(
        default=0.2, gt=0, description="Seconds between two looks at the log when caught up"
    )
    page_size: int = Field(default=1000, ge=1, description="Records per view transaction")
