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
