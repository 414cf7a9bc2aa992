"""``entente relay <tenant>``, plugged into the ``entente`` command by an entry point.

Kept apart from ``main`` so listing the command does not import the Kafka client.
"""

from __future__ import annotations

from typing import Annotated

import typer

from shared.cli.errors import named_interface


def relay(
    tenant: Annotated[str, typer.Argument(help="The tenant whose events to publish, e.g. police")],
    poll_interval: Annotated[
        float,
        typer.Option(min=0.01, max=3600, help="Seconds between two looks at the event store"),
    ] = 0.5,
    page_size: Annotated[
        int, typer.Option(min=1, max=100_000, help="Events per acknowledged page")
    ] = 1000,
    checkpoint_every: Annotated[
        int, typer.Option(min=1, max=1_000_000, help="Events between two checkpoints")
    ] = 1000,
    checkpoint_interval: Annotated[
        float,
        typer.Option(
            min=0,
            max=3600,
            help="Longest wait, in seconds, of a published chain head for its checkpoint",
        ),
    ] = 1.0,
    linger: Annotated[
        float,
        typer.Option(
            min=0,
            max=1,
            help="Seconds to wait, when commands keep coming, before the next catch-up",
        ),
    ] = 0.005,
    host: Annotated[
        str, typer.Option(callback=named_interface, help="Address of the probes and metrics")
    ] = "127.0.0.1",
    port: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=65535,
            help="Serve /healthz, /readyz and /metrics on this port (0: any free one; none if "
            "not given)",
        ),
    ] = None,
) -> None:
    """Publish a tenant's events to its Kafka topic until SIGTERM.

    Settings come from ENTENTE_* (the event store) and ENTENTE_KAFKA_* (the cluster).
    """
    from services.relay.main import run
    from shared.cli.logs import configure_process_logging
    from shared.relay.relay import RelayOptions
    from shared.settings import Settings
    from shared.tenancy import configured_tenant

    settings = Settings()
    configured_tenant(tenant, settings.tenants)  # a typo would create its topics and store
    configure_process_logging()
    options = RelayOptions(
        page_size=page_size,
        checkpoint_every=checkpoint_every,
        poll_interval=poll_interval,
        checkpoint_interval=checkpoint_interval,
        linger=linger,
    )
    run(settings, tenant, options=options, http=None if port is None else (host, port))
