"""Before a server starts: every PostgreSQL database its settings name answers.

Why: the services open their view and reporting databases in their start-up
(uvicorn's lifespan), whose failure uvicorn prints as a page of traceback and exit
status 3, without the setting at fault. One connection per URL first gives the
operator one line naming the setting and the server's reason, and exit status 2,
like every other refused setting.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import psycopg

from shared.errors import ConfigurationError, first_line
from shared.pg_probe import answers
from shared.settings import Settings


def named_databases(settings: Settings) -> dict[str, str]:
    """The PostgreSQL URLs of the settings, by the variable that sets each."""
    found: dict[str, str] = {}
    if settings.store == "postgres" and settings.postgres_url:
        found["ENTENTE_POSTGRES_URL"] = settings.postgres_url
    for tenant, url in settings.postgres_urls.items():
        found[f"ENTENTE_POSTGRES_URLS[{tenant}]"] = url
    others: dict[str, str | None] = {
        "ENTENTE_VIEWS_URL": settings.views_url,
        "ENTENTE_REPORTING_URL": os.environ.get("ENTENTE_REPORTING_URL"),  # reporting's own
    }
    for name, other in others.items():
        if other and other.split(":", 1)[0].startswith("postgres"):
            found[name] = other
    return found


def databases_answer(settings: Settings) -> None:
    """ConfigurationError naming the first database that does not answer."""
    for name, url in named_databases(settings).items():
        try:
            answers(url)
        except psycopg.Error as error:
            parts = urlsplit(url)
            where = f"{parts.hostname}:{parts.port or 5432}{parts.path}"  # no credentials
            raise ConfigurationError(
                f"{name}: the database at {where} does not answer ({type(error).__name__}: "
                f"{first_line(error)})"
            ) from None
