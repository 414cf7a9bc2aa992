"""A database's or file system's refusal, or an option out of its range, reaches the operator
as one line (or Typer's usage error) and exit code 2."""

from __future__ import annotations

import errno
import os
import resource
import socket
import stat
import subprocess
from pathlib import Path

import psycopg
import pytest
import sqlalchemy.exc
from eventsourcing import persistence

from shared.cli.errors import altered_store, database_refusal, file_refusal
from shared.relay.relay import RelayOptions
from tests.cli import ENTENTE, entente


def test_a_psycopg_error_is_one_line_naming_its_kind() -> None:
    error = psycopg.errors.InsufficientPrivilege("permission denied for database entente\nmore")

    assert database_refusal(error) == (
        "the database refused (InsufficientPrivilege): permission denied for database entente"
    )


def test_sqlalchemy_wrapping_is_seen_through() -> None:
    original = psycopg.OperationalError("connection refused")
    wrapped = sqlalchemy.exc.OperationalError("SELECT 1", {}, original)

    assert database_refusal(wrapped) == (
        "the database refused (OperationalError): connection refused"
    )


def test_other_errors_are_not_taken_for_refusals() -> None:
    assert database_refusal(ValueError("a bug")) is None
    assert database_refusal(sqlalchemy.exc.ArgumentError("bad URL")) is None


def test_eventsourcing_wrapping_is_seen_through() -> None:
    original = psycopg.errors.InsufficientPrivilege("permission denied for schema entente_police")
    try:
        raise persistence.ProgrammingError(str(original)) from original
    except persistence.ProgrammingError as wrapped:
        refusal = database_refusal(wrapped)

    assert refusal == (
        "the database refused (InsufficientPrivilege): permission denied for schema entente_police"
    )


def test_eventsourcing_errors_of_its_own_are_refusals_too() -> None:
    timeout = persistence.OperationalError("couldn't get a connection after 30.00 sec")

    assert database_refusal(timeout) == (
        "the database refused (OperationalError): couldn't get a connection after 30.00 sec"
    )


def test_an_undecodable_stored_event_is_named_an_altered_store() -> None:
    """``entente check`` met one with a traceback (audit probe)."""
    error = persistence.MapperDeserialisationError("Expecting value: line 1 column 1\nmore")

    assert altered_store(error) == (
        "a stored event cannot be decoded (Expecting value: line 1 column 1): the event "
        "store was altered; `entente audit verify <tenant>` names the event"
    )
    assert altered_store(ValueError("a bug")) is None


def test_a_read_only_file_system_names_the_path_and_the_setting() -> None:
    error = OSError(errno.EROFS, "Read-only file system", "/var/lib/entente/audit")

    assert file_refusal(error) == (
        "cannot use /var/lib/entente/audit: Read-only file system "
        "(set ENTENTE_DATA_DIR, or the command's path options, to a writable place)"
    )


def test_other_os_errors_are_left_alone() -> None:
    assert file_refusal(ConnectionRefusedError(errno.ECONNREFUSED, "refused")) is None
    assert file_refusal(FileNotFoundError(errno.ENOENT, "missing")) is None  # no file named
    assert file_refusal(OSError("no errno")) is None


def test_entente_exits_2_when_its_data_folder_cannot_be_used(tmp_path: Path) -> None:
    """ENTENTE_DATA_DIR naming a file: refused whoever runs it (root included)."""
    not_a_folder = tmp_path / "data"
    not_a_folder.write_text("a file")
    done = entente(
        "audit",
        "verify",
        "police",
        ENTENTE_DATA_DIR=str(not_a_folder),
        ENTENTE_TENANTS='["police"]',
        ENTENTE_EVENT_LOG="embedded",
        ENTENTE_STORE="sqlite",
    )

    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        f"entente: cannot use {not_a_folder / 'events'}: Not a directory "
        "(set ENTENTE_DATA_DIR, or the command's path options, to a writable place)"
    )


def test_bad_kafka_settings_are_one_line_without_the_password() -> None:
    """pydantic's own message repeats its input: here, the SASL password."""
    done = entente(
        "relay",
        "police",
        ENTENTE_KAFKA_SASL_USERNAME="entente-relay",
        ENTENTE_KAFKA_SASL_PASSWORD="s3cret-from-a-secret",
    )

    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "s3cret-from-a-secret" not in done.stdout + done.stderr
    assert done.stderr.strip().splitlines() == [
        "entente: invalid settings: ENTENTE_KAFKA_*: Value error, SASL credentials "
        "are set but security_protocol is PLAINTEXT: they would never be sent (use SASL_SSL)"
    ]


def test_bad_store_settings_are_one_line_without_the_urls(tmp_path: Path) -> None:
    done = entente(
        "audit",
        "verify",
        "police",
        ENTENTE_TENANTS='["police"]',
        ENTENTE_STORE="postgres",
        ENTENTE_POSTGRES_URL="postgresql://audit:shared-pw@db/entente",
        ENTENTE_POSTGRES_URLS='{"gendarmrie": "postgresql://audit:own-pw@db2/entente"}',
        ENTENTE_DATA_DIR=str(tmp_path),
    )

    assert done.returncode == 2, done.stderr
    for secret in ("shared-pw", "own-pw"):
        assert secret not in done.stdout + done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        "entente: invalid settings: ENTENTE_*: Value error, postgres_urls names "
        "gendarmrie, not among the tenants (police)"
    )


def test_a_wrong_value_names_the_setting_and_the_allowed_ones() -> None:
    done = entente("relay", "police", ENTENTE_KAFKA_SECURITY_PROTOCOL="TLS")

    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        "entente: invalid settings: ENTENTE_KAFKA_SECURITY_PROTOCOL: Input should be "
        "'PLAINTEXT', 'SSL', 'SASL_PLAINTEXT' or 'SASL_SSL'"
    )


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["token", "police-recorder", "--ttl", "-5"], "--ttl"),  # was an expired token, exit 0
        (["token", "police-recorder", "--ttl", "864000"], "--ttl"),  # ten days: not a dev token
        (["serve", "--port", "99999"], "--port"),  # was a traceback from bind()
        (["relay", "police", "--page-size", "0"], "--page-size"),  # would publish nothing, ever
        (["relay", "police", "--checkpoint-every", "0"], "--checkpoint-every"),
        (["relay", "police", "--poll-interval", "-1"], "--poll-interval"),  # would spin
        (["relay", "police", "--port", "-1"], "--port"),  # 0 stays: any free port
        (["project", "--port", "70000"], "--port"),
    ],
)
def test_out_of_range_options_are_refused_naming_the_option(args: list[str], named: str) -> None:
    """Before anything starts: a usage error (exit 2) naming the option and its bound."""
    ran = entente(*args, ENTENTE_DATA_DIR="/nonexistent/never-created", COLUMNS="200")

    assert ran.returncode == 2, ran.stdout + ran.stderr
    assert f"Invalid value for '{named}': Input should be" in ran.stderr
    assert "Traceback" not in ran.stderr
    assert ran.stdout == ""


def test_relay_options_refuse_values_that_would_stall_or_spin_it() -> None:
    """The same bounds for a relay built in code, not from the command line."""
    for wrong in (
        {"page_size": 0},
        {"checkpoint_every": 0},
        {"poll_interval": 0},
        {"linger": -0.1},
        {"max_backoff": float("nan")},
    ):
        with pytest.raises(ValueError, match=r"relay waits|page_size"):
            RelayOptions(**wrong)
    assert RelayOptions(linger=0, checkpoint_interval=0).linger == 0


def test_a_check_of_a_tenant_not_served_names_the_served_ones_before_touching_anything() -> None:
    """A typo was checked against Kafka first (a timeout when no broker answers), and would
    have opened, hence created, an empty event store for the misspelt tenant."""
    ran = entente("check", "polce", ENTENTE_TENANTS="police,gendarmerie")

    assert ran.returncode == 2
    assert ran.stderr.strip() == (
        "entente: no tenant 'polce' here (ENTENTE_TENANTS: police, gendarmerie)"
    )


def test_a_tenant_name_of_thousands_of_characters_is_not_echoed_whole() -> None:
    """A 5,000-character name filled the screen in one line (probe 11)."""
    long = "a" * 5000
    ran = entente("check", long, ENTENTE_TENANTS="police")

    assert ran.returncode == 2
    line = ran.stderr.strip()
    assert line == (
        f"entente: tenant slug {'a' * 40!r}… (5000 characters) must be lowercase words "
        "joined by '-', at most 40 characters"
    )


def test_a_check_where_no_store_is_refused_and_makes_none(tmp_path: Path) -> None:
    """A mistyped data folder: the check made an empty store and views, and said OK."""
    data = tmp_path / "typo"
    ran = entente(
        "check", "police", "--no-topic", ENTENTE_DATA_DIR=str(data), ENTENTE_STORE="sqlite"
    )

    assert ran.returncode == 2, ran.stderr
    assert ran.stderr.strip().splitlines()[-1].startswith("entente: ")
    assert "OK" not in ran.stdout
    assert not (data / "events" / "police.events.sqlite3").exists()
    assert not (data / "views").exists()


@pytest.mark.parametrize(
    "command",
    [
        ["relay", "polce"],  # would have created entente.polce.* topics and an event store
        ["project", "--tenants", "police,polce", "--port", "0"],  # would have waited for ever
    ],
    ids=["relay", "project"],
)
def test_a_tenant_not_configured_is_refused_before_anything_is_opened(
    command: list[str], tmp_path: Path
) -> None:
    ran = entente(
        *command,
        ENTENTE_TENANTS="police,gendarmerie",
        ENTENTE_DATA_DIR=str(tmp_path),
        ENTENTE_KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:9",  # nothing listens: never reached
    )

    assert ran.returncode == 2, ran.stderr
    assert ran.stderr.strip() == (
        "entente: no tenant 'polce' here (ENTENTE_TENANTS: police, gendarmerie)"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("env", "line"),
    [
        (
            {"ENTENTE_POSTGRES_URLS": "{x"},
            'invalid settings: error parsing value for field "postgres_urls" from source '
            '"EnvSettingsSource"',
        ),
        (
            {"ENTENTE_STORE": "postgres"},
            "ENTENTE_POSTGRES_URL is required when ENTENTE_STORE=postgres",
        ),
        (
            {"ENTENTE_STORE": "postgres", "ENTENTE_POSTGRES_URL": "postgresql://u:pw@h:99999/db"},
            "invalid settings: ENTENTE_POSTGRES_URL: Value error, not a usable URL: "
            "Port out of range 0-65535",
        ),
        (
            {"ENTENTE_VIEWS_URL": "postgresql://u:pw@[::1/views"},
            "invalid settings: ENTENTE_VIEWS_URL: Value error, not a usable URL: Invalid IPv6 URL",
        ),
        (
            {"ENTENTE_DATA_DIR": "/proc/entente-nowhere"},
            "cannot use /proc/entente-nowhere: No such file or directory (set "
            "ENTENTE_DATA_DIR, or the command's path options, to a writable place)",
        ),
    ],
    ids=["json", "no-url", "port", "ipv6", "data-dir"],
)
def test_bad_settings_are_one_line_without_a_traceback(env: dict[str, str], line: str) -> None:
    ran = entente("audit", "verify", "police", **{"ENTENTE_TENANTS": "police", **env})

    assert ran.returncode == 2, ran.stderr
    assert ran.stderr.strip().splitlines() == [f"entente: {line}"]
    assert "pw" not in ran.stderr


@pytest.mark.parametrize("servers", ["", ",", "broker", "broker:0", "broker:99999", ":9092"])
def test_bootstrap_servers_that_name_no_usable_broker_are_refused(servers: str) -> None:
    ran = entente("relay", "police", ENTENTE_KAFKA_BOOTSTRAP_SERVERS=servers)

    assert ran.returncode == 2, ran.stderr
    (line,) = ran.stderr.strip().splitlines()
    assert line.startswith("entente: invalid settings: ENTENTE_KAFKA_BOOTSTRAP_SERVERS: ")


def test_a_store_that_is_not_a_database_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "events").mkdir()
    store = tmp_path / "events" / "police.events.sqlite3"
    store.write_bytes(b"not a database" * 400)

    ran = entente("audit", "verify", "police", ENTENTE_DATA_DIR=str(tmp_path))

    assert ran.returncode == 2, ran.stderr
    assert ran.stderr.strip().splitlines() == [
        f"entente: the event store of 'police' at {store} cannot be read as one: "
        "file is not a database"
    ]
    assert store.read_bytes() == b"not a database" * 400


@pytest.mark.parametrize(
    ("tenants", "said"),
    [
        ("police,police", "entente: --tenants 'police,police' names a tenant twice"),
        # An unset "$T" in a script projected every tenant.
        ("", "entente: --tenants '' names no tenant"),
        (" , ", "entente: --tenants ' , ' names no tenant"),
        ("polcie", "entente: no tenant 'polcie' here (ENTENTE_TENANTS: police, gendarmerie, "
         "civil-protection)"),
    ],
)  # fmt: skip
def test_tenants_to_project_are_some_of_the_configured_ones(
    tmp_path: Path, tenants: str, said: str
) -> None:
    ran = entente("project", "--tenants", tenants, "--port", "0", ENTENTE_DATA_DIR=str(tmp_path))

    assert ran.returncode == 2, ran.stderr
    assert ran.stderr.strip() == said
    assert list(tmp_path.iterdir()) == []


def test_a_generated_page_is_replaced_whole_or_not_at_all(tmp_path: Path) -> None:
    """Written in place, a full disk cut the page short and its old content was gone."""
    page = tmp_path / "catalogue.md"
    page.write_text("the page as it was\n")

    def small_disk() -> None:  # files of 1,000 bytes at most: the page is longer
        resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))

    refused = subprocess.run(
        [str(ENTENTE), "catalogue", "--output", str(page)],
        preexec_fn=small_disk,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.strip() == f"entente: cannot write {page}: File too large"
    assert page.read_text() == "the page as it was\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["catalogue.md"]

    written = entente("catalogue", "--output", str(page))

    assert written.returncode == 0, written.stderr
    assert page.read_text().startswith("# ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["catalogue.md"]


def test_a_link_planted_beside_the_page_is_not_written_through(tmp_path: Path) -> None:
    """The page was written under a fixed name beside it, opened as it stood: a symbolic
    link there had the page written into the file it pointed to."""
    other = tmp_path / "someone-elses-file"
    other.write_text("not the page\n")
    (tmp_path / ".catalogue.md.partial").symlink_to(other)
    page = tmp_path / "catalogue.md"

    written = entente("catalogue", "--output", str(page))

    assert written.returncode == 0, written.stderr
    assert other.read_text() == "not the page\n"
    assert page.read_text().startswith("# ")
    assert not page.is_symlink()
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(page.stat().st_mode) == 0o666 & ~umask  # not mkstemp's 0600


@pytest.mark.parametrize("output", ["", " ", ".", "..", "/", "{folder}", "{folder}/page.md/"])
def test_a_path_naming_no_file_is_refused(tmp_path: Path, output: str) -> None:
    """'' and '.' were a traceback; 'x/' wrote a file named x."""
    output = output.format(folder=tmp_path)
    for command in ("catalogue", "asyncapi"):
        ran = entente(command, "--output", output)

        assert ran.returncode == 2, ran.stderr
        assert ran.stderr.count("\n") == 1, ran.stderr
        assert "give a file path" in ran.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_read_only_page_is_not_replaced(tmp_path: Path) -> None:
    page = tmp_path / "asyncapi.yaml"
    page.write_text("kept\n")
    page.chmod(0o444)

    ran = entente("asyncapi", "--output", str(page))

    assert ran.returncode == 2, ran.stderr
    assert ran.stderr.strip() == (
        f"entente: {page} is read-only: make it writable (chmod u+w) to replace it"
    )
    assert page.read_text() == "kept\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["asyncapi.yaml"]


def test_a_pipe_or_a_device_is_not_replaced_by_the_page(tmp_path: Path) -> None:
    """Probe 11: ``--output /dev/full`` printed "wrote /dev/full" and left a regular file
    where the device was (the page is renamed over its target)."""
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    listening = socket.socket(socket.AF_UNIX)  # a socket file (no device: a test that
    listening.bind(str(tmp_path / "sock"))  # failed would replace it, as root)

    for command, output in (("asyncapi", pipe), ("catalogue", tmp_path / "sock")):
        ran = entente(command, "--output", str(output))

        assert ran.returncode == 2, ran.stderr
        assert ran.stderr.strip() == (
            f"entente: {output} is not a regular file (a device, a pipe or a socket): "
            "give a file path"
        )
    listening.close()
    assert stat.S_ISFIFO(pipe.stat().st_mode)
    assert stat.S_ISSOCK((tmp_path / "sock").stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe", "sock"]


def test_a_generated_page_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    for command in ("catalogue", "asyncapi"):
        target = tmp_path / "missing-folder" / "page.md"
        ran = entente(command, "--output", str(target))

        assert ran.returncode == 2, ran.stderr
        assert ran.stderr.strip() == (f"entente: cannot write {target}: No such file or directory")


@pytest.mark.parametrize(
    "command",
    [["serve", "--app", app] for app in ("all", "tenant", "reporting", "audit")] + [["project"]],
    ids=["serve-all", "serve-tenant", "serve-reporting", "serve-audit", "project"],
)
def test_a_server_whose_views_database_does_not_answer_says_so_in_one_line(
    tmp_path: Path, command: list[str]
) -> None:
    """uvicorn printed its start-up's traceback (about 170 lines) and exited 3."""
    ran = entente(
        *command, "--port", "0",
        ENTENTE_DATA_DIR=str(tmp_path),
        ENTENTE_VIEWS_URL="postgresql+psycopg://u:secretpw@127.0.0.1:1/db",
    )  # fmt: skip

    assert ran.returncode == 2, ran.stderr
    (line,) = ran.stderr.strip().splitlines()
    assert line.startswith(
        "entente: ENTENTE_VIEWS_URL: the database at 127.0.0.1:1/db does not answer "
        "(OperationalError: "
    )
    assert "secretpw" not in ran.stdout + ran.stderr


@pytest.mark.parametrize("command", [["serve"], ["project"], ["relay", "police", "--port", "0"]])
def test_an_empty_host_is_refused_not_every_interface(command: list[str]) -> None:
    """asyncio reads an empty host as every interface: an unset "$HOST" exposed the API."""
    ran = entente(*command, "--host", "")

    assert ran.returncode == 2, ran.stderr
    assert "Invalid value for --host: is empty: name an interface" in " ".join(ran.stderr.split())


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("ENTENTE_DATA_DIR", "", "data_dir is empty"),
        ("ENTENTE_DATA_DIR", "~/entente", "starts with ~, which is not expanded here"),
        (
            "ENTENTE_REPORTING_URL",
            "mysql://u@h/d",
            "lives in PostgreSQL (postgresql://…), not mysql",
        ),
        ("ENTENTE_REPORTING_URL", "garbage", "not a usable URL"),
        ("ENTENTE_REPORTING_SCHEMA", "", "is not a schema name to use"),
        ("ENTENTE_REPORTING_SCHEMA", "pg_catalog", "is not a schema name to use"),
        ("ENTENTE_REPORTING_SCHEMA", "entente_police", "in the entente_ namespace"),
    ],
)
def test_settings_that_were_silently_misread_are_refused(
    tmp_path: Path, variable: str, value: str, said: str
) -> None:
    """Each was taken: the current folder, a folder named ~, SQLite instead of the named
    database, a traceback, the reporting tables in a tenant's event store schema."""
    env = {"ENTENTE_DATA_DIR": str(tmp_path / "data"), variable: value}
    ran = entente("serve", "--app", "reporting", "--port", "0", **env)

    assert ran.returncode == 2, ran.stderr
    (line,) = ran.stderr.strip().splitlines()
    assert line.startswith("entente: invalid settings"), line
    assert said in line, line
    assert not (tmp_path / "data").exists()


def test_listing_the_demo_users_or_a_mistyped_one_makes_nothing_on_disk(tmp_path: Path) -> None:
    """Both made the data folder and a signing key, under whatever folder was mistyped."""
    data = tmp_path / "data"

    listed = entente("users", ENTENTE_DATA_DIR=str(data), ENTENTE_TENANTS="police")
    refused = entente("token", "police-recroder", ENTENTE_DATA_DIR=str(data))

    assert listed.returncode == 0, listed.stderr
    assert "police-recorder" in listed.stdout
    assert refused.returncode == 2
    assert "no demo user 'police-recroder'; known users: admin, auditor," in refused.stderr
    assert not data.exists()

    issued = entente("token", "police-recorder", ENTENTE_DATA_DIR=str(data))

    assert issued.returncode == 0, issued.stderr
    assert issued.stdout.count(".") == 2  # a JWT
    assert (data / "dev-issuer-key.pem").exists()


def test_a_token_signed_by_a_key_made_for_it_says_so(tmp_path: Path) -> None:
    """Run from another folder than the server's, it made a key of its own there and its
    token was a 401 ("unknown key") with nothing said."""
    data = tmp_path / "data"

    first = entente("token", "police-recorder", ENTENTE_DATA_DIR=str(data))
    again = entente("token", "police-recorder", ENTENTE_DATA_DIR=str(data))

    assert first.returncode == 0, first.stderr
    assert first.stdout.count(".") == 2
    assert f"no dev issuer key in {data.resolve()} yet, so a new one was made" in first.stderr
    assert "set ENTENTE_DATA_DIR to its data folder" in first.stderr
    assert (again.returncode, again.stderr) == (0, "")  # the server's key: nothing to say


def test_the_start_up_banner_names_a_data_folder_of_its_own_in_the_token_command() -> None:
    from shared.cli.main import _banner
    from shared.settings import Settings

    default = _banner(
        Settings(auth="dev", tenants=["police"], data_dir=Path(".entente")), "127.0.0.1", 8000
    )
    own = _banner(
        Settings(auth="dev", tenants=["police"], data_dir=Path("/srv/entente data")),
        "127.0.0.1",
        8161,
    )

    assert "TOKEN=$(.venv/bin/entente token police-recorder)" in default
    assert (
        "TOKEN=$(ENTENTE_DATA_DIR='/srv/entente data' .venv/bin/entente token police-recorder)"
        in own
    )


def test_an_unknown_service_to_serve_lists_the_choices(tmp_path: Path) -> None:
    ran = entente("serve", "--app", "tenants", "--port", "0", ENTENTE_DATA_DIR=str(tmp_path))

    assert ran.returncode == 2, ran.stderr
    assert ran.stderr.strip() == (
        "entente: no service 'tenants' here; --app is one of all, audit, reporting, tenant"
    )


@pytest.mark.parametrize(
    ("auth", "token_line"),
    [
        ("dev", "  A token:    TOKEN=$(.venv/bin/entente token gendarmerie-recorder)"),
        # It suggested `entente token`, which refuses under jwks.
        (
            "jwks",
            "  A token:    from Keycloak, for a user with the role gendarmerie:recorder "
            "(ENTENTE_AUTH=jwks)",
        ),
    ],
)
def test_the_start_up_banner_says_where_tokens_come_from(auth: str, token_line: str) -> None:
    from shared.cli.main import _banner
    from shared.settings import Settings

    settings = Settings(
        auth=auth, jwks_url="http://kc:8080/certs", tenants=["gendarmerie", "police"]
    )
    banner = _banner(settings, "127.0.0.1", 8000).splitlines()

    assert token_line in banner
    assert banner[-1].endswith("http://127.0.0.1:8000/api/gendarmerie/missions")


def test_a_full_disk_is_one_line_though_it_names_no_file() -> None:
    """``audit export`` on a full disk printed a traceback (probe 4)."""
    error = OSError(errno.ENOSPC, "No space left on device")

    assert file_refusal(error) == (
        "the system refused a write: No space left on device; free some space and run the "
        "command again (with --resume where it has one)"
    )


def test_a_data_folder_that_is_a_file_is_one_line_for_a_token_too(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")

    ran = entente("token", "police-recorder", ENTENTE_DATA_DIR=str(tmp_path / "file"))

    assert ran.returncode == 2, ran.stderr
    assert ran.stderr.strip() == (
        f"entente: cannot use {tmp_path / 'file'}: it exists and is not a folder (set "
        "ENTENTE_DATA_DIR, or the command's path options, to a writable place)"
    )


def test_a_damaged_dev_key_is_named_with_what_to_do(tmp_path: Path) -> None:
    """A garbage key file: cryptography's ValueError, naming no file (probe 4)."""
    (tmp_path / "dev-issuer-key.pem").write_text("garbage\n")

    for command in (["token", "police-recorder"], ["serve", "--port", "0"]):
        ran = entente(*command, ENTENTE_DATA_DIR=str(tmp_path))

        assert ran.returncode == 2, ran.stderr
        (line,) = ran.stderr.strip().splitlines()
        assert line.startswith(
            f"entente: {tmp_path / 'dev-issuer-key.pem'} is not the dev issuer's key ("
        )
        assert line.endswith("(tokens signed with the old one are then refused)")
