"""The reporting service's settings: the platform's, plus its log and its store.

``ENTENTE_EVENT_LOG=kafka`` reads the tenant topics from the cluster that
``ENTENTE_KAFKA_*`` describes; the default, ``embedded``, reads the tenants'
event stores directly (one-partition topics, as the tenant projector does).
``ENTENTE_REPORTING_URL`` names a PostgreSQL database for the reporting
schema (``ENTENTE_REPORTING_SCHEMA``, default ``entente_reporting``); without
it, a PostgreSQL views database is used, else the SQLite file
``<data_dir>/reporting.sqlite3``. ``ENTENTE_REPORTING_KEY`` keeps the area's ids
across a rebuild (``shared.reporting.area_key``).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, SecretStr, field_validator

from shared.settings import Settings, postgres_url

#: A schema name PostgreSQL takes unquoted, within its 63 characters.
_SCHEMA = re.compile(r"[a-z][a-z0-9_]{0,62}")


class ReportingSettings(Settings):
    """Every knob of the reporting service (prefix ``ENTENTE_``)."""

    event_log: Literal["embedded", "kafka"] = Field(
        default="embedded", description="Where the events are read: the stores, or Kafka"
    )
    reporting_url: str | None = Field(
        default=None, description="PostgreSQL URL of the entente_reporting schema"
    )
    reporting_schema: str = Field(
        default="entente_reporting", description="The PostgreSQL schema of the reporting area"
    )
    reporting_key: SecretStr | None = Field(
        default=None,
        description=(
            "Base64url of 32 random bytes: seeds the area's key (pair and alert ids, page "
            "cursors), so a rebuilt area keeps its ids; default: a key made in the area "
            "(embedded SQLite area: <data_dir>/reporting.key)"
        ),
    )
    reporting_poll_interval: float = Field(
        default=0.5, gt=0, description="Seconds between two looks at the log when caught up"
    )
    reporting_page_size: int = Field(default=1000, ge=1, description="Records per transaction")

    @field_validator("reporting_url")
    @classmethod
    def _reporting_in_postgres(cls, url: str | None) -> str | None:
        if url is None:
            return None
        return postgres_url(
            url, "the reporting area lives", "the views database, or SQLite under data_dir"
        )

    @field_validator("reporting_schema")
    @classmethod
    def _own_schema(cls, schema: str) -> str:
        """A plain name of its own: empty or ``pg_…`` failed with a traceback, and a
        tenant's schema (``entente_police``) took the reporting tables beside its events."""
        if not _SCHEMA.fullmatch(schema) or schema.startswith("pg_"):
            raise ValueError(
                f"{schema!r} is not a schema name to use: lowercase letters, digits and _, "
                "starting with a letter, not pg_…"
            )
        if schema.startswith("entente_") and schema != "entente_reporting":
            raise ValueError(
                f"{schema!r} is in the entente_ namespace of the tenants' and the platform's "
                "own schemas: use entente_reporting or a name of your own"
            )
        return schema

    @field_validator("reporting_key")
    @classmethod
    def _blank_is_none(cls, key: SecretStr | None) -> SecretStr | None:
        """Compose passes ``REPORTING_KEY`` as it is: empty there means not set."""
        return None if key is None or not key.get_secret_value().strip() else key

    def reporting_store_url(self) -> str | None:
        """The reporting database: its own URL, else a PostgreSQL views database, else none."""
        if self.reporting_url:
            return self.reporting_url
        if self.views_url and self.views_url.split(":", 1)[0].startswith("postgres"):
            return self.views_url
        return None
