"""``entente audit verify|replay|export``: the auditor's long operations on the command line.

Each shows progress on stderr and stops cleanly on Ctrl-C after the page in
flight, printing how to resume (exit code 130). Exit codes: 0 nothing found,
1 findings or differences, 2 the audit could not run (``EntenteError``).
Every run that reads the platform is recorded in the access log, as
``cli:<user>``, before it reads; ``verify --bundle`` reads only the file it is
given (often on another machine, without the platform), and its ``export`` was.
"""

from __future__ import annotations

import getpass
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from shared.audit.errors import RefusedPathError
from shared.audit.findings import VerifyReport
from shared.audit.progress import Counter, CtrlC, Interrupted
from shared.audit.settings import AuditSettings
from shared.errors import ConfigurationError, NotFoundError
from shared.settings import Settings

if TYPE_CHECKING:
    from shared.application.ledger import CooperationLedger
    from shared.views.store import ViewStore

audit_app = typer.Typer(
    help="Audit a tenant's history: verify the hash chain, replay the views, export a bundle.",
    no_args_is_help=True,
)


@audit_app.callback()
def _commands() -> None:
    """Each ``entente audit`` command runs in a process of its own: long walks may fork."""
    from shared.audit.store import allow_worker_processes

    allow_worker_processes()


Resume = Annotated[bool, typer.Option("--resume", help="Continue an interrupted run")]
Kafka = Annotated[
    bool | None,
    typer.Option("--kafka/--no-kafka", help="Read the Kafka topics (default: ENTENTE_EVENT_LOG)"),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print the report as JSON")]
#: Pages are held in memory; beyond this, a page only costs memory (and SQLite refuses 2**63).
MAX_PAGE_SIZE = 100_000
PageSize = Annotated[
    int,
    typer.Option(min=1, max=MAX_PAGE_SIZE, help="Events read per page (and per saved step)"),
]
#: The ``verify`` options that read the platform: meaningless with ``--bundle`` (offline).
NOT_WITH_BUNDLE = {
    "against": "--against",
    "state": "--state",
    "resume": "--resume",
    "kafka": "--kafka/--no-kafka",
    "page_size": "--page-size",
}


@audit_app.command("verify")
def verify(
    context: typer.Context,
    tenant: Annotated[str | None, typer.Argument(help="The tenant whose history to verify")] = None,
    bundle: Annotated[
        Path | None, typer.Option(help="Verify this exported bundle offline instead")
    ] = None,
    against: Annotated[
        Path | None, typer.Option(help="Also compare the store with this earlier bundle")
    ] = None,
    state: Annotated[
        str | None, typer.Option(help="Where progress is saved (default: <data>/audit/)")
    ] = None,
    resume: Resume = False,
    kafka: Kafka = None,
    as_json: AsJson = False,
    page_size: PageSize = 1000,
) -> None:
    """Recompute the hash chain; report the FIRST altered, missing, inserted or reordered event."""
    if bundle is not None:
        from shared.audit.bundle import verify_bundle

        _refuse_with_bundle(context)
        with _running() as (progress, _stop):
            report = verify_bundle(bundle, progress, tenant)
        _finish_verify(report, as_json)
        return
    if tenant is None:
        raise ConfigurationError("name a tenant, or give --bundle FILE")
    saved = None if state is None else _in_existing_folder(_path(state, "--state"), "--state")
    settings = AuditSettings()
    from shared.audit.verify import verify_tenant

    ledger = read_only_ledger(settings, tenant)
    _record(settings, "audit.verify", f"/{tenant}/chain", tenant)
    saved = saved or settings.data_dir / "audit" / f"verify-{tenant}.state.jsonl"
    with _kafka_reader(settings, kafka) as topic, _running(resume) as (progress, stop):
        report = verify_tenant(
            ledger,
            topic=topic,
            against=against,
            state=saved,
            resume=resume,
            page_size=page_size,
            progress=progress,
            stop=stop,
        )
    _finish_verify(report, as_json)


@audit_app.command("replay")
def replay(
    tenant: Annotated[str, typer.Argument(help="The tenant whose views to replay")],
    resume: Resume = False,
    kafka: Kafka = None,
    show: Annotated[int, typer.Option(min=0, help="Differences listed at most")] = 50,
    page_size: PageSize = 1000,
) -> None:
    """Rebuild the tenant's views from offset 0 in a scratch area and compare with the live ones."""
    from shared.audit.errors import UndecodableHistoryError
    from shared.audit.replay import replay_tenant, scratch_views
    from shared.views.store import open_view_store

    settings = AuditSettings()
    ledger = read_only_ledger(settings, tenant)
    live = open_view_store(settings.views_url, settings.data_dir, settings.tenants)
    live_views_exist(live, tenant)
    _record(settings, "audit.replay", f"/{tenant}/views", tenant)
    scratch = scratch_views(settings.views_url, settings.data_dir, tenant)
    try:
        with _event_log(settings, kafka, ledger) as log, _running(resume) as (progress, stop):
            report = replay_tenant(
                live, scratch, log, tenant, resume=resume, page_size=page_size,
                progress=progress, stop=stop,
            )  # fmt: skip
    except UndecodableHistoryError as error:  # an altered store: a finding, exit 1
        typer.echo(f"STOPPED: {error.detail}")
        raise typer.Exit(1) from None
    finally:
        live.dispose()
        scratch.dispose()
    offsets = ", ".join(f"{t}[{p}]@{o}" for (t, p), o in sorted(report.offsets.items()))
    typer.echo(f"replayed {tenant} up to {offsets or 'the start'}")
    typer.echo("rows: " + ", ".join(f"{name} {count}" for name, count in report.rows.items()))
    if report.ok:
        typer.echo("OK: the replay equals the live views")
        return
    typer.echo(f"DIFFERENT: {len(report.differences)} rows differ")
    for difference in report.differences[:show]:
        typer.echo(f"  - {difference.line()}")
    raise typer.Exit(1)


@audit_app.command("export")
def export(
    tenant: Annotated[str, typer.Argument(help="The tenant whose history to export")],
    out: Annotated[str, typer.Option(help="The bundle file to write (a zip); never replaced")],
    resume: Resume = False,
    kafka: Kafka = None,
    page_size: PageSize = 1000,
) -> None:
    """Write a self-contained bundle (events, chain links, manifest, checksums)."""
    from shared.audit.export import check_out, export_bundle
    from shared.audit.topic import read_checkpoints

    bundle = _in_existing_folder(_path(out, "--out"), "--out")
    if not resume:
        check_out(bundle)  # at once; export_bundle checks again, after the saved state
    settings = AuditSettings()
    ledger = read_only_ledger(settings, tenant)
    _record(settings, "audit.export", f"/{tenant}/history", tenant)
    with _kafka_reader(settings, kafka) as topic, _running(resume) as (progress, stop):
        checkpoints = [] if topic is None else read_checkpoints(topic, tenant)
        manifest = export_bundle(
            ledger, bundle, resume=resume, checkpoints=checkpoints, page_size=page_size,
            progress=progress, stop=stop,
        )  # fmt: skip
    digest = hashlib.sha256(bundle.read_bytes()).hexdigest()
    typer.echo(f"wrote {bundle}: {manifest['count']} events, head {manifest['head']}")
    typer.echo(f"bundle sha256 {digest} ({len(manifest['checkpoints'])} checkpoints)")


def _finish_verify(report: VerifyReport, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
    else:
        for line in _summary(report):
            typer.echo(line)
    if not report.ok:
        raise typer.Exit(1)


def _summary(report: VerifyReport) -> list[str]:
    lines = [
        f"verified {report.tenant}: {report.events} events up to position "
        f"{report.last_position}, head {report.head} ({report.chain_version})",
        "checked against: " + "; ".join(report.witnesses),
    ]
    if len(report.witnesses) == 1 and report.witnesses[0].startswith("each record"):
        lines.append("note: no witness outside the store (Kafka or --against BUNDLE)")
    if report.resumed is not None:
        lines.append(f"note: {report.resumed.line()}")
    first = report.first
    if first is None:
        return [*lines, "OK: nothing altered, missing, inserted or reordered"]
    lines.append(f"FIRST PROBLEM: {first.line()}")
    count = len(report.findings)
    lines.append(f"{count} finding{'' if count == 1 else 's'} in all:")
    return lines + [f"  - {finding.line()}" for finding in report.findings[:20]]


def _refuse_with_bundle(context: typer.Context) -> None:
    """A usage error for the first option given that only applies to a tenant's live store."""
    for name, flag in NOT_WITH_BUNDLE.items():
        source = context.get_parameter_source(name)
        if source is not None and source.name != "DEFAULT":
            raise typer.BadParameter(
                "does not apply with --bundle (a bundle is verified offline)",
                ctx=context,
                param_hint=flag,
            )


def _path(value: str, option: str) -> Path:
    """The path an option names; an empty one is refused (it would mean the current folder)."""
    if not value.strip():
        raise RefusedPathError(f"{option} is empty: name a file")
    return Path(value)


def _in_existing_folder(path: Path, option: str) -> Path:
    """A file the user names goes in a folder that exists: a typo made folders anywhere."""
    if not path.parent.is_dir():
        raise RefusedPathError(f"{option} {path}: the folder {path.parent} does not exist")
    return path


def read_only_ledger(settings: Settings, tenant: str) -> CooperationLedger:
    """The tenant's ledger, read only: a SQLite store that does not exist is refused, not made."""
    from shared.application.store_presence import require_sqlite_store
    from shared.audit.ledgers import audit_ledger
    from shared.cli.databases import databases_answer
    from shared.tenancy import configured_tenant

    configured_tenant(tenant, settings.tenants)
    # The server's reason, naming the setting: the pool said only "PoolTimeout: couldn't
    # get a connection after 2.00 sec" for a database that does not exist (probe 11).
    databases_answer(settings)
    store = settings.event_store(tenant)
    require_sqlite_store(settings.data_dir, store, tenant)
    return audit_ledger(tenant, store)


def live_views_exist(live: ViewStore, tenant: str) -> None:
    """Refuses SQLite live views that do not exist: a replay equals no views only vacuously."""
    from shared.views.sqlite import SqliteViewStore

    if isinstance(live, SqliteViewStore) and not live.path(tenant).is_file():
        live.dispose()
        raise NotFoundError(
            f"no live views of {tenant!r} at {live.path(tenant)} (is ENTENTE_DATA_DIR right?)"
        )
    if isinstance(live, SqliteViewStore):
        _live_tables_exist(live, live.path(tenant), tenant)
        return
    _live_schema_complete(live, tenant)


def _live_schema_complete(live: ViewStore, tenant: str) -> None:
    """On PostgreSQL, the live views' schema and every table of it, looked up in the
    catalogue: opening them would create what is missing (a replay of a tenant without
    views made them, and over a dropped schema said the replay equalled the live views)."""
    from sqlalchemy import text

    from shared.views.postgres import PostgresViewStore
    from shared.views.tables import tables_for

    if not isinstance(live, PostgresViewStore):
        return
    schema = live.schema(tenant)
    with live.engine.connect() as connection:
        present = set(
            connection.execute(
                text("SELECT table_name FROM information_schema.tables WHERE table_schema = :s"),
                {"s": schema},
            ).scalars()
        )
    expected = {table.name for table in tables_for(schema).metadata.sorted_tables}
    if not present:
        live.dispose()
        raise NotFoundError(
            f"no live views of {tenant!r} in schema {schema} (is ENTENTE_VIEWS_URL right?)"
        )
    missing = sorted(expected - present)
    if missing:
        live.dispose()
        raise NotFoundError(
            f"the live views of {tenant!r} in schema {schema} lack tables ({', '.join(missing)}): "
            "they were altered, or are not views"
        )


def _live_tables_exist(live: ViewStore, path: Path, tenant: str) -> None:
    """Refuses live views that lack a table, looked at read-only before anything opens them.

    The view store makes its tables on first use, so a replay recreated a dropped
    table, empty, in the live views it only ever reads.
    """
    from shared.application.store_presence import tables_in
    from shared.views.sqlite import TABLES

    try:
        present = tables_in(path, f"the live views of {tenant!r}")
    except NotFoundError:
        live.dispose()
        raise
    missing = sorted(set(TABLES.metadata.tables) - present)
    if missing:
        live.dispose()
        raise NotFoundError(
            f"the live views of {tenant!r} at {path} lack tables ({', '.join(missing)}): "
            "they were altered, or are not views"
        )


def _record(settings: AuditSettings, action: str, resource: str, tenant: str) -> None:
    from shared.access_log import access_log_for
    from shared.auth.roles import Principal

    user = getpass.getuser()
    access = access_log_for(settings)
    try:
        access.setup()
        access.record(
            Principal(f"cli:{user}", f"{user} (command line)", frozenset()),
            action,
            resource,
            tenant,
        )
    finally:
        access.dispose()


@contextmanager
def _running(resume: bool = False) -> Iterator[tuple[Counter, CtrlC]]:
    """Progress on stderr and Ctrl-C as a clean stop; exit 130 with a resume hint."""
    progress, stop = Counter(), CtrlC()
    try:
        with stop.installed():
            yield progress, stop
    except Interrupted as interrupted:
        progress.close()
        typer.echo(f"interrupted: {interrupted.detail}; run again with --resume", err=True)
        raise typer.Exit(130) from None
    finally:
        progress.close()  # whatever stopped it: an error is printed on a line of its own


@contextmanager
def _kafka_reader(settings: AuditSettings, kafka: bool | None) -> Iterator[Any]:
    if not (settings.event_log == "kafka" if kafka is None else kafka):
        yield None
        return
    from shared.kafka.log import KafkaEventLog
    from shared.kafka.settings import KafkaSettings

    log = KafkaEventLog(KafkaSettings())
    try:
        yield log
    finally:
        log.close()


@contextmanager
def _event_log(
    settings: AuditSettings, kafka: bool | None, ledger: CooperationLedger
) -> Iterator[Any]:
    with _kafka_reader(settings, kafka) as log:
        if log is not None:
            yield log
            return
        from shared.log.embedded import EmbeddedEventLog

        yield EmbeddedEventLog({ledger.tenant: ledger})
