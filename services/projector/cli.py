"""``entente project`` and ``entente projections rebuild``, plugged in by entry points.

Kept apart from ``main`` so listing the commands loads neither FastAPI nor Kafka.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Annotated

import typer

from shared.cli.errors import named_interface
from shared.errors import EntenteError


def project(
    tenants: Annotated[
        str | None,
        typer.Option(help="Comma-separated tenants to project (default: ENTENTE_TENANTS)"),
    ] = None,
    host: Annotated[
        str, typer.Option(callback=named_interface, help="Interface of the operations endpoints")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="TCP port of the operations endpoints")
    ] = 8001,
) -> None:
    """Project the tenant topics into the views until stopped (with /status and /metrics).

    Also serves /healthz and /readyz for the probes.

    ENTENTE_EVENT_LOG=kafka reads Kafka (ENTENTE_KAFKA_*); the default reads the event stores.
    """
    import uvicorn

    from services.projector.main import build
    from services.projector.settings import ProjectorSettings
    from shared.cli.databases import databases_answer
    from shared.cli.logs import configure_process_logging
    from shared.cli.serving import listening_socket
    from shared.tenancy import chosen_tenants

    configure_process_logging()
    settings = ProjectorSettings()
    if tenants is not None:  # a subset of ENTENTE_TENANTS
        settings = settings.model_copy(
            update={"tenants": chosen_tenants(tenants, settings.tenants)}
        )
    # A port in use: one line and exit 2 before anything is opened; it was uvicorn's
    # "address already in use" and exit 3 after the projector had started (probe 11).
    sock = listening_socket(host, port)
    databases_answer(settings)  # one line naming the setting, not uvicorn's traceback
    application = build(settings)
    bound = sock.getsockname()[1]  # the port --port 0 got, not 0
    typer.echo(f"projecting {', '.join(settings.tenants)}; status on http://{host}:{bound}/status")
    from shared.http.malformed import ProblemH11Protocol

    config = uvicorn.Config(
        application, log_level="info", server_header=False, http=ProblemH11Protocol
    )
    uvicorn.Server(config).run(sockets=[sock])


class _Terminated(BaseException):
    """SIGTERM during a rebuild, raised in the main thread so its clean-up runs.

    A BaseException, as KeyboardInterrupt is: no ``except Exception`` on the way
    swallows it. Killed outright, a rebuild left its half-filled area behind
    (``<tenant>.views.rebuild.sqlite3``) (probe 11).
    """


@contextmanager
def _terminated_as_exception() -> Iterator[None]:
    """SIGTERM raises ``_Terminated`` while the block runs (its transactions roll back)."""

    def handle(_signum: int, _frame: FrameType | None) -> None:
        raise _Terminated

    previous = signal.signal(signal.SIGTERM, handle)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


projections = typer.Typer(help="Read views: rebuild them from the log.", no_args_is_help=True)


@projections.command("rebuild")
def rebuild(
    tenant: Annotated[str, typer.Argument(help="The tenant whose views to rebuild, e.g. police")],
    view: Annotated[
        str | None, typer.Argument(help="A view of the set to rebuild (the set is rebuilt)")
    ] = None,
) -> None:
    """Replay a tenant's log from offset 0 into fresh tables and swap them in atomically.

    The live views keep serving until the swap. An operator's command: it takes no token,
    and needs the views' database and the event log.
    """
    from services.projector.rebuild import rebuild_tenant
    from services.projector.settings import ProjectorSettings

    try:
        with _terminated_as_exception():
            result = rebuild_tenant(ProjectorSettings(), tenant, view, typer.echo)
    except EntenteError as error:
        typer.echo(f"entente: {error.detail}", err=True)
        raise typer.Exit(2) from None
    except _Terminated:
        typer.echo(
            f"entente: the rebuild of {tenant!r}'s views stopped on SIGTERM: the live views "
            "are as they were, the rebuilt tables discarded",
            err=True,
        )
        raise typer.Exit(128 + signal.SIGTERM) from None
    recorded = result.position.recorded_at
    typer.echo(
        f"rebuilt and swapped in the {tenant} views: position {result.position.position}"
        + ("" if recorded is None else f" (recorded {recorded.isoformat()})")
        + f", {result.parked} parked message(s)"
    )
