"""The audit's settings: the platform's, plus where the log is read (as the projector's)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.settings import Settings


class AuditSettings(Settings):
    """``ENTENTE_EVENT_LOG=kafka`` makes verify, replay and export read the Kafka topics too."""

    event_log: Literal["embedded", "kafka"] = Field(
        default="embedded", description="Where the published log is read: the stores, or Kafka"
    )
