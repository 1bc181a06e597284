"""What a method recommends as its budget is spent, and how far that is from the optimum.

The recommendation is the best configuration at the highest fidelity measured so far: a
full-fidelity value beats any lower-fidelity one, however good (what one would deploy if the
search stopped now). Its regret is taken on its value at full fidelity.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from bench.metering import Evaluation
from bench.problems import Problem


def rank_key(e: Evaluation, maximize: bool) -> tuple[float, float]:
    """Higher is better: the fidelity measured at first, then the value."""
    return (e.cost, e.value if maximize else -e.value)


def tag(config: Mapping[str, Any]) -> str:
    return repr(sorted(config.items()))


def trajectory(
    evaluations: Iterable[Evaluation], problem: Problem, cache: dict[str, float] | None = None
) -> list[tuple[float, float]]:
    """(spent, full-fidelity value of the recommendation) each time the recommendation moves.

    ``cache`` holds full-fidelity values by configuration; a recommendation measured at a lower
    fidelity is evaluated at full fidelity once, off the budget (the regret's yardstick only).
    """
    cache = {} if cache is None else cache
    best: Evaluation | None = None
    out: list[tuple[float, float]] = []
    for e in evaluations:
        if best is not None and rank_key(e, problem.maximize) <= rank_key(best, problem.maximize):
            continue
        best = e
        if e.full:
            out.append((e.spent, e.value))
            continue
        key = tag(e.config)
        if key not in cache:
            cache[key] = problem.true_value(e.config)
        out.append((e.spent, cache[key]))
    return out


def at_budget(points: Sequence[tuple[float, float]], budget: float) -> float:
    """The recommendation's value once ``budget`` was spent (nan before the first trial)."""
    value = math.nan
    for spent, v in points:
        if spent > budget + 1e-9:
            break
        value = v
    return value


def normalized_regret(value: float, optimum: float, reference: float, maximize: bool) -> float:
    """0 at the optimum, 1 at the reference (the median random configuration's value)."""
    if math.isnan(value):
        return math.nan
    gap = (optimum - value) if maximize else (value - optimum)
    scale = abs(reference - optimum) or 1.0
    return max(0.0, gap / scale)


def summarize(values: Sequence[float]) -> tuple[float, float, float]:
    """(median, 25th percentile, 75th percentile), ignoring nans."""
    arr = np.array([v for v in values if not math.isnan(v)])
    if arr.size == 0:
        return math.nan, math.nan, math.nan
    q1, med, q3 = np.percentile(arr, [25, 50, 75])
    return float(med), float(q1), float(q3)
