"""Entente's benchmark suite: each figure beside a raw baseline measured in the same run.

Run it with ``make bench`` (or ``make bench QUICK=1``); see ``docs/performance.md``.
"""
