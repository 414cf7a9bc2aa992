"""``entente kafka acls``: the ACLs each component needs, printed for an operator to apply.

Run as a process (the real ``entente`` entry point), so bad arguments are seen as
an operator sees them: one line and exit status 2. Applying them on a broker
that authorizes is ``tests/kafka/test_least_privilege.py``'s.
"""

from __future__ import annotations

import subprocess

import pytest
import yaml

from tests.cli import entente


def _acls(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return entente("kafka", "acls", *args, **env)


def test_the_projector_s_acls_for_two_tenants() -> None:
    done = _acls("projector", "User:entente-projector", "--tenants", "police,gendarmerie")

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "User:entente-projector: Describe, DescribeConfigs on topics starting with entente.police.",
        "User:entente-projector: Read on topic entente.police.events",
        "User:entente-projector: Write on topic entente.police.events.dlt",
        "User:entente-projector: Describe, DescribeConfigs on topics starting with "
        "entente.gendarmerie.",
        "User:entente-projector: Read on topic entente.gendarmerie.events",
        "User:entente-projector: Write on topic entente.gendarmerie.events.dlt",
    ]


def test_topic_names_carry_the_prefix_and_tenants_default_to_the_settings() -> None:
    done = _acls(
        "reporting",
        "User:r",
        ENTENTE_TENANTS='["police"]',
        ENTENTE_KAFKA_TOPIC_PREFIX="staging.",
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "User:r: Read, Describe on topic staging.entente.police.events",
        "User:r: Create, Write, Describe, DescribeConfigs on topic "
        "staging.entente.reporting.alerts",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("gateway", "User:x"), "'gateway' is not one of relay, projector, reporting, audit"),
        (("relay", "entente-relay"), "'entente-relay' is not User:<name>"),
        (("relay", "User:x", "--tenants", "Police"), "Police"),
        # An empty "$T" in a script would have granted every tenant of ENTENTE_TENANTS.
        (("relay", "User:x", "--tenants", ""), "--tenants '' names no tenant"),
        (("relay", "User:x", "--tenants", " , "), "--tenants ' , ' names no tenant"),
        # A misspelt tenant granted a topic nobody writes, and the real one nothing.
        (
            ("relay", "User:x", "--tenants", "police,polcie"),
            "no tenant 'polcie' here (ENTENTE_TENANTS: police, gendarmerie, civil-protection)",
        ),
    ],
)
def test_bad_arguments_get_one_line_and_exit_status_2(args: tuple[str, ...], message: str) -> None:
    done = _acls(*args)

    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert message in done.stderr.strip().splitlines()[-1]


def test_a_strimzi_kafka_user_carries_exactly_the_acls() -> None:
    done = _acls(
        "projector",
        "User:entente-projector",
        "--tenants",
        "police",
        "--format",
        "strimzi",
        "--cluster",
        "ministry-kafka",
    )

    assert done.returncode == 0, done.stderr
    user = yaml.safe_load(done.stdout)
    assert user["kind"] == "KafkaUser"
    assert user["metadata"] == {
        "name": "entente-projector",
        "labels": {"strimzi.io/cluster": "ministry-kafka"},
    }
    assert user["spec"]["authentication"] == {"type": "scram-sha-512"}
    assert user["spec"]["authorization"]["acls"] == [
        {
            "resource": {"type": "topic", "name": "entente.police.", "patternType": "prefix"},
            "operations": ["Describe", "DescribeConfigs"],
            "host": "*",
        },
        {
            "resource": {
                "type": "topic",
                "name": "entente.police.events",
                "patternType": "literal",
            },
            "operations": ["Read"],
            "host": "*",
        },
        {
            "resource": {
                "type": "topic",
                "name": "entente.police.events.dlt",
                "patternType": "literal",
            },
            "operations": ["Write"],
            "host": "*",
        },
    ]


def test_a_tls_kafka_user_is_named_after_the_certificate_subject() -> None:
    done = _acls(
        "audit",
        "User:CN=entente-audit",
        "--tenants",
        "police",
        "--format",
        "strimzi",
        "--authentication",
        "tls",
    )

    assert done.returncode == 0, done.stderr
    user = yaml.safe_load(done.stdout)
    assert user["metadata"]["name"] == "entente-audit"
    assert user["spec"]["authentication"] == {"type": "tls"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--format", "json"), "'json' is not lines or strimzi"),
        (("--format", "strimzi", "--authentication", "oauth"), "'oauth' is not scram-sha-512"),
    ],
)
def test_unknown_formats_and_authentications_are_refused(
    args: tuple[str, ...], message: str
) -> None:
    done = _acls("relay", "User:x", "--tenants", "police", *args)

    assert done.returncode == 2
    assert message in done.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("principal", "args", "message"),
    [
        # kubectl refused these names only at deployment.
        (
            "User:CN=entente-audit,O=Ministere",
            ("--authentication", "tls"),
            "the KafkaUser would be named 'entente-audit,O=Ministere', which Kubernetes refuses",
        ),
        ("User:Entente Audit", (), "named 'Entente Audit', which Kubernetes refuses"),
        ("User:" + "a" * 254, (), "which Kubernetes refuses"),
        ("User:audit", ("--cluster", "ministry kafka"), "'ministry kafka' is not a Kubernetes"),
        ("User:audit", ("--cluster", "k" * 64), "is not a Kubernetes label value"),
    ],
)
def test_a_kafka_user_kubernetes_would_refuse_is_not_printed(
    principal: str, args: tuple[str, ...], message: str
) -> None:
    done = _acls("audit", principal, "--tenants", "police", "--format", "strimzi", *args)

    assert done.returncode == 2
    assert done.stdout == ""
    assert message in done.stderr.strip().splitlines()[-1]
