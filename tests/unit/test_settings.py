"""Settings read from the environment the way operators write them."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from shared.settings import Settings


@pytest.mark.parametrize(
    ("given", "tenants"),
    [
        ("police", ["police"]),
        ("police, gendarmerie", ["police", "gendarmerie"]),
        ('["police", "civil-protection"]', ["police", "civil-protection"]),
    ],
)
def test_tenants_come_as_a_comma_list_or_json(
    monkeypatch: pytest.MonkeyPatch, given: str, tenants: list[str]
) -> None:
    monkeypatch.setenv("ENTENTE_TENANTS", given)
    assert Settings().tenants == tenants


@pytest.mark.parametrize("slug", ["reporting", "audit", "Police", "civil_protection", "-x"])
def test_a_reserved_or_malformed_tenant_slug_is_refused(slug: str) -> None:
    from shared.errors import ConfigurationError
    from shared.tenancy import check_slug

    with pytest.raises(ConfigurationError):
        check_slug(slug)


def test_a_slug_too_long_says_the_limit() -> None:
    """It said only "lowercase words joined by '-'", which the slug was."""
    from shared.errors import ConfigurationError
    from shared.tenancy import check_slug

    assert check_slug("a" * 40) == "a" * 40
    with pytest.raises(ConfigurationError, match="at most 40 characters"):
        check_slug("a" * 41)


@pytest.mark.parametrize(
    ("slug", "schema"),
    [
        ("police-views", "entente_police_views"),  # police's views: a rebuild dropped it
        ("police-views-new", "entente_police_views_new"),
        ("police-views-old", "entente_police_views_old"),
        ("access", "entente_access"),  # the access log's
    ],
)
def test_a_slug_whose_event_store_would_take_another_schema_is_refused(
    slug: str, schema: str
) -> None:
    from shared.application.stores import schema_for
    from shared.errors import ConfigurationError
    from shared.tenancy import check_slug

    assert schema_for(slug) == schema
    with pytest.raises(ConfigurationError, match=r"may not end in|is reserved"):
        check_slug(slug)
    assert check_slug("views-police") == "views-police"  # the ending alone matters


@pytest.mark.parametrize("given", ["-1", "0", "1023"])
def test_a_body_limit_that_would_refuse_every_command_is_refused(
    monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    """The Helm chart's schema says at least 1024 too; ``0`` took every POST for a 413."""
    from pydantic import ValidationError

    monkeypatch.setenv("ENTENTE_MAX_BODY_BYTES", given)
    with pytest.raises(ValidationError, match="max_body_bytes"):
        Settings()
    monkeypatch.setenv("ENTENTE_MAX_BODY_BYTES", "1024")
    assert Settings().max_body_bytes == 1024


def test_a_tenant_named_twice_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    monkeypatch.setenv("ENTENTE_TENANTS", "police,gendarmerie,police")
    with pytest.raises(ValidationError, match="tenants named more than once: police"):
        Settings()


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("sqlite:////srv/views.db", "the views live in PostgreSQL (postgresql://…), not sqlite"),
        ("mysql://u@h/views", "the views live in PostgreSQL (postgresql://…), not mysql"),
        ("views.db", "it names no scheme"),
    ],
)
def test_views_anywhere_but_postgres_are_refused_not_ignored(
    monkeypatch: pytest.MonkeyPatch, url: str, reason: str
) -> None:
    """They were silently written to SQLite files under data_dir/views instead."""
    monkeypatch.setenv("ENTENTE_VIEWS_URL", url)

    with pytest.raises(ValidationError) as caught:
        Settings()

    assert reason in str(caught.value)


@pytest.mark.parametrize(
    "url", ["postgresql://u:p@db/entente", "postgresql+psycopg://u:p@db:5432/entente"]
)
def test_postgres_views_urls_are_taken(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("ENTENTE_VIEWS_URL", url)

    assert Settings().views_url == url


@pytest.mark.parametrize("given", ["../../escaped", "Police", "police_1", "reporting"])
def test_a_tenant_that_is_not_a_slug_is_refused(
    monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    """A tenant names files under data_dir: "../../escaped" wrote a store outside it."""
    monkeypatch.setenv("ENTENTE_TENANTS", f"police,{given}")

    with pytest.raises(ValidationError) as caught:
        Settings()

    assert f"tenant slug {given!r}" in str(caught.value)


def test_the_default_body_cap_admits_the_largest_valid_import() -> None:
    """100 items at every length limit, in the JSON a client escaping non-ASCII sends.

    The first default (64 KiB) refused a 100-item import of ordinary French
    descriptions, though the README promises 1 to 100 items per import.
    """
    import json

    from services.tenant.schemas.missions import ImportMissions
    from shared.domain.vocabulary import MissionType, Organisation, Theme

    longest = sorted(Theme, key=len)[-20:]
    item = {
        "title": "é" * 500,
        "mission_type": max(MissionType, key=len).value,
        "countries": ["VN"] * 60,
        "organisations": [max(Organisation, key=len).value] * 20,
        "themes": [t.value for t in longest],
        "requested_by": "é" * 200,
        "post_id": "0b5f2f8e-3c1d-4f7a-9a63-2f1e5d8c7b6a",
        "requested_on": "2026-11-02",
        "description": "é" * 4000,
        "classification": "restricted",
    }
    body = json.dumps({"items": [item] * 100}).encode()  # ASCII: each é is 6 bytes
    ImportMissions.model_validate_json(body)  # valid as far as the schema goes

    assert len(body) <= Settings().max_body_bytes


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("ENTENTE_ISSUER", "", "issuer\n  Value error, is empty: tokens are checked against it"),
        ("ENTENTE_AUDIENCE", "  ", "audience\n  Value error, is empty"),
        # It started ready, then refused every token as "no key".
        ("ENTENTE_JWKS_URL", "not-a-url", "must be the realm's certificates URL, http(s)://"),
        ("ENTENTE_JWKS_URL", "ftp://kc/certs", "must be the realm's certificates URL"),
        ("ENTENTE_JWKS_URL", "https:///certs", "must be the realm's certificates URL"),
        ("ENTENTE_JWKS_URL", "http://kc:99999/certs", "Port out of range"),
    ],
)
def test_token_settings_that_would_refuse_every_token_are_refused(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, said: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError, match=re.escape(said)):
        Settings()


def test_a_keycloak_certificates_url_is_taken() -> None:
    url = "https://sso.interieur.gouv.fr/realms/entente/protocol/openid-connect/certs"
    assert Settings(auth="jwks", jwks_url=url).jwks_url == url
