"""Sampler factory: ``tpe``, ``gp`` (scikit-optimize behind Optuna's interface) and ``random``."""

from __future__ import annotations

from typing import Literal

import optuna

from engine.space import Space

SamplerKind = Literal["tpe", "gp", "random"]


def make_sampler(
    kind: SamplerKind,
    space: Space,
    seed: int,
    n_startup_trials: int | None = None,
    acq_optimizer: Literal["auto", "lbfgs", "sampling"] = "auto",
) -> optuna.samplers.BaseSampler:
    """Build the sampler of one sprint for one worker; ``seed`` should differ per worker.

    ``acq_optimizer`` applies to ``gp`` only: how skopt maximises the acquisition function.
    """
    if kind == "tpe":
        return optuna.samplers.TPESampler(
            seed=seed,
            n_startup_trials=10 if n_startup_trials is None else n_startup_trials,
            multivariate=True,
            constant_liar=True,  # parallel workers: running trials count as pessimistic values
        )
    if kind == "gp":
        from engine.samplers.gp import GPSampler

        return GPSampler(
            space, seed=seed, n_initial_points=n_startup_trials, acq_optimizer=acq_optimizer
        )
    if kind == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    raise ValueError(f"unknown sampler {kind!r}")
