"""One line for a database or a file system that refused a command, or for bad settings.

A command run with the wrong role, password or address meets the database's own
error (psycopg's, possibly wrapped by SQLAlchemy); one run where it may not write (a
read-only root filesystem, a folder of another user) meets the system's. Both are
settings to fix, not defects to debug: the operator gets one line and exit code 2, like
any other refused setting, instead of a page of traceback.
"""

from __future__ import annotations

import errno
import sys

from shared.errors import first_line


def database_refusal(error: BaseException) -> str | None:
    """The line to print for ``error`` if a database raised it, else None.

    Sees through SQLAlchemy's and eventsourcing's wrappers to psycopg's error, and looks
    the libraries up in ``sys.modules``: an error of a library that was never imported
    cannot be one of its errors, and the command line stays quick to start.
    """
    alchemy = sys.modules.get("sqlalchemy.exc")
    if alchemy is not None and isinstance(error, alchemy.DBAPIError) and error.orig is not None:
        error = error.orig
    psycopg = sys.modules.get("psycopg")
    persistence = sys.modules.get("eventsourcing.persistence")
    if persistence is not None and isinstance(error, persistence.PersistenceError):
        cause = error.__cause__
        sqlite3 = sys.modules.get("sqlite3")
        if (psycopg is not None and isinstance(cause, psycopg.Error)) or (
            sqlite3 is not None and isinstance(cause, sqlite3.Error)
        ):
            error = cause
        return _line(error)
    if psycopg is not None and isinstance(error, psycopg.Error):
        return _line(error)
    sqlite3 = sys.modules.get("sqlite3")  # a store that is not SQLite, or read-only
    if sqlite3 is not None and isinstance(error, sqlite3.Error):
        return _line(error)
    return None


def altered_store(error: BaseException) -> str | None:
    """The line to print when a stored event cannot be decoded, else None.

    Only a change made where the events are kept does that (``entente check`` met one
    with a traceback): it is a finding for the auditors, named as such.
    """
    persistence = sys.modules.get("eventsourcing.persistence")
    if persistence is None or not isinstance(error, persistence.MapperDeserialisationError):
        return None
    return (
        f"a stored event cannot be decoded ({first_line(error)}): the event store was "
        "altered; `entente audit verify <tenant>` names the event"
    )


def _line(error: BaseException) -> str:
    return f"the database refused ({type(error).__name__}): {first_line(error)}"


def file_refusal(error: BaseException) -> str | None:
    """The line to print for ``error`` if the system refused a named file, or a full disk
    refused a write (which names no file), else None."""
    if not isinstance(error, OSError) or error.errno is None:
        return None
    if error.errno in _FULL_ERRNOS:
        return (
            f"the system refused a write: {error.strerror}; free some space and run the "
            "command again (with --resume where it has one)"
        )
    if error.filename is None or error.errno not in _SETTINGS_ERRNOS:
        return None
    return (
        f"cannot use {error.filename}: {error.strerror} "
        "(set ENTENTE_DATA_DIR, or the command's path options, to a writable place)"
    )


#: A full disk, or the user's quota reached: no setting fixes it, space does.
_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})

#: Refusals that a setting fixes: permissions, read-only file systems, a file
#: where a folder should be.
_SETTINGS_ERRNOS = frozenset(
    {
        errno.EACCES,
        errno.EPERM,
        errno.EROFS,
        errno.ENOTDIR,
        errno.EEXIST,
        errno.ENOENT,  # a data directory under a parent that does not exist (/proc/x)
    }
)


def settings_refusal(error: BaseException) -> str | None:
    """The line to print for settings that failed validation, else None.

    pydantic's own message repeats the input, and the input of a settings class is
    the environment: database URLs with their passwords, SASL passwords. Only the
    field names and the reasons are printed, never a value.
    """
    sources = sys.modules.get("pydantic_settings")
    if sources is not None and isinstance(error, sources.SettingsError):
        # Its message names the field and the source ("error parsing value for field
        # "postgres_urls" from source "EnvSettingsSource"), never the value.
        return f"invalid settings: {error}"
    pydantic = sys.modules.get("pydantic")
    if pydantic is None or not isinstance(error, pydantic.ValidationError):
        return None
    prefix = _env_prefix(error.title)
    reasons = [
        f"{_variable(prefix, found['loc'])}: {found['msg']}"
        for found in error.errors(include_input=False, include_url=False, include_context=False)
    ]
    shown = "" if prefix is not None else f" ({error.title})"
    return f"invalid settings{shown}: " + "; ".join(reasons)


def _env_prefix(title: str) -> str | None:
    """The environment prefix of the settings class named ``title`` (None if none is).

    Why: the operator sets ``ENTENTE_JWKS_URL``, not the field ``jwks_url`` of a class
    named ``Settings``; the error should name what to change.
    """
    sources = sys.modules.get("pydantic_settings")
    if sources is None:
        return None
    pending = list(sources.BaseSettings.__subclasses__())
    while pending:
        cls = pending.pop()
        if cls.__name__ == title:
            return str(cls.model_config.get("env_prefix", ""))
        pending.extend(cls.__subclasses__())
    return None


def _variable(prefix: str | None, loc: tuple[int | str, ...]) -> str:
    """``ENTENTE_POSTGRES_URLS[police]`` for the location ``("postgres_urls", "police")``;
    ``ENTENTE_KAFKA_*`` for a rule of the whole class (no location)."""
    if prefix is None:
        return ".".join(str(part) for part in loc) or "settings"
    if not loc:
        return f"{prefix}*"
    first, *rest = loc
    return f"{prefix}{first}".upper() + "".join(f"[{part}]" for part in rest)


def named_interface(host: str) -> str:
    """``--host``, refused when empty: an empty host is every interface to asyncio, so an
    unset ``--host "$HOST"`` exposed the service to the network instead of refusing."""
    if not host.strip():
        import typer

        raise typer.BadParameter(
            "is empty: name an interface (127.0.0.1 for this machine alone, 0.0.0.0 for all)",
            param_hint="--host",
        )
    return host
