"""Rounds, alternation and medians: the rules every benchmark of the suite follows.

A benchmark gives a subject and a baseline, each a callable that runs one
bounded measurement and returns a ``Sample`` (how many operations, how long,
and per-operation latencies when it has them). ``compare`` runs them
alternately — subject, baseline, subject, baseline… (the first of each pair
alternates too, so neither always runs on a warmer cache) — for at least
three rounds, and keeps the medians.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

MIN_ROUNDS = 3


@dataclass(frozen=True)
class Sample:
    """One measurement: ``operations`` done in ``seconds``; latencies in seconds if any."""

    operations: int
    seconds: float
    latencies: tuple[float, ...] = ()

    @property
    def rate(self) -> float:
        return self.operations / self.seconds if self.seconds > 0 else 0.0

    def percentile(self, p: float) -> float | None:
        return percentile(self.latencies, p)


def percentile(values: Sequence[float], p: float) -> float | None:
    """The ``p``-th percentile (nearest rank), or None when there is nothing to rank."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def timed(operations: Callable[[], int]) -> Sample:
    """Runs ``operations`` (which returns how many it did) and times it."""
    started = time.perf_counter()
    done = operations()
    return Sample(done, time.perf_counter() - started)


@dataclass
class Side:
    """The samples of one side (subject or baseline) and their medians."""

    samples: list[Sample] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return statistics.median(s.rate for s in self.samples) if self.samples else 0.0

    def latency(self, p: float) -> float | None:
        values = [v for s in self.samples if (v := s.percentile(p)) is not None]
        return statistics.median(values) if values else None


@dataclass
class Comparison:
    """Subject against baseline over the same rounds."""

    subject: Side = field(default_factory=Side)
    baseline: Side = field(default_factory=Side)

    @property
    def rounds(self) -> int:
        return min(len(self.subject.samples), len(self.baseline.samples))

    @property
    def ratio(self) -> float | None:
        """Median of the per-round ratios (each pair ran side by side)."""
        pairs = zip(self.subject.samples, self.baseline.samples, strict=False)
        ratios = [s.rate / b.rate for s, b in pairs if b.rate > 0]
        return statistics.median(ratios) if ratios else None

    def latency_ratio(self, p: float) -> float | None:
        subject, baseline = self.subject.latency(p), self.baseline.latency(p)
        if subject is None or not baseline:
            return None
        return subject / baseline


def compare(
    subject: Callable[[int], Sample],
    baseline: Callable[[int], Sample],
    rounds: int = MIN_ROUNDS,
    log: Callable[[str], None] = print,
    name: str = "",
) -> Comparison:
    """Alternates ``subject`` and ``baseline`` (each given the round number) ``rounds`` times."""
    rounds = max(rounds, MIN_ROUNDS)
    result = Comparison()
    for round_ in range(rounds):
        order = [("subject", subject), ("baseline", baseline)]
        if round_ % 2:
            order.reverse()
        for label, run in order:
            sample = run(round_)
            side = result.subject if label == "subject" else result.baseline
            side.samples.append(sample)
            log(
                f"  {name} round {round_ + 1}/{rounds} {label}: "
                f"{sample.operations} ops in {sample.seconds:.2f}s = {sample.rate:,.0f}/s"
            )
    return result
