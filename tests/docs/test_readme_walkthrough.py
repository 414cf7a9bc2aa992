"""The README's and the guides' walk-throughs work as written, against ``make run``'s platform.

The README is the front door: a desk officer, reporting staff and an auditor
copy its commands. This test takes every ``sh`` block of the three "Using it
as…" sections, in order, and runs them as one bash script against
``entente serve --sample-data`` on a free port, with its own data directory.
Only the address and the path of the virtual environment are adapted; every
``curl`` must get a 2xx (``--fail-with-body``) and every command must succeed,
so an endpoint, a parameter or a body that drifts from the README fails here.
The reporting and audit guides (``docs/reporting.md``, ``docs/audit.md``) run
the same way, whole; they also show refusals, so there no answer may be a 5xx
and the refusals must be the ones they show.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
SECTIONS = (
    "## Using it as a desk officer",
    "## Using it for cross-ministry reporting",
    "## Using it as an auditor",
)
BIN = Path(sys.executable).parent


def walkthrough(readme: str, base_url: str) -> str:
    """The sections' ``sh`` blocks as one script, adapted to this run; any HTTP error fails it."""
    blocks: list[str] = []
    for heading in SECTIONS:
        start = readme.index(heading)
        following = readme.find("\n## ", start + len(heading))
        section = readme[start : following if following != -1 else None]
        blocks += re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    return adapted("\n".join(blocks), base_url, "curl -sS --fail-with-body ")


def guide(document: str, base_url: str) -> str:
    """Every ``sh`` block of a guide but ``make run``, adapted to this run.

    The guides also show refusals (a 422 for a bad filter), so each answer's
    status is written to stderr (``HTTP <code>``) for the test to judge instead.
    """
    blocks = re.findall(r"```sh\n(.*?)```", document, flags=re.DOTALL)
    script = "\n".join(b for b in blocks if b.strip() != "make run")
    return adapted(script, base_url, "curl -s -w '%{stderr}HTTP %{http_code}\\n' ")


def adapted(script: str, base_url: str, curl: str) -> str:
    """The address of this run's server, this environment's commands, ``curl`` as given."""
    assert "curl -s " in script  # what is adapted below
    assert ".venv/bin/" in script
    return (
        script.replace("http://127.0.0.1:8000", base_url)
        .replace(".venv/bin/", f"{BIN}/")
        .replace("curl -s ", curl)
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """``entente serve --sample-data`` as ``make run`` starts it, on a free port."""
    data = tmp_path_factory.mktemp("readme-data")
    env = {**os.environ, "ENTENTE_DATA_DIR": str(data)}
    for name in [n for n in env if n.startswith("ENTENTE_") and n != "ENTENTE_DATA_DIR"]:
        if not name.startswith("ENTENTE_TEST"):
            del env[name]  # the embedded default, whatever the suite's environment says
    port = _free_port()
    server = subprocess.Popen(
        [str(BIN / "entente"), "serve", "--sample-data", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
            assert time.monotonic() < deadline, "the embedded platform did not start in 90 s"
            time.sleep(0.5)
        yield url, env
    finally:
        server.terminate()
        server.wait(timeout=30)


def run(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``script`` under bash, stopping at the first failing command; it must succeed."""
    ran = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ran.returncode == 0, f"{ran.stderr[-3000:]}\n--- stdout ---\n{ran.stdout[-3000:]}"
    return ran


def run_guide(
    name: str, served: tuple[str, dict[str, str]], cwd: Path
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """``docs/<name>`` run whole; its output and the status of each answer, in order."""
    url, env = served
    document = (README.parent / "docs" / name).read_text(encoding="utf-8")
    ran = run(guide(document, url), cwd, env)
    statuses = re.findall(r"^HTTP (\d{3})$", ran.stderr, flags=re.MULTILINE)
    assert not [s for s in statuses if s.startswith("5")], ran.stderr
    return ran, statuses


def test_the_readme_walkthroughs_run_as_written(
    served: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    url, env = served

    ran = run(walkthrough(README.read_text(encoding="utf-8"), url), tmp_path, env)

    assert '"status":"validated"' in ran.stdout.replace(" ", "")  # the validator's decision
    assert list(tmp_path.glob("*.xlsx")), "the reporting export was not saved"
    assert (tmp_path / "police.zip").is_file()  # the auditor's bundle, then verified


def test_the_reporting_guide_runs_as_written(
    served: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    ran, statuses = run_guide("reporting.md", served, tmp_path)

    assert len(statuses) >= 10
    assert statuses.count("422") == 1  # the guide's one refusal: a theme not in the vocabulary
    assert "police: 200" in ran.stdout  # each plan_mission prints 200, as the guide says
    assert "gendarmerie: 200" in ran.stdout


def test_the_audit_guide_runs_as_written(
    served: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    _, statuses = run_guide("audit.md", served, tmp_path)

    assert statuses
    assert set(statuses) == {"200"}
    assert (tmp_path / "police-bundle.zip").is_file()
