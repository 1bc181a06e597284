"""Pruner factory: Hyperband over the sprint's resource, median, or none.

Neither pruner stops a trial at the sprint's last step: by then it is fully trained, stopping
it saves nothing, and a "pruned" mark would take a full-fidelity value out of the charts, the
advisor's ranking and the sampler's history. (Hyperband's first rung of one bracket can sit at
the maximum step, so plain Optuna does prune fully trained trials.) The pruners subclass
Optuna's own, because Optuna samples per Hyperband bracket only for an ``isinstance`` of
``HyperbandPruner``.
"""

from __future__ import annotations

from typing import Literal

import optuna
from optuna.trial import FrozenTrial

PrunerKind = Literal["hyperband", "median", "none"]


def _at_the_end(trial: FrozenTrial, max_resource: int) -> bool:
    return trial.last_step is not None and trial.last_step >= max_resource


class SprintHyperband(optuna.pruners.HyperbandPruner):
    """Hyperband that lets a trial at the sprint's maximum step complete."""

    def __init__(self, min_resource: int, max_resource: int, reduction_factor: int) -> None:
        super().__init__(
            min_resource=min_resource, max_resource=max_resource, reduction_factor=reduction_factor
        )
        self.max_steps = max_resource

    def prune(self, study: optuna.Study, trial: FrozenTrial) -> bool:
        return not _at_the_end(trial, self.max_steps) and super().prune(study, trial)


class SprintMedian(optuna.pruners.MedianPruner):
    """The median rule, which likewise lets a trial at the sprint's maximum step complete."""

    def __init__(self, min_resource: int, max_resource: int) -> None:
        # Steps count from 1 and Optuna may prune at step == n_warmup_steps: a trial gets
        # min_resource steps before it can be stopped, as under Hyperband.
        super().__init__(n_startup_trials=5, n_warmup_steps=min_resource)
        self.max_steps = max_resource

    def prune(self, study: optuna.Study, trial: FrozenTrial) -> bool:
        return not _at_the_end(trial, self.max_steps) and super().prune(study, trial)


def make_pruner(
    kind: PrunerKind, max_resource: int, min_resource: int = 1, reduction_factor: int = 3
) -> optuna.pruners.BasePruner:
    """The sprint's pruner; steps are the resource (epochs) the objective reports at."""
    if kind == "hyperband":
        return SprintHyperband(min(min_resource, max_resource), max_resource, reduction_factor)
    if kind == "median":
        return SprintMedian(min_resource, max_resource)
    if kind == "none":
        return optuna.pruners.NopPruner()
    raise ValueError(f"unknown pruner {kind!r}")
