"""The run's Kafka broker as a process the tests may stop and start again.

Only a broker started by ``deploy/local/stack.sh`` can be restarted, and only
the one the run uses, and only when the run says so: ``ENTENTE_STACK_DIR``
must name the stack directory (``make test`` exports it; there is no default,
so a test run pointed at a broker others share never restarts it), and its
rendered ``kafka/server.properties`` must have the run's bootstrap address as
its PLAINTEXT listener. The ports come from that file, so
``stack.sh start --keep kafka`` brings back the same broker (same data, same
controller port) whatever the environment says. Anything else (a
testcontainers broker, another stack) is a skip locally and a failure in CI,
like every missing server.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from tests.requirements import unavailable

ROOT = Path(__file__).resolve().parents[2]
STACK_SCRIPT = ROOT / "deploy" / "local" / "stack.sh"
LISTENER = re.compile(r"^listeners=(?P<value>.+)$", re.MULTILINE)


@dataclass(frozen=True)
class LocalBroker:
    """The stack's broker: ``stop`` (SIGTERM, waits for its exit) and ``start`` (keeps its data)."""

    bootstrap: str
    stack_dir: Path
    env: dict[str, str]

    def stop(self) -> None:
        self._stack("stop", "kafka")

    def start(self) -> None:
        self._stack("start", "--keep", "kafka")

    def running(self) -> bool:
        status = self._stack("status")
        return any(line.split()[:2] == ["kafka", "running"] for line in status.splitlines())

    def _stack(self, *args: str) -> str:
        done = subprocess.run(
            [str(STACK_SCRIPT), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, f"stack.sh {' '.join(args)}: {done.stderr[-2000:]}"
        return done.stdout + done.stderr


def listener_ports(properties: str) -> dict[str, int]:
    """``{"PLAINTEXT": 19092, "CONTROLLER": 19093}`` from a ``listeners=`` line."""
    found = LISTENER.search(properties)
    if found is None:
        return {}
    ports: dict[str, int] = {}
    for listener in found["value"].split(","):
        name, _, address = listener.strip().partition("://")
        ports[name] = int(address.rsplit(":", 1)[1])
    return ports


def local_broker(bootstrap: str) -> LocalBroker:
    """The stack's broker at ``bootstrap``, or a skip (a failure in CI) saying why not."""
    given = os.environ.get("ENTENTE_STACK_DIR")
    if not given:
        _unavailable("ENTENTE_STACK_DIR does not name the stack whose broker it may restart")
    stack_dir = Path(given)
    properties = stack_dir / "kafka" / "server.properties"
    if not properties.is_file():
        _unavailable(f"no broker of deploy/local/stack.sh in {stack_dir} (ENTENTE_STACK_DIR)")
    ports = listener_ports(properties.read_text())
    ours = f"127.0.0.1:{ports.get('PLAINTEXT')}"
    if ours != bootstrap or "CONTROLLER" not in ports:
        _unavailable(f"the run's broker is {bootstrap}, the stack in {stack_dir} serves {ours}")
    env = {
        **os.environ,
        "ENTENTE_STACK_DIR": str(stack_dir),
        "ENTENTE_KAFKA_PORT": str(ports["PLAINTEXT"]),
        "ENTENTE_KAFKA_CONTROLLER_PORT": str(ports["CONTROLLER"]),
    }
    return LocalBroker(bootstrap, stack_dir, env)


def _unavailable(why: str) -> NoReturn:
    message = f"restarting the broker needs the local stack's broker: {why}"
    unavailable(message)
