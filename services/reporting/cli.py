"""``entente reporting``: operators' commands of the consolidated reporting area."""

from __future__ import annotations

import typer

from shared.errors import EntenteError

#: Where a distributed install keeps the area's key (a secret).
ENV = "ENTENTE_REPORTING_KEY"

reporting = typer.Typer(help="Consolidated reporting: the area's key.", no_args_is_help=True)


@reporting.command("key")
def key() -> None:
    """Print the reporting area's key (base64url), to keep in ENTENTE_REPORTING_KEY.

    An area made without ENTENTE_REPORTING_KEY keyed itself; setting another key is
    refused (its alerts carry ids of its own key). Put this one in the secret
    instead: the area then keeps its pair and alert ids across a rebuild. A secret:
    print it only where the secret is made.
    """
    from services.reporting.settings import ReportingSettings
    from shared.reporting.area_key import KEY_FILE, decoded_key, encoded_key
    from shared.reporting.cursors import stored_key
    from shared.reporting.store import SQLITE_FILE, open_reporting_store

    settings = ReportingSettings()
    embedded = settings.reporting_store_url() is None
    area = settings.data_dir / SQLITE_FILE
    if embedded and not area.is_file():  # a mistyped folder: nothing is made in it
        typer.echo(
            f"entente: no reporting area at {area} (is ENTENTE_DATA_DIR right?); the "
            f"embedded area keeps its key in {settings.data_dir / KEY_FILE}",
            err=True,
        )
        raise typer.Exit(2)
    store = open_reporting_store(
        settings.reporting_store_url(), settings.data_dir, settings.reporting_schema
    )
    try:
        store.setup()
        with store.read() as session:
            found = stored_key(session)
        given = settings.reporting_key
        kept = None if given is None else decoded_key(given.get_secret_value(), ENV)
    except EntenteError as error:
        typer.echo(f"entente: {error.detail}", err=True)
        raise typer.Exit(2) from None
    finally:
        store.dispose()
    if found is None:
        typer.echo(
            "entente: the reporting area has no key yet: set ENTENTE_REPORTING_KEY before "
            "reporting first starts, and the area takes it",
            err=True,
        )
        raise typer.Exit(1)
    typer.echo(encoded_key(found))
    if kept is not None and kept != found:  # it was ignored: the area refuses it at start
        typer.echo(
            f"entente: {ENV} holds another key than this area's, which the area refuses at "
            "start: put the key printed above in the secret instead",
            err=True,
        )
        raise typer.Exit(1)
