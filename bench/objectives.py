"""Objectives for the benchmarks: trivial ones, so the engine's own cost shows."""

from __future__ import annotations

import time
from typing import Any

from engine.objective import Fidelity, Reporter


def trivial(config: dict[str, Any], fidelity: Fidelity, reporter: Reporter) -> float:
    """Ten reports and a return: no work at all."""
    value = (config["x"] - 0.3) ** 2
    for step in range(1, 11):
        reporter.report(value + 1 / step, step)
    return value


def half_second(config: dict[str, Any], fidelity: Fidelity, reporter: Reporter) -> float:
    """Ten reports over 0.5 s of (sleeping) training."""
    value = (config["x"] - 0.3) ** 2
    for step in range(1, 11):
        time.sleep(0.05)
        reporter.report(value + 1 / step, step)
    return value


#: A one-sprint session on ``x`` in [0, 1] with ``objective`` (a function of this module).
ONE_SPRINT_SPEC = """
[session]
name = "{name}"
direction = "minimize"
objective = "bench.objectives:{objective}"
[space.x]
type = "float"
low = 0.0
high = 1.0
[fidelity]
max = 10
[[sprints]]
name = "only"
sampler = "random"
trials = {trials}
"""
