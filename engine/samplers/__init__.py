"""Sampler factory: ``tpe``, ``gp`` (scikit-optimize behind Optuna's interface) and ``random``."""

from __future__ import annotations

from typing import Literal

import optuna

from engine.space import Space

SamplerKind = Literal["tpe", "gp", "random"]
#: What a spec's sprint may name: a kind, or ``auto`` (engine/samplers/choice.py decides).
SamplerSetting = Literal["tpe", "gp", "random", "auto"]
#: Random trials a model-based sampler starts with when the sprint does not say.
DEFAULT_STARTUP = 10


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
            n_startup_trials=DEFAULT_STARTUP if n_startup_trials is None else n_startup_trials,
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
