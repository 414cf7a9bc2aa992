"""docs/asyncapi.yaml is what the code generates, and the reference AsyncAPI parser accepts it.

The parser is the npm ``@asyncapi/parser`` (the one AsyncAPI's own tools use),
installed by ``npm ci --prefix deploy/contracts``. Where it is not installed,
these tests skip with the command to run, except in CI, where a contract that
was not checked is a failure. The parser is also shown to refuse a broken copy,
so a green run means the check ran and can fail.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.events import asyncapi
from tests.requirements import unavailable

ROOT = Path(__file__).parents[2]
DOCUMENT = ROOT / "docs" / "asyncapi.yaml"
CONTRACTS = ROOT / "deploy" / "contracts"
VALIDATOR = CONTRACTS / "validate-asyncapi.mjs"
PARSER = CONTRACTS / "node_modules" / "@asyncapi" / "parser" / "package.json"
#: Loading the parser and its rule set takes a few seconds; far less than this.
TIMEOUT = 180


def test_the_committed_document_matches_the_code() -> None:
    assert DOCUMENT.read_text(encoding="utf-8") == asyncapi.render(), (
        "docs/asyncapi.yaml is stale: run `.venv/bin/entente asyncapi`"
    )


def test_the_message_keys_are_stable_names() -> None:
    assert (
        asyncapi.message_key("fr.interieur.entente.delegation-visit.planned.v1")
        == "DelegationVisitPlannedV1"
    )
    assert (
        asyncapi.message_key("fr.interieur.entente.post-abroad.coverage-changed.v1")
        == "PostAbroadCoverageChangedV1"
    )


def _parser_missing() -> str | None:
    """Why the real parser cannot run here, or None when it can."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not PARSER.exists():
        return "the AsyncAPI parser is not installed: run `npm ci --prefix deploy/contracts`"
    pinned = json.loads((CONTRACTS / "package.json").read_text())["dependencies"]
    installed = json.loads(PARSER.read_text())["version"]
    if installed != pinned["@asyncapi/parser"]:
        return f"deploy/contracts has parser {installed}, not the pinned one: run npm ci there"
    return None


@pytest.fixture(scope="module")
def validate() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Runs deploy/contracts/validate-asyncapi.mjs on files (one Node start for all)."""
    missing = _parser_missing()
    if missing is not None:
        unavailable(missing)
    node = shutil.which("node")
    assert node is not None

    def run(*documents: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [node, str(VALIDATOR), *map(str, documents)],
            cwd=CONTRACTS,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )

    return run


def test_the_real_parser_accepts_the_document(
    validate: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    result = validate(DOCUMENT)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "VALID:" in result.stdout
    assert "AsyncAPI 3.0.0" in result.stdout


def _missing_schema(document: dict[str, Any]) -> None:
    message = document["components"]["messages"]["MissionRequestedV1"]
    message["payload"]["properties"]["payload"]["$ref"] = "#/components/schemas/NoSuchPayload"


def _invalid_type(document: dict[str, Any]) -> None:
    payload = document["components"]["schemas"]["MissionRequestedV1Payload"]
    payload["properties"]["title"]["type"] = "text"


def _message_of_another_channel(document: dict[str, Any]) -> None:
    operation = document["operations"]["publishCheckpoints"]
    operation["messages"] = [{"$ref": "#/channels/events/messages/MissionRequestedV1"}]


#: Each breakage and a fragment of the error the parser must report for it.
BREAKAGES: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "missing-schema": (_missing_schema, "NoSuchPayload"),
    "invalid-schema-type": (_invalid_type, "MissionRequestedV1Payload.properties.title.type"),
    "message-of-another-channel": (
        _message_of_another_channel,
        "operations.publishCheckpoints.messages",
    ),
}


@pytest.fixture(scope="module")
def broken_copies(
    validate: Callable[..., subprocess.CompletedProcess[str]],
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess[str], dict[str, list[str]]]:
    """The validator's run over one broken copy per breakage, and its output per copy."""
    folder = tmp_path_factory.mktemp("broken")
    files = []
    for name, (breakage, _) in BREAKAGES.items():
        document = asyncapi.build()
        breakage(document)
        files.append(folder / f"{name}.yaml")
        files[-1].write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    result = validate(*files)
    sections: dict[str, list[str]] = {}
    for line in result.stdout.splitlines():
        if line.startswith("== "):
            current = Path(line[3:]).stem
            sections[current] = []
        elif sections:
            sections[current].append(line)
    return result, sections


@pytest.mark.parametrize("breakage", list(BREAKAGES))
def test_the_real_parser_refuses_a_broken_copy(
    broken_copies: tuple[subprocess.CompletedProcess[str], dict[str, list[str]]],
    breakage: str,
) -> None:
    result, sections = broken_copies
    output = sections[breakage]
    expected = BREAKAGES[breakage][1]

    assert result.returncode == 1, result.stdout + result.stderr
    assert output[-1].startswith("INVALID: "), output
    errors = [line for line in output if line.startswith("error ")]
    assert any(expected in line for line in errors), output
