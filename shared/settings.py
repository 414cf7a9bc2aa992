"""Typed settings, read from the environment (prefix ``ENTENTE_``) once, at start-up.

Nothing is built at import time; the composition root reads settings and wires
adapters. Secrets come from the environment, never from the repository.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal, Self
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from shared.application.stores import EventStoreConfig, PostgresStore, SqliteStore
from shared.errors import ConfigurationError
from shared.tenancy import DEFAULT_TENANTS, check_slug


def checked_url(url: str) -> str:
    """``url`` if its host and port can be read, else ValueError saying why (not the URL:
    it may hold a password). A port out of range failed at the first connection, as a
    traceback."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - reading it checks it
    except ValueError as error:
        raise ValueError(f"not a usable URL: {error}") from None
    if not parts.scheme:
        raise ValueError("not a usable URL: it names no scheme (postgresql://…)")
    return url


def postgres_url(url: str, lives: str, unset: str) -> str:
    """``url`` if it names a PostgreSQL database, else ValueError: a database setting
    given another scheme (``sqlite://``, ``mysql://``) was ignored without a word, and
    the data went to files under data_dir. ``lives``/``unset`` complete the message:
    what lives in PostgreSQL, and what leaving the setting unset gives."""
    scheme = urlsplit(checked_url(url)).scheme  # urlsplit gives it in lower case
    if not scheme.startswith("postgres"):
        raise ValueError(
            f"{lives} in PostgreSQL (postgresql://…), not {scheme}; leave it unset for {unset}"
        )
    return url


#: Where the embedded mode keeps its files, relative to the folder it runs from.
DEFAULT_DATA_DIR = Path(".entente")


class Settings(BaseSettings):
    """Every knob of a service, with the embedded default's values."""

    model_config = SettingsConfigDict(env_prefix="ENTENTE_", extra="ignore")

    tenants: Annotated[list[str], NoDecode] = Field(default_factory=lambda: list(DEFAULT_TENANTS))
    data_dir: Path = DEFAULT_DATA_DIR
    store: Literal["sqlite", "postgres"] = "sqlite"
    postgres_url: str | None = None
    postgres_urls: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "Per-tenant PostgreSQL URLs (a JSON object, slug to URL) used instead of "
            "postgres_url for those tenants: the audit reading tenants whose event stores "
            "are in clusters of their own"
        ),
    )
    views_url: str | None = Field(
        default=None,
        description="PostgreSQL URL of the views database (postgresql://, postgresql+psycopg://); "
        "without it, SQLite files under data_dir/views",
    )
    auth: Literal["dev", "jwks"] = "dev"
    issuer: str = "http://127.0.0.1:8000/dev-issuer"
    audience: str = "entente-api"
    jwks_url: str | None = None
    jwks_max_age: float = Field(
        default=60.0,
        gt=0,
        description="Seconds a fetched key set is trusted before it is read again: a key "
        "removed from the realm (a leaked one) is refused within that time",
    )
    max_body_bytes: int = Field(
        # 4 MiB: the largest valid import (100 items at every length limit, non-ASCII
        # escaped) is about 2.9 MB; 64 KiB refused 100 ordinary French descriptions.
        default=4 * 1024 * 1024,
        ge=1024,
        description="Largest accepted request body, in bytes; lower would refuse every command",
    )
    embedded_projector: bool = True
    sample_data: bool = False

    @field_validator("tenants", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        """Accepts ``police,gendarmerie`` as well as the JSON list ``["police"]``."""
        if isinstance(value, str):
            if value.strip().startswith("["):
                return json.loads(value)
            return [t.strip() for t in value.split(",") if t.strip()]
        return value

    @field_validator("tenants")
    @classmethod
    def _each_once(cls, tenants: list[str]) -> list[str]:
        """``police,police`` is a slip in a deployment file: said, not silently merged."""
        repeated = sorted({t for t in tenants if tenants.count(t) > 1})
        if repeated:
            raise ValueError(f"tenants named more than once: {', '.join(repeated)}")
        for tenant in tenants:  # slugs name files and schemas: "../x" would leave data_dir
            try:
                check_slug(tenant)
            except ConfigurationError as error:
                raise ValueError(error.detail) from None
        return tenants

    @field_validator("data_dir", mode="before")
    @classmethod
    def _a_folder_named(cls, folder: object) -> object:
        """An empty value was the current folder (the dev issuer's key written there), and
        ``~`` was taken literally (a folder named ``~`` made in the current one)."""
        if isinstance(folder, str) and not folder.strip():
            raise ValueError("data_dir is empty: name the folder of the data (ENTENTE_DATA_DIR)")
        if str(folder).startswith("~"):
            raise ValueError(
                f"data_dir {str(folder)!r} starts with ~, which is not expanded here: "
                "give the full path"
            )
        return folder

    @field_validator("issuer", "audience")
    @classmethod
    def _named(cls, value: str) -> str:
        """Empty, every token was refused for an issuer or audience of ''; said here instead."""
        if not value.strip():
            raise ValueError("is empty: tokens are checked against it")
        return value

    @field_validator("jwks_url")
    @classmethod
    def _jwks_over_http(cls, url: str | None) -> str | None:
        """``not-a-url`` started a service that looked ready and refused every token."""
        if url is None:
            return None
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                "must be the realm's certificates URL, http(s)://host/realms/<realm>/"
                "protocol/openid-connect/certs"
            )
        return checked_url(url)  # the port

    @field_validator("postgres_url", "views_url")
    @classmethod
    def _a_url(cls, url: str | None) -> str | None:
        return None if url is None else checked_url(url)

    @field_validator("views_url")
    @classmethod
    def _views_in_postgres(cls, url: str | None) -> str | None:
        if url is None:
            return None
        return postgres_url(url, "the views live", "SQLite files under data_dir/views")

    @field_validator("postgres_urls")
    @classmethod
    def _urls(cls, urls: dict[str, str]) -> dict[str, str]:
        return {tenant: checked_url(url) for tenant, url in urls.items()}

    @model_validator(mode="after")
    def _urls_name_served_tenants(self) -> Self:
        """A URL for a tenant not served here is a typo that would leave the real one unread."""
        unknown = sorted(set(self.postgres_urls) - set(self.tenants))
        if unknown:
            raise ValueError(
                f"postgres_urls names {', '.join(unknown)}, not among the tenants "
                f"({', '.join(self.tenants)})"
            )
        return self

    def event_store(self, tenant: str | None = None) -> EventStoreConfig:
        """The event store: ``tenant``'s own URL (``postgres_urls``) if it has one."""
        if self.store == "postgres":
            url = self.postgres_urls.get(tenant) if tenant is not None else None
            url = url or self.postgres_url
            if not url:
                raise ConfigurationError(
                    "ENTENTE_POSTGRES_URL is required when ENTENTE_STORE=postgres"
                )
            return PostgresStore(url)
        return SqliteStore(self.data_dir / "events")
