"""The results as a markdown table, and ``docs/performance.md`` rewritten around them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Row:
    """One line of the table; ``met`` is None when the suite could not judge the target."""

    id: str
    subject: str
    measured: str
    baseline: str
    ratio: str
    target: str
    met: bool | None
    note: str = ""


@dataclass
class Report:
    quick: bool
    environment: dict[str, str]
    rows: list[Row] = field(default_factory=list)
    missed: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    memory: dict[str, float] = field(default_factory=dict)
    duration_s: float = 0.0


def verdict(met: bool | None) -> str:
    return {True: "met", False: "**missed**", None: "not judged"}[met]


def table(rows: list[Row]) -> str:
    lines = [
        "| id | subject | measured | baseline (same run) | ratio | target | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r.id} | {r.subject} | {r.measured} | {r.baseline} | {r.ratio} | {r.target} "
        f"| {verdict(r.met)} |"
        for r in rows
    ]
    return "\n".join(lines)


def render(report: Report) -> str:
    mode = "QUICK=1 (reduced sizes)" if report.quick else "full"
    parts = [
        "# Performance",
        "",
        "Written by `make bench` (the benchmark suite in `bench/`); do not edit by hand: "
        "the next run rewrites this page. Each figure stands beside a raw baseline measured "
        "**in the same run**: subject and baseline alternate (the first of each pair "
        "alternates too), for at least three rounds, and the medians are shown. "
        "Ratios are the median of the per-round ratios.",
        "",
        f"Latest run: {mode}, {report.duration_s / 60:.1f} minutes.",
        "",
        "## Results",
        "",
        table(report.rows),
        "",
    ]
    if report.memory:
        parts += ["## M1: resident memory (VmRSS)", "", "| process | MiB |", "|---|---|"]
        parts += [f"| {name} | {mib:.0f} |" for name, mib in report.memory.items()]
        parts.append("")
    if report.missed:
        parts += ["## Targets missed: why, and what would close them", ""]
        parts += [f"- **{key}** — {text}" for key, text in report.missed.items()]
        parts.append("")
    if report.notes:
        parts += ["## Method and limits", ""]
        parts += [f"- {note}" for note in report.notes]
        parts.append("")
    parts += ["## Environment", "", "| | |", "|---|---|"]
    parts += [f"| {k} | {v} |" for k, v in report.environment.items()]
    parts += [
        "",
        "## Running it",
        "",
        "- `make bench`: the full suite (under 15 minutes) on the real local stack "
        "(PostgreSQL and Kafka, started and stopped by `deploy/local/run-tests.sh`).",
        "- `make bench QUICK=1`: about two minutes, with smaller sizes.",
        "- Against servers already running: set `ENTENTE_TEST_POSTGRES_URL` and "
        "`ENTENTE_TEST_KAFKA_BOOTSTRAP`, then "
        "`.venv/bin/python -m bench [--quick] [--only K1,P1]`.",
        "",
    ]
    return "\n".join(parts)
