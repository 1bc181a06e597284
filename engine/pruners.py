"""Pruner factory: Hyperband over the sprint's resource, median, or none."""

from __future__ import annotations

from typing import Literal

import optuna

PrunerKind = Literal["hyperband", "median", "none"]


def make_pruner(
    kind: PrunerKind, max_resource: int, min_resource: int = 1, reduction_factor: int = 3
) -> optuna.pruners.BasePruner:
    """The sprint's pruner; steps are the resource (epochs) the objective reports at."""
    if kind == "hyperband":
        return optuna.pruners.HyperbandPruner(
            min_resource=min(min_resource, max_resource),
            max_resource=max_resource,
            reduction_factor=reduction_factor,
        )
    if kind == "median":
        # Steps count from 1 and Optuna may prune at step == n_warmup_steps: a trial gets
        # min_resource steps before it can be stopped, as under Hyperband.
        return optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=min_resource)
    if kind == "none":
        return optuna.pruners.NopPruner()
    raise ValueError(f"unknown pruner {kind!r}")
