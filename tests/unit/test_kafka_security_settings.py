"""Kafka security settings: what a secured cluster needs, and every half-set combination refused.

A relay that silently connected in plaintext, or never sent credentials it was
given, would only be found out by the cluster's operators; these are refused
when the settings are read, naming the variable to set.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from shared.kafka.clients import producer_config
from shared.kafka.settings import KafkaSettings


@pytest.fixture
def ca(tmp_path: Path) -> Path:
    path = tmp_path / "ca.pem"
    path.write_text("-----BEGIN CERTIFICATE-----\n")
    return path


def test_a_laptop_broker_is_plaintext_and_gets_no_security_options() -> None:
    config = KafkaSettings().client_config("producer")
    assert config["security_protocol"] == "PLAINTEXT"
    assert not {k for k in config if k.startswith(("sasl_", "ssl_"))}


def test_sasl_ssl_passes_scram_credentials_and_the_ca_to_every_client(ca: Path) -> None:
    settings = KafkaSettings(
        security_protocol="SASL_SSL",
        sasl_username="entente-relay",
        sasl_password="s3cret",  # pydantic turns it into a SecretStr
        ssl_cafile=ca,
    )
    config = producer_config(settings)
    assert config["security_protocol"] == "SASL_SSL"
    assert config["sasl_mechanism"] == "SCRAM-SHA-512"
    assert config["sasl_plain_username"] == "entente-relay"
    assert config["sasl_plain_password"] == "s3cret"
    assert config["ssl_cafile"] == str(ca)
    assert config["ssl_check_hostname"] is True
    assert config["enable_idempotence"] is True  # the producer's guarantees stay
    assert "s3cret" not in repr(settings)  # never in a log line


def test_the_settings_are_read_from_the_environment(
    ca: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENTENTE_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("ENTENTE_KAFKA_SASL_MECHANISM", "SCRAM-SHA-256")
    monkeypatch.setenv("ENTENTE_KAFKA_SASL_USERNAME", "entente-projector")
    monkeypatch.setenv("ENTENTE_KAFKA_SASL_PASSWORD", "from-a-secret")
    monkeypatch.setenv("ENTENTE_KAFKA_SSL_CAFILE", str(ca))
    config = KafkaSettings().client_config("consumer")
    assert config["sasl_mechanism"] == "SCRAM-SHA-256"
    assert config["sasl_plain_password"] == "from-a-secret"
    assert config["ssl_cafile"] == str(ca)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"security_protocol": "SASL_SSL"}, "needs sasl_username and sasl_password"),
        (
            {"security_protocol": "SASL_SSL", "sasl_username": "u"},
            "ENTENTE_KAFKA_SASL_PASSWORD",
        ),
        (
            {"sasl_username": "u", "sasl_password": "p"},
            "SASL credentials are set but security_protocol is PLAINTEXT",
        ),
        (
            {"security_protocol": "SSL", "sasl_username": "u", "sasl_password": "p"},
            "they would never be sent",
        ),
        (
            {"security_protocol": "SASL_PLAINTEXT", "ssl_cafile": "CA"},
            "ssl_cafile set but security_protocol is SASL_PLAINTEXT",
        ),
        ({"security_protocol": "SSL", "ssl_certfile": "CA"}, "go together"),
        ({"security_protocol": "SSL", "ssl_cafile": "/nowhere/ca.pem"}, "not a readable file"),
        ({"security_protocol": "TLS"}, "security_protocol"),
        ({"security_protocol": "SASL_SSL", "sasl_mechanism": "GSSAPI"}, "sasl_mechanism"),
    ],
)
def test_half_set_security_is_refused_with_what_to_set(
    settings: dict[str, str], message: str, ca: Path
) -> None:
    given = {k: str(ca) if v == "CA" else v for k, v in settings.items()}
    if given.get("security_protocol") == "SASL_PLAINTEXT":
        given |= {"sasl_username": "u", "sasl_password": "p"}
    with pytest.raises(ValidationError, match=message):
        KafkaSettings(**given)  # type: ignore[arg-type]
