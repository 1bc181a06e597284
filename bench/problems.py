"""The strategy benchmark's problems: multi-fidelity objectives, their optima and sprint plans.

Every problem is an objective in sprintopt's contract, ``objective(config, fidelity, reporter)``,
plus the three-sprint spec the pipeline runs (shaped like ``examples/branin.toml``: a GP scout at
low fidelity, a GP warm-up, TPE + Hyperband at full fidelity until the budget is spent). At full
fidelity every synthetic objective is its noise-free textbook function, so the value a method
measured there is the true one and the known optimum gives the regret.
"""

from __future__ import annotations

import math
import sys
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

import numpy as np

from bench.metering import SilentReporter
from engine.objective import Fidelity, Objective, Reporter
from engine.spec import Spec, spec_from_dict

REPO = Path(__file__).resolve().parent.parent
LowFidelity = Literal["informative", "biased", "poor", "inverse", "real"]
# The last sprint runs until the benchmark's budget is spent; this only has to be large enough.
OPEN_ENDED = 100_000


@dataclass(frozen=True)
class Problem:
    """One benchmark problem: the spec the pipeline runs, the objective and what is known."""

    name: str
    spec_data: Mapping[str, Any]
    objective: Objective
    low_fidelity: LowFidelity
    description: str
    optimum: float | None = None  # None: the best full-fidelity value any method measured
    optima: tuple[Mapping[str, float], ...] = field(default=())  # the minimisers, if known
    # Too slow to measure how 200 random configurations rank at two fidelities (the gate's truth)
    costly: bool = False

    def spec(self, seed: int) -> Spec:
        data = {**self.spec_data, "session": {**self.spec_data["session"], "seed": seed}}
        return spec_from_dict(data, source=f"bench problem {self.name}")

    @property
    def maximize(self) -> bool:
        return self.spec_data["session"]["direction"] == "maximize"

    def full_fidelity(self) -> Fidelity:
        """The fidelity every full-fidelity method runs at: the spec's max, all the data."""
        f = self.spec_data["fidelity"]
        return Fidelity(f.get("resource", "epochs"), float(f["max"]), extra=f.get("extra", {}))

    def ranks_alike(self, configs: Sequence[Mapping[str, Any]]) -> float | None:
        """Spearman between the values of ``configs`` at the scout's fidelity and at the
        warm-up's, the pair of fidelities the gate compares after the warm-up: the truth
        the gate's verdict is scored against. None for a costly problem (the MLP on digits)."""
        if self.costly:
            return None
        from scipy.stats import spearmanr

        from engine.sprint import planned_sprint

        spec = self.spec(0)
        low, high = (planned_sprint(spec, i).fidelity for i in (0, 1))
        pairs = [
            (self.objective(dict(c), low, SilentReporter()),
             self.objective(dict(c), high, SilentReporter()))
            for c in configs
        ]  # fmt: skip
        return float(spearmanr([a for a, _ in pairs], [b for _, b in pairs]).statistic)

    def true_value(self, config: Mapping[str, Any]) -> float:
        """The configuration's value at full fidelity (deterministic for every problem here)."""
        return float(self.objective(dict(config), self.full_fidelity(), SilentReporter()))


# -- test functions ---------------------------------------------------------------------
_H3_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
_H3_A = np.array([[3.0, 10, 30], [0.1, 10, 35], [3.0, 10, 30], [0.1, 10, 35]])
_H3_P = 1e-4 * np.array(
    [[3689, 1170, 2673], [4699, 4387, 7470], [1091, 8732, 5547], [381, 5743, 8828]]
)
HARTMANN3_MIN = -3.86278
HARTMANN3_ARGMIN = (0.114614, 0.555649, 0.852547)
STYBLINSKI_TANG_ARGMIN = -2.903534
ST_DIMS = 4
STYBLINSKI_TANG_MIN = -39.16617 * ST_DIMS


def hartmann3(x: np.ndarray) -> float:
    inner = np.sum(_H3_A * (x[None, :] - _H3_P) ** 2, axis=1)
    return float(-np.sum(_H3_ALPHA * np.exp(-inner)))


def styblinski_tang(x: np.ndarray) -> float:
    return float(0.5 * np.sum(x**4 - 16 * x**2 + 5 * x))


# A decoy: a bowl whose floor sits far from Hartmann-3's optimum, as deep as Hartmann-3's range.
_DECOY = np.array([0.85, 0.15, 0.2])


def _decoy(x: np.ndarray) -> float:
    return float(4.0 * np.sum((x - _DECOY) ** 2) / 3 - 3.5)


def _noise(config: Mapping[str, Any], epoch: int) -> float:
    # Deterministic per configuration and epoch, so a re-evaluation reproduces its value.
    key = zlib.crc32(repr((sorted((k, repr(v)) for k, v in config.items()), epoch)).encode())
    return float(np.random.default_rng(key).normal())


def blended(
    full: Callable[[np.ndarray], float],
    early: Callable[[np.ndarray], float],
    names: tuple[str, ...],
    power: float,
    noise: float,
    max_epochs: float,
) -> Objective:
    """Epoch e reports ``(1 - w) * full + w * early + noise * (1 - train_fraction) * N(0, 1)``,
    with ``w = (1 - e / max_epochs) ** power``: the early landscape fades into the true one."""

    def objective(config: dict[str, Any], fidelity: Fidelity, reporter: Reporter) -> float:
        x = np.array([float(config[n]) for n in names])
        f, g = full(x), early(x)
        value = math.inf
        for epoch in range(1, fidelity.steps + 1):
            w = max(0.0, 1 - epoch / max_epochs) ** power
            value = (1 - w) * f + w * g
            value += noise * (1 - fidelity.train_fraction) * _noise(config, epoch)
            reporter.report(value, epoch)
        return value

    return objective


_H3_NAMES = ("x1", "x2", "x3")
_ST_NAMES = tuple(f"x{i}" for i in range(1, ST_DIMS + 1))
# Low fidelity ranks poorly: a decoy bowl plus noise as large as Hartmann-3's whole range.
hartmann3_decoy = blended(hartmann3, _decoy, _H3_NAMES, power=1.0, noise=3.0, max_epochs=9)
# Low fidelity ranks inversely: early epochs favour what ends worst (a learning-rate trap);
# the reflection fades by epoch 3 of 9 ((1 - 3/9)^2 < 1/2).
styblinski_tang_inverse = blended(
    styblinski_tang, lambda x: -styblinski_tang(x), _ST_NAMES, power=2.0, noise=40.0, max_epochs=9
)


# -- specs ------------------------------------------------------------------------------
def _example(name: str) -> dict[str, Any]:
    """An example's spec, run as the benchmark needs: no sleeping, the last sprint open-ended."""
    data = tomllib.loads((REPO / "examples" / f"{name}.toml").read_text(encoding="utf-8"))
    fidelity = data["fidelity"]
    extra = {k: v for k, v in fidelity.get("extra", {}).items() if k != "epoch_seconds"}
    data["fidelity"] = {**fidelity, "extra": extra}
    data["sprints"][-1] = {**data["sprints"][-1], "trials": OPEN_ENDED}
    return data


def _like_branin(name: str, objective: str, names: tuple[str, ...], low: float, high: float):
    """A spec with examples/branin.toml's sprints and advisor settings over a box space."""
    data = _example("branin")
    data["session"] = {**data["session"], "name": name, "objective": objective}
    data["space"] = {n: {"type": "float", "low": low, "high": high} for n in names}
    return data


def _branin() -> Objective:
    from examples.synthetic import branin_objective

    return branin_objective


def _hartmann6() -> Objective:
    from examples.synthetic import hartmann6_objective

    return hartmann6_objective


def _digits() -> Objective:
    from examples.digits_mlp import objective

    return objective


def problems() -> dict[str, Problem]:
    from bench.literature import literature_problems
    from examples.synthetic import BRANIN_MIN, HARTMANN6_MIN

    branin_optima = ({"x1": -math.pi, "x2": 12.275}, {"x1": math.pi, "x2": 2.275},
                     {"x1": 9.42478, "x2": 2.475})  # fmt: skip
    h6 = (0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573)
    found = [
        Problem(
            "branin",
            _example("branin"),
            _branin(),
            "informative",
            "Branin (2-d); low fidelity shifted, ranks well (examples/branin.toml)",
            BRANIN_MIN,
            branin_optima,
        ),
        Problem(
            "hartmann6",
            _example("hartmann6"),
            _hartmann6(),
            "biased",
            "Hartmann-6 (6-d); low fidelity biased and noisy (examples/hartmann6.toml)",
            HARTMANN6_MIN,
            ({f"x{i + 1}": v for i, v in enumerate(h6)},),
        ),
        Problem(
            "hartmann3-decoy",
            _like_branin("h3decoy", "bench.problems:hartmann3_decoy", _H3_NAMES, 0.0, 1.0),
            hartmann3_decoy,
            "poor",
            "Hartmann-3 (3-d); early epochs follow a decoy bowl far from the optimum, plus noise",
            HARTMANN3_MIN,
            (dict(zip(_H3_NAMES, HARTMANN3_ARGMIN, strict=True)),),
        ),
        Problem(
            "styblinski-tang-inverse",
            _like_branin("stinv", "bench.problems:styblinski_tang_inverse", _ST_NAMES, -5, 5),
            styblinski_tang_inverse,
            "inverse",
            "Styblinski-Tang (4-d); epoch 1 ranks configurations inversely, epoch 3 the right way",
            STYBLINSKI_TANG_MIN,
            ({n: STYBLINSKI_TANG_ARGMIN for n in _ST_NAMES},),
        ),
        Problem(
            "digits",
            _example("digits"),
            _digits(),
            "real",
            "scikit-learn MLP on digits (4 params, mixed types); maximise validation accuracy",
            costly=True,
        ),
        *literature_problems(),
    ]
    return {p.name: p for p in found}
