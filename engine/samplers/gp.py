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

# skopt's ``gp_hedge`` portfolio. A hedge learns its weights from the gains of earlier asks on
# the same ``Optimizer``; rebuilt at every ask, its weights are always equal, so it picks one of
# the three uniformly after optimising all three. Picking first and optimising one is the same
# choice at a third of the cost. A hedge whose gains a sampler keeps across its asks (as
# ``gp_minimize``'s does) and each function alone were measured too: none was better on every
# problem, and the uniform pick was the best on Hartmann-6 (docs/benchmarks.md).
HEDGE = ("EI", "LCB", "PI")
# A full kernel fit (skopt's default: two random restarts beside the start) every this many asks
# of one sampler; in between, one L-BFGS run from the last fit's hyper-parameters, which move
# little when a trial or two is added.
FULL_FIT_EVERY = 10
# L-BFGS over the acquisition starts from the best of this many random candidates. skopt's
# 10,000 made scoring them half of an ask, and 2,000 found as good points (docs/benchmarks.md);
# the sampling optimiser, whose answer is the best candidate itself, keeps skopt's 10,000.
LBFGS_CANDIDATES = 2000


class GPSampler(BaseSampler):
    """Rebuilds an ``skopt.Optimizer`` from the study's finished trials at every ask.

    The history comes from the study at every ask, so any number of worker processes can share
    one study: finished trials are told with their values, running trials with a pessimistic
    "liar" value so that parallel workers do not all ask for the same point, and trials outside
    the space or with a non-finite value are never shown to the model. The one thing a sampler
    keeps between asks is its last kernel fit, to start the next fit from (a full fit every
    :data:`FULL_FIT_EVERY` asks); a fresh sampler, in a resumed worker say, starts with a full
    fit, so its asks need not match the ones it replaces bit for bit.
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
        self._warm: _WarmStart | None = None
        self._dimensions: list[Any] | None = None
        self._estimators: _Estimators | None = None

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

        xs = [x for x, _ in done] + pending
        optimizer = self._optimizer(len(xs))
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
        if optimizer.models:
            self._warm = _WarmStart.after(optimizer.models[-1], self._warm)
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

        # The seed folds in the history length: reproducible for a given history (and this
        # sampler's earlier fits), yet a new random draw at every ask (skopt would otherwise
        # repeat its initial points).
        rng = np.random.RandomState((self._seed * 1_000_003 + n_told) % (2**32))
        if self._dimensions is None or self._estimators is None:
            self._dimensions = [_dimension(p) for p in self._space.params]
            self._estimators = _Estimators(self._dimensions)
        acq_func = HEDGE[rng.randint(len(HEDGE))]
        estimator = self._estimators(self._warm, rng.randint(2**31 - 1))
        return Optimizer(
            self._dimensions,
            base_estimator=estimator,
            n_initial_points=self._n_initial,
            initial_point_generator="random",
            acq_func=acq_func,
            acq_optimizer=self._acq_optimizer,
            acq_optimizer_kwargs=self._acq_kwargs(estimator),
            random_state=rng,
        )

    def _acq_kwargs(self, estimator: Any) -> dict[str, int] | None:
        from skopt.utils import has_gradients

        # skopt's "auto" is L-BFGS wherever the model has gradients (not a Hamming kernel).
        lbfgs = self._acq_optimizer == "lbfgs" or (
            self._acq_optimizer == "auto" and has_gradients(estimator)
        )
        return {"n_points": LBFGS_CANDIDATES} if lbfgs else None

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        self._fallback.after_trial(study, trial, state, values)


class _WarmStart:
    """The kernel of the last fit, and how many asks have started from it since a full fit."""

    def __init__(self, kernel: Any, noise: float, since_full: int) -> None:
        self.kernel = kernel
        self.noise = noise
        self.since_full = since_full

    @classmethod
    def after(cls, model: Any, before: _WarmStart | None) -> _WarmStart | None:
        kernel = getattr(model.kernel_, "k1", None)  # (constant x Matern) + white noise
        if kernel is None or model.noise_ is None:
            return None
        since = 0 if before is None else before.since_full + 1
        return cls(kernel, float(model.noise_), 0 if since >= FULL_FIT_EVERY else since)


class _Estimators:
    """skopt's own GP for a space (``cook_estimator("GP")``), built once, warm-started when due.

    A full fit runs L-BFGS over the kernel's log-marginal likelihood from its default start and
    two random ones; a warm fit runs it once from the last fit's optimum. Same model, same
    bounds; at 50 trials the full fit was about half of an ask.
    """

    def __init__(self, dimensions: list[Any]) -> None:
        from skopt.space import Space
        from skopt.utils import cook_estimator, normalize_dimensions

        self._cooked = cook_estimator("GP", space=dimensions, noise="gaussian")
        # skopt models an all-categorical space with a Hamming kernel: always fitted in full.
        self._warmable = not Space(normalize_dimensions(dimensions)).is_categorical

    def __call__(self, warm: _WarmStart | None, seed: int) -> Any:
        from sklearn.base import clone
        from skopt.learning import GaussianProcessRegressor
        from skopt.learning.gaussian_process.kernels import WhiteKernel  # skopt's: has gradient_x

        if warm is None or warm.since_full + 1 >= FULL_FIT_EVERY or not self._warmable:
            return clone(self._cooked).set_params(random_state=seed)
        white = WhiteKernel()
        low, high = white.noise_level_bounds
        white.set_params(noise_level=min(max(warm.noise, low), high))
        return GaussianProcessRegressor(
            kernel=warm.kernel + white,
            normalize_y=True,
            noise="gaussian",
            n_restarts_optimizer=0,
            random_state=seed,
        )


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
