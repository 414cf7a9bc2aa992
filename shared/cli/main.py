"""The ``entente`` command: serve the platform, issue dev tokens, load sample data.

Services are found through the ``entente.apps`` entry points, so this shared
command never imports a service directly (services import shared, not the
reverse). Errors print one clear line and exit non-zero.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from shlex import quote
from typing import Annotated, Any

import typer

from shared.audit.cli import audit_app
from shared.checker.cli import check_command
from shared.cli.errors import (
    altered_store,
    database_refusal,
    file_refusal,
    named_interface,
    settings_refusal,
)
from shared.cli.serving import hold_data_dir, listening_socket
from shared.connect_timeout import bound_connection_attempts
from shared.errors import EntenteError
from shared.heap import collect_less_often, keep_freed_memory
from shared.settings import DEFAULT_DATA_DIR, Settings

app = typer.Typer(
    help="Entente, the cooperation ledger of the Ministry of the Interior.",
    no_args_is_help=True,
    # A traceback's local variables would print settings: URLs with passwords.
    pretty_exceptions_show_locals=False,
)


def _service(name: str) -> Callable[..., Any]:
    installed = entry_points(group="entente.apps")
    found = [e for e in installed if e.name == name]
    if not found:
        choices = ", ".join(["all", *sorted(e.name for e in installed)])
        raise EntenteError(f"no service {name!r} here; --app is one of {choices}")
    loaded: Callable[..., Any] = found[0].load()
    return loaded


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(callback=named_interface, help="Interface to listen on")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="TCP port")] = 8000,
    sample_data: Annotated[bool, typer.Option(help="Load the sample data (idempotent)")] = False,
    app_name: Annotated[
        str,
        typer.Option(
            "--app",
            help="all: the tenant services with reporting and audit beside them (the embedded "
            "default); tenant, reporting or audit: that service alone (a deployment)",
        ),
    ] = "all",
) -> None:
    """Serve the tenant services (all configured tenants) in one process."""
    import uvicorn

    from shared.application.stores import SqliteStore
    from shared.cli.databases import databases_answer

    settings = Settings()
    if sample_data:
        settings = settings.model_copy(update={"sample_data": True})
    service = None if app_name == "all" else _service(app_name)  # a typo: before any wait
    sock = listening_socket(host, port)  # a port in use: before anything is opened
    writes_stores = app_name in {"all", "tenant"}
    if writes_stores and any(
        isinstance(settings.event_store(t), SqliteStore) for t in settings.tenants
    ):
        hold_data_dir(settings.data_dir)  # one writing server per folder of SQLite stores
    databases_answer(settings)  # one line naming the setting, not uvicorn's traceback
    application = platform_app(settings) if service is None else service(settings)
    platform = getattr(application.state, "platform", None)
    if platform is not None:  # damaged views, a store behind them: one line, exit 2
        platform.preflight()
    for part in (application, *getattr(application.state, "beside", ())):
        reporting = getattr(part.state, "reporting", None)
        if reporting is not None:  # an area keyed otherwise: one line, exit 2 (probe 11)
            reporting.prepare()
    if service is None:
        typer.echo(_banner(settings, host, sock.getsockname()[1]))
    from shared.http.malformed import ProblemH11Protocol

    config = uvicorn.Config(
        application, log_level="info", server_header=False, http=ProblemH11Protocol
    )
    uvicorn.Server(config).run(sockets=[sock])


def platform_app(settings: Settings) -> Any:
    """The whole platform as one ASGI app, as ``entente serve`` runs it (the embedded default).

    The tenant services answer ``/api/<tenant>/…``; every other ``entente.apps``
    entry (audit, reporting) answers under ``/api/<name>``, with its lifespan.
    """
    application = _service("tenant")(settings)
    for entry in entry_points(group="entente.apps"):
        if entry.name != "tenant":
            _serve_beside(application, f"/api/{entry.name}", entry.load()(settings))
    return application


@app.command()
def token(
    user: Annotated[
        str, typer.Argument(help="A demo user, e.g. police-recorder (see `entente users`)")
    ],
    ttl: Annotated[
        int, typer.Option(min=1, max=86_400, help="Lifetime in seconds (a day at most)")
    ] = 3600,
) -> None:
    """Print a bearer token for a demo user, signed by the embedded dev issuer."""
    from shared.auth.dev_issuer import DEV_KEY_FILE, DevIssuer, demo_users, known_user

    settings = _dev_settings()
    # Before the issuer, which makes the data folder and its key: a mistyped name made them.
    known_user(demo_users(settings.tenants), user)
    new_key = not (settings.data_dir / DEV_KEY_FILE).exists()
    issuer = DevIssuer(settings.data_dir, settings.issuer, settings.audience, settings.tenants)
    if new_key:  # run from another folder than the server's, its token was a silent 401
        typer.echo(
            f"entente: no dev issuer key in {settings.data_dir.resolve()} yet, so a new one "
            "was made there: only a server using this data folder accepts the token "
            "(run from the server's folder, or set ENTENTE_DATA_DIR to its data folder)",
            err=True,
        )
    typer.echo(issuer.token(user, ttl))


@app.command()
def users() -> None:
    """List the demo users and their roles (no key needed: nothing is made on disk)."""
    from shared.auth.dev_issuer import demo_users

    for user in demo_users(_dev_settings().tenants).values():
        typer.echo(f"{user.username:32} {', '.join(user.roles)}")


@app.command()
def catalogue(
    output: Annotated[
        str, typer.Option(help="Where to write the page")
    ] = "docs/event-catalogue.md",
) -> None:
    """Rewrite the event catalogue page from the code."""
    from shared.domain.catalogue_doc import render

    _write(output, render())


@app.command()
def asyncapi(
    output: Annotated[str, typer.Option(help="Where to write the document")] = "docs/asyncapi.yaml",
) -> None:
    """Rewrite the AsyncAPI contract of the log (docs/asyncapi.yaml) from the code."""
    from shared.events.asyncapi import render

    _write(output, render())


def _write(output: str, text: str) -> None:
    """Writes a generated page, or says in one line why it cannot (exit 2), not a traceback."""
    from shared.cli.pages import write_page

    try:
        write_page(output, text)
    except OSError as error:
        typer.echo(f"entente: cannot write {output}: {error.strerror or error}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"wrote {output}")


keycloak_app = typer.Typer(help="Keycloak: apply the declarative realm.", no_args_is_help=True)
app.add_typer(keycloak_app, name="keycloak")
kafka_app = typer.Typer(help="Kafka: what each component may do.", no_args_is_help=True)
app.add_typer(kafka_app, name="kafka")


@kafka_app.command("acls")
def kafka_acls(
    component: Annotated[str, typer.Argument(help="relay, projector, reporting or audit")],
    principal: Annotated[str, typer.Argument(help="Its identity on the cluster, e.g. User:x")],
    tenants: Annotated[
        str | None,
        typer.Option(help="Comma-separated tenants it serves (default: ENTENTE_TENANTS)"),
    ] = None,
    apply: Annotated[
        bool, typer.Option(help="Create the ACLs (through an identity allowed to alter ACLs)")
    ] = False,
    output: Annotated[
        str, typer.Option("--format", help="lines, or strimzi (a KafkaUser manifest)")
    ] = "lines",
    cluster: Annotated[
        str, typer.Option(help="The Strimzi Kafka cluster (label strimzi.io/cluster)")
    ] = "entente-kafka",
    authentication: Annotated[
        str, typer.Option(help="The KafkaUser's authentication: scram-sha-512 or tls")
    ] = "scram-sha-512",
) -> None:
    """Print the topic ACLs a component needs on a cluster that authorizes; --apply creates them.

    Topic names include ENTENTE_KAFKA_TOPIC_PREFIX; --apply connects with ENTENTE_KAFKA_*.
    --format strimzi prints a KafkaUser with exactly these ACLs, for the user operator.
    """
    from shared.errors import ValidationError
    from shared.kafka.access import (
        COMPONENTS,
        KafkaAccessAdmin,
        checked_kubernetes_names,
        component_grants,
        strimzi_user,
    )
    from shared.kafka.settings import KafkaSettings
    from shared.settings import Settings
    from shared.tenancy import chosen_tenants

    if component not in COMPONENTS:
        raise ValidationError(
            "component", "unknown", f"{component!r} is not one of {', '.join(COMPONENTS)}"
        )
    if not principal.startswith("User:") or principal == "User:":
        raise ValidationError("principal", "format", f"{principal!r} is not User:<name>")
    served = chosen_tenants(tenants, Settings().tenants)
    kafka = KafkaSettings()
    grants = component_grants(component, served, kafka)
    if output == "strimzi":
        import yaml

        if authentication not in ("scram-sha-512", "tls"):
            raise ValidationError(
                "authentication", "unknown", f"{authentication!r} is not scram-sha-512 or tls"
            )
        user = strimzi_user(principal, grants, cluster, authentication)
        checked_kubernetes_names(user)
        typer.echo(yaml.safe_dump(user, sort_keys=False), nl=False)
    elif output == "lines":
        for grant in grants:
            typer.echo(grant.line(principal))
    else:
        raise ValidationError("format", "unknown", f"{output!r} is not lines or strimzi")
    if apply:
        admin = KafkaAccessAdmin(kafka)
        try:
            created = admin.grant(principal, grants)
        finally:
            admin.close()
        typer.echo(f"{created} ACLs created for {principal}")


app.add_typer(audit_app, name="audit")
app.command(name="check")(check_command)


@keycloak_app.command("provision")
def keycloak_provision(
    realm_file: Annotated[
        Path, typer.Option(help="The declarative realm (Keycloak's realm JSON)")
    ] = Path("deploy/keycloak/realm-entente.json"),
    without_demo: Annotated[
        bool, typer.Option(help="Leave out demo users and dev/test-only clients (production)")
    ] = False,
    reset_passwords: Annotated[
        bool, typer.Option(help="Set every demo user's password to ENTENTE_DEMO_PASSWORD again")
    ] = False,
) -> None:
    """Apply the realm idempotently (ENTENTE_KEYCLOAK_URL, _ADMIN, _ADMIN_PASSWORD).

    Demo users get ENTENTE_DEMO_PASSWORD. A second run changes nothing and says so.
    """
    from shared.keycloak.provision import AdminAccess, load_realm, provision
    from shared.keycloak.provision import without_demo as production_realm

    realm = load_realm(realm_file)
    if without_demo:
        realm = production_realm(realm)
    report = provision(realm, AdminAccess.from_environment(), reset_passwords=reset_passwords)
    for change in report.changes:
        typer.echo(f"  {change}")
    typer.echo(report.summary())


def _serve_beside(main: Any, prefix: str, other: Any) -> None:
    """Routes ``prefix`` and below to ``other`` (whose paths include it) and runs its lifespan."""
    from contextlib import asynccontextmanager

    from starlette.routing import Match, Mount

    class Under(Mount):
        def matches(self, scope: Any) -> tuple[Match, Any]:
            path = scope.get("path", "")
            if scope["type"] == "http" and (path == prefix or path.startswith(prefix + "/")):
                return super().matches(scope)
            return Match.NONE, {}

    main.router.routes.insert(0, Under("", app=other))
    main.state.beside = [*getattr(main.state, "beside", ()), other]
    parent = main.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: Any) -> Any:
        async with parent(app), other.router.lifespan_context(other):
            yield

    main.router.lifespan_context = lifespan


def _dev_settings() -> Settings:
    """The settings, where the dev issuer signs the tokens (not under ENTENTE_AUTH=jwks)."""
    settings = Settings()
    if settings.auth != "dev":
        raise EntenteError("tokens come from Keycloak here (ENTENTE_AUTH=jwks), not the dev issuer")
    return settings


def _banner(settings: Settings, host: str, port: int) -> str:
    base = f"http://{host}:{port}"
    tenant = settings.tenants[0]
    recorder = f"{tenant}-recorder"
    # The token must be signed by this server's key, kept in its data folder: a
    # folder of its own is named, or `entente token` run without it makes another key.
    folder = settings.data_dir
    where = "" if folder == DEFAULT_DATA_DIR else f"ENTENTE_DATA_DIR={quote(str(folder))} "
    token = (
        f"TOKEN=$({where}.venv/bin/entente token {recorder})"
        if settings.auth == "dev"
        else f"from Keycloak, for a user with the role {tenant}:recorder (ENTENTE_AUTH=jwks)"
    )
    return (
        f"\nEntente is starting on {base} (tenants: {', '.join(settings.tenants)})\n"
        f"  API docs:   {base}/docs\n"
        f"  A token:    {token}\n"
        f'  First call: curl -s -H "Authorization: Bearer $TOKEN" {base}/api/{tenant}/missions\n'
    )


def _plug_in_commands() -> None:
    """Services add commands through ``entente.commands`` entry points (e.g. ``entente relay``).

    A function becomes ``entente <name>``; a Typer app becomes a command group.
    """
    for entry in entry_points(group="entente.commands"):
        command = entry.load()
        if isinstance(command, typer.Typer):
            app.add_typer(command, name=entry.name)
        else:
            app.command(name=entry.name)(command)


def main() -> None:
    keep_freed_memory()  # every entente process works in batches (shared.heap)
    collect_less_often()
    bound_connection_attempts()  # libpq waits for ever on a server that never answers
    try:
        _plug_in_commands()
        app()
    except EntenteError as error:
        typer.echo(f"entente: {error.detail}", err=True)
        sys.exit(2)
    except Exception as error:
        refusal = (
            settings_refusal(error)
            or database_refusal(error)
            or file_refusal(error)
            or altered_store(error)
        )
        if refusal is None:
            raise
        typer.echo(f"entente: {refusal}", err=True)
        sys.exit(2)
