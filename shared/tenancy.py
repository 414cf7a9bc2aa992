"""Tenants are configuration, not code: a fourth directorate is one more slug.

Slugs must be lowercase words joined by hyphens, so they are safe in URLs,
topic names, role names and (with hyphens turned to underscores) schema names.
"""

from __future__ import annotations

import re

from shared.errors import ConfigurationError, NotFoundError

DEFAULT_TENANTS = ("police", "gendarmerie", "civil-protection")
#: The directorates' names for people (files asked in French or English): the known
#: slugs only; a directorate added by configuration is named by its slug.
DIRECTORATE_NAMES: dict[str, tuple[str, str]] = {
    "police": ("Police nationale", "National Police"),
    "gendarmerie": ("Gendarmerie nationale", "National Gendarmerie"),
    "civil-protection": ("Sécurité civile (DGSCGC)", "Civil Protection (DGSCGC)"),
}
#: Path segments other services own under /api: a tenant cannot take them.
RESERVED = frozenset({"reporting", "audit", "dev-issuer", "access"})
#: A tenant's views live in schemas named after its events schema plus these: a slug
#: ending so would give its events schema the name of another tenant's views
#: (``police-views`` → ``entente_police_views``), which a rebuild drops.
VIEW_SCHEMA_ENDINGS = ("-views", "-views-new", "-views-old")
_SLUG = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


#: Longest slug: it names PostgreSQL schemas and Kafka topics, with their prefixes and
#: endings, within PostgreSQL's 63-byte identifiers.
MAX_SLUG = 40


def named(slug: str) -> str:
    """``slug`` quoted for a message, its first ``MAX_SLUG`` characters when longer.

    A name of 5,000 characters was echoed whole, a screenful in one line (probe 11).
    """
    if len(slug) <= MAX_SLUG:
        return repr(slug)
    return f"{slug[:MAX_SLUG]!r}… ({len(slug)} characters)"


def check_slug(slug: str) -> str:
    if not _SLUG.match(slug) or len(slug) > MAX_SLUG:
        raise ConfigurationError(
            f"tenant slug {named(slug)} must be lowercase words joined by '-', "
            f"at most {MAX_SLUG} characters"
        )
    if slug in RESERVED:
        raise ConfigurationError(f"tenant slug {slug!r} is reserved for another service")
    for ending in VIEW_SCHEMA_ENDINGS:
        if slug.endswith(ending):
            raise ConfigurationError(
                f"tenant slug {slug!r} may not end in {ending!r}: its event store would share "
                f"its PostgreSQL schema with the views of tenant {slug[: -len(ending)]!r}"
            )
    return slug


def configured_tenant(slug: str, configured: list[str]) -> str:
    """``slug`` if ENTENTE_TENANTS names it, else NotFoundError naming those it does.

    For commands given a tenant by an operator: a misspelt one must stop before it
    opens (hence creates) an event store, a topic or views of its own.
    """
    check_slug(slug)
    if slug not in configured:
        listed = ", ".join(configured) or "none"
        raise NotFoundError(f"no tenant {named(slug)} here (ENTENTE_TENANTS: {listed})")
    return slug


def served_tenant(slug: str, served: list[str]) -> str:
    """The tenant named in a URL if this process serves it, else NotFoundError (404)."""
    if slug not in served:
        raise NotFoundError(f"no tenant {named(slug)} here")
    return slug


def chosen_tenants(option: str | None, configured: list[str]) -> list[str]:
    """The tenants a ``--tenants a,b`` option names (``configured`` when not given).

    Why each refusal: an empty value (an unset ``"$T"`` in a script) took every
    configured tenant; a misspelt one waited for ever for a topic nobody writes, or
    was granted one; a tenant named twice was projected by two consumers at once.
    """
    if option is None:
        return list(configured)
    chosen = [t.strip() for t in option.split(",") if t.strip()]
    if not chosen:
        raise ConfigurationError(f"--tenants {option!r} names no tenant")
    for tenant in chosen:
        configured_tenant(tenant, configured)
    if len(set(chosen)) < len(chosen):
        raise ConfigurationError(f"--tenants {option!r} names a tenant twice")
    return chosen
