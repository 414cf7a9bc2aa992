"""What the figures were measured on: versions, broker, CPU count, the CRC-32C check."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import psycopg

from shared.kafka.crc import native_crc32c_in_use

PACKAGES = ("kafka-python", "crc32c", "psycopg", "fastapi", "uvicorn", "httpx", "eventsourcing")


def capture(postgres_url: str, kafka_bootstrap: str) -> dict[str, str]:
    """The environment as ordered (label, value) pairs for the page."""
    env = {
        "date (UTC)": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
        "commit": _commit(),
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()} ({platform.machine()})",
        "CPU count": str(os.cpu_count()),
        "CPU model": _cpu_model(),
        "PostgreSQL": _postgres_version(postgres_url),
        "Kafka broker": f"{kafka_bootstrap} ({_kafka_version(kafka_bootstrap)})",
        "kafka-python CRC-32C in C (crc32c extension)": "yes"
        if native_crc32c_in_use()
        else "NO (pure Python, 4-7x slower)",
    }
    for package in PACKAGES:
        try:
            env[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            env[package] = "not installed"
    return env


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
            timeout=5,
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain"],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
            timeout=5,
        )
    except OSError:
        return "unknown"
    return out.stdout.strip() + (" (with uncommitted changes)" if dirty.stdout.strip() else "")


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _postgres_version(url: str) -> str:
    with psycopg.connect(url) as connection:
        row = connection.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "unknown"


def _kafka_version(bootstrap: str) -> str:
    """The newest API version the broker answers, and the local stack's pinned release."""
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        version = admin._client.check_version()
    finally:
        admin.close()
    pinned = os.environ.get("KAFKA_VERSION")
    api = "API " + ".".join(str(v) for v in version)
    return f"Kafka {pinned}, {api}" if pinned else api
