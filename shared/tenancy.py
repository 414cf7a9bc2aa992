"""Tenants are configuration, not code: a fourth directorate is one more slug.

Slugs must be lowercase words joined by hyphens, so they are safe in URLs,
topic names, role names and (with hyphens turned to underscores) schema names.
"""

from __future__ import annotations

import re

from shared.errors import ConfigurationError, NotFoundError

DEFAULT_TENANTS = ("police", "gendarmerie", "civil-protection")
#: Path segments other services own under /api: a tenant cannot take them.
RESERVED = frozenset({"reporting", "audit", "dev-issuer"})
_SLUG = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


def check_slug(slug: str) -> str:
    if not _SLUG.match(slug) or len(slug) > 40:
        raise ConfigurationError(f"tenant slug {slug!r} must be lowercase words joined by '-'")
    if slug in RESERVED:
        raise ConfigurationError(f"tenant slug {slug!r} is reserved for another service")
    return slug


def configured_tenant(slug: str, configured: list[str]) -> str:
    """``slug`` if ENTENTE_TENANTS names it, else NotFoundError naming those it does.

    For commands given a tenant by an operator: a misspelt one must stop before it
    opens (hence creates) an event store, a topic or views of its own.
    """
    check_slug(slug)
    if slug not in configured:
        named = ", ".join(configured) or "none"
        raise NotFoundError(f"no tenant {slug!r} here (ENTENTE_TENANTS: {named})")
    return slug


def served_tenant(slug: str, served: list[str]) -> str:
    """The tenant named in a URL if this process serves it, else NotFoundError (404)."""
    if slug not in served:
        raise NotFoundError(f"no tenant {slug!r} here")
    return slug
