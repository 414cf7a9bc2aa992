"""``entente check <tenant>``: the delivery check from the deployment's settings.

The event store and the views come from ``ENTENTE_*``, the cluster from
``ENTENTE_KAFKA_*``. Exit status 0 when the check passes, 1 when it finds
lost, duplicated, reordered, altered or unknown events. Heavy imports wait
until the command runs, so listing the commands stays fast.
"""

from __future__ import annotations

from typing import Annotated

import typer


def check_command(
    tenant: Annotated[str, typer.Argument(help="The tenant to check, e.g. police")],
    topic: Annotated[
        bool | None,
        typer.Option(
            "--topic/--no-topic",
            help="Compare the Kafka topic with the store (default: ENTENTE_EVENT_LOG)",
        ),
    ] = None,
    views: Annotated[bool, typer.Option(help="Compare the views with the store")] = True,
) -> None:
    """Compare a tenant's event store, Kafka topic and views: lost, duplicated, reordered.

    Run it while the tenant is quiet (relay and projector caught up): events
    still in flight count as lost.
    """
    from shared.audit.cli import live_views_exist, read_only_ledger
    from shared.audit.settings import AuditSettings
    from shared.checker.check import check
    from shared.kafka.log import KafkaEventLog
    from shared.kafka.settings import KafkaSettings
    from shared.views.store import open_view_store

    settings = AuditSettings()  # the platform's, and where the log is (ENTENTE_EVENT_LOG)
    if topic is None:  # the embedded log has no topic: it waited 31 s for a broker
        topic = settings.event_log == "kafka"
    # Read only, as the audit reads: a mistyped tenant, data folder or database is
    # refused; the check made an empty store and views there and said "OK, 0 events".
    ledger = read_only_ledger(settings, tenant)
    store = open_view_store(settings.views_url, settings.data_dir, [tenant]) if views else None
    if store is not None:
        try:
            live_views_exist(store, tenant)
        except BaseException:
            ledger.close()
            raise
    kafka = KafkaSettings() if topic else None
    log = None if kafka is None else KafkaEventLog(kafka)
    shown_as = str if kafka is None else kafka.physical  # the name an operator looks up
    try:
        report = check(ledger, log, store, shown_as)
    finally:
        ledger.close()
        if log is not None:
            log.close()
        if store is not None:
            store.dispose()
    typer.echo(report.summary())
    if not report.ok:
        raise typer.Exit(1)
