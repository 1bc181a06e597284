"""scikit-optimize's GP minimisation behind Optuna's sampler interface (the one skopt wrapper)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from optuna.distributions import BaseDistribution
from optuna.samplers import BaseSampler, RandomSampler
from optuna.study import Study, StudyDirection
from optuna.trial import FrozenTrial, TrialState

from engine.samplers import DEFAULT_STARTUP
from engine.space import CategoricalParam, FloatParam, IntParam, Param, Space

AcqOptimizer = Literal["auto", "lbfgs", "sampling"]


class GPSampler(BaseSampler):
    """Rebuilds an ``skopt.Optimizer`` from the study's finished trials at every ask.

    Stateless between calls, so any number of worker processes can share one study: finished
    trials are told with their values, running trials with a pessimistic "liar" value so that
    parallel workers do not all ask for the same point, and trials outside the space or with a
    non-finite value are never shown to the model.
    """

    def __init__(
        self,
        space: Space,
        seed: int = 0,
        n_initial_points: int | None = None,
        acq_optimizer: AcqOptimizer = "auto",
    ) -> None:
        self._space = space
        self._seed = seed
        self._n_initial = DEFAULT_STARTUP if n_initial_points is None else max(1, n_initial_points)
        # skopt's "auto" refines the best random candidates with L-BFGS; "sampling" only scores
        # the candidates: coarser, and asks cost about a third less (the GP fit is the rest).
        self._acq_optimizer = acq_optimizer
        self._fallback = RandomSampler(seed=seed)

    def reseed_rng(self) -> None:
        self._fallback.reseed_rng()

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return self._space.to_optuna()

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        if not search_space:
            return {}
        params = self._space.params
        done: list[tuple[list[Any], float]] = []
        pending: list[list[Any]] = []
        sign = -1.0 if study.direction == StudyDirection.MAXIMIZE else 1.0
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.RUNNING)):
            if t.number == trial.number or not self._space.contains(t.params):
                continue
            point = [_encode(p, t.params[p.name]) for p in params]
            if t.state == TrialState.COMPLETE:
                if t.value is not None and math.isfinite(t.value):
                    done.append((point, sign * t.value))
            else:
                pending.append(point)
        from threadpoolctl import threadpool_limits

        optimizer = self._optimizer(len(done) + len(pending))
        xs = [x for x, _ in done] + pending
        # One BLAS thread: the GP's matrices are a few hundred rows at most, where more threads
        # only spin against each other, the other workers and the objective (half the time of
        # an ask at 50 trials on 2 busy cores; bench/engine_overhead.py).
        with threadpool_limits(1, user_api="blas"), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # skopt warns on duplicate points; harmless
            if xs:
                ys = [y for _, y in done]
                liar = max(ys) if ys else 0.0  # the worst seen: keeps others off pending points
                optimizer.tell(xs, ys + [liar] * len(pending))
            point = optimizer.ask()
        return {p.name: _decode(p, v) for p, v in zip(params, point, strict=True)}

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        return self._fallback.sample_independent(study, trial, param_name, param_distribution)

    def _optimizer(self, n_told: int) -> Any:
        from skopt import Optimizer

        # The seed folds in the history length: reproducible for a given history, yet a new
        # random draw at every ask (skopt would otherwise repeat its initial points).
        rng = np.random.RandomState((self._seed * 1_000_003 + n_told) % (2**32))
        return Optimizer(
            [_dimension(p) for p in self._space.params],
            base_estimator="GP",
            n_initial_points=self._n_initial,
            initial_point_generator="random",
            acq_func="gp_hedge",
            acq_optimizer=self._acq_optimizer,
            random_state=rng,
        )

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        self._fallback.after_trial(study, trial, state, values)


def _dimension(p: Param) -> Any:
    from skopt.space import Categorical, Integer, Real

    if isinstance(p, CategoricalParam):
        # Index-coded: skopt's own categorical transform chokes on mixed or boolean choices.
        return (
            Categorical(list(range(len(p.choices))), name=p.name)
            if len(p.choices) > 1
            else (Integer(0, 1, name=p.name))
        )
    if p.step is not None and not (isinstance(p, IntParam) and p.step == 1):
        return Integer(0, _n_steps(p), name=p.name)
    if isinstance(p, IntParam):
        return Integer(p.low, p.high, prior="log-uniform" if p.log else "uniform", name=p.name)
    return Real(p.low, p.high, prior="log-uniform" if p.log else "uniform", name=p.name)


def _n_steps(p: FloatParam | IntParam) -> int:
    assert p.step is not None
    return int(math.floor((p.high - p.low) / p.step + 1e-9))


def _encode(p: Param, value: Any) -> Any:
    if isinstance(p, CategoricalParam):
        return next(i for i, c in enumerate(p.choices) if type(c) is type(value) and c == value)
    if p.step is not None and not (isinstance(p, IntParam) and p.step == 1):
        return int(round((value - p.low) / p.step))
    return int(value) if isinstance(p, IntParam) else float(min(max(value, p.low), p.high))


def _decode(p: Param, value: Any) -> Any:
    if isinstance(p, CategoricalParam):
        return p.choices[min(int(value), len(p.choices) - 1)]
    if isinstance(p, IntParam):
        if p.step != 1:
            return int(p.low + int(value) * p.step)
        return int(value)
    if p.step is not None:
        return float(min(p.low + int(value) * p.step, p.high))
    return float(value)


__all__ = ["GPSampler"]
