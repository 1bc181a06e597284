"""Evidence for a cut: how much of the space it keeps, which trials, and how stable it is."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from optuna.trial import FrozenTrial

from engine.advisor.ranges import to_axis
from engine.proposal import Volume
from engine.space import CategoricalParam, IntParam, Param, Space


def extent(p: Param) -> float:
    """A parameter's size as its sampler sees it: log width, grid points, or choices."""
    if isinstance(p, CategoricalParam):
        return float(len(p.choices))
    if isinstance(p, IntParam) and not p.log:
        return float((p.high - p.low) // p.step + 1)
    return to_axis(p, p.high) - to_axis(p, p.low)


def volume(old: Space, new: Space) -> Volume:
    """New volume over old, across the parameters searched in both, and what was frozen."""
    ratio, counted = 1.0, 0
    for p in old.params:
        if p.name in new and extent(p) > 0:
            ratio *= extent(new[p.name]) / extent(p)
            counted += 1
    frozen = sum(p.name not in new for p in old.params)
    return Volume(round(ratio, 6) if counted else None, frozen, len(old.params))


def inside(params: Mapping[str, Any], space: Space) -> bool:
    """A configuration lies in ``space`` on the parameters it has (frozen ones do not count)."""
    return all(space[n].contains(params[n]) for n in space.names if n in params)


def kept(trials: Sequence[FrozenTrial], space: Space) -> int:
    return sum(inside(t.params, space) for t in trials)


def stability(
    ranked: Sequence[FrozenTrial], k: int, space: Space, resamples: int, seed: Sequence[int]
) -> dict[str, float] | None:
    """Per parameter (and ``*`` for all at once): the share of bootstrap resamples of the
    ranked trials whose top-k stays inside the proposed range (or kept choices)."""
    n = len(ranked)
    if resamples <= 0 or n == 0 or k <= 0:
        return None
    rng = np.random.default_rng(list(seed))
    # Trials are ranked best first, so a resample's top-k are its k smallest indices.
    top = np.sort(rng.integers(0, n, size=(resamples, n)), axis=1)[:, :k]
    joint = np.ones(resamples, dtype=bool)
    shares: dict[str, float] = {}
    for p in space.params:
        if any(p.name not in t.params for t in ranked):
            continue  # searched again after being frozen: these trials cannot speak for it
        ok = np.array([p.contains(t.params[p.name]) for t in ranked])[top].all(axis=1)
        shares[p.name] = round(float(ok.mean()), 4)
        joint &= ok
    if not shares:
        return None
    shares["*"] = round(float(joint.mean()), 4)
    return shares


def clean(x: float | None) -> float | None:
    """JSON has no NaN or inf; the evidence column must stay valid JSON."""
    return None if x is None or not math.isfinite(x) else float(x)
