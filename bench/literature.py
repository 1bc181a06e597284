"""Strategy-benchmark problems from the multi-fidelity literature, each low fidelity as published.

Each synthetic problem takes a published pair of functions, the true one f and its cheap
approximation g, and runs them through ``bench.problems.blended``: epoch e of 9 reports
(1 - w)·f + w·g plus noise that shrinks with the training fraction, w = 1 - e/9, so the scout
(epoch 1) sees mostly g and epoch 9 at full data is f itself. Borehole and Currin follow the
Virtual Library of Simulation Experiments (Surjanovic & Bingham, sfu.ca/~ssurjano), Park et
al.'s Hartmann-6 the mf2 collection (van Rijn & Schmitt 2020, JOSS); each cites the source
named here. The real model is a linear classifier trained by SGD, epoch by
epoch, on scikit-learn's bundled breast-cancer data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np

from bench.problems import OPEN_ENDED, Problem, _example, blended
from engine.objective import Fidelity, Reporter
from examples.synthetic import _H6_A, _H6_P, HARTMANN6_MIN, hartmann6

Bounds = Mapping[str, tuple[float, float]]

# -- Borehole ---------------------------------------------------------------------------
# Harper & Gupta (1983), "Sensitivity/uncertainty analysis of a borehole scenario comparing
# Latin hypercube sampling and deterministic sensitivity approaches", BMI/ONWI-516, Battelle;
# in the form and ranges of Morris, Mitchell & Ylvisaker (1993), Technometrics 35(3), 243-255.
# The water flow (m^3/yr) rises with rw, Tu, Hu, Tl and Kw and falls with r, Hl and L, so its
# minimum over the box is a vertex.
BOREHOLE_BOUNDS: dict[str, tuple[float, float]] = {
    "rw": (0.05, 0.15),  # radius of the borehole (m)
    "r": (100.0, 50_000.0),  # radius of influence (m)
    "Tu": (63_070.0, 115_600.0),  # transmissivity of the upper aquifer (m^2/yr)
    "Hu": (990.0, 1110.0),  # potentiometric head of the upper aquifer (m)
    "Tl": (63.1, 116.0),  # transmissivity of the lower aquifer (m^2/yr)
    "Hl": (700.0, 820.0),  # potentiometric head of the lower aquifer (m)
    "L": (1120.0, 1680.0),  # length of the borehole (m)
    "Kw": (9855.0, 12_045.0),  # hydraulic conductivity of the borehole (m/yr)
}
_BOREHOLE_NAMES = tuple(BOREHOLE_BOUNDS)
_FALLING = ("r", "Hl", "L")  # the inputs the flow falls with: their upper bound is the argmin's
BOREHOLE_ARGMIN = {n: hi if n in _FALLING else lo for n, (lo, hi) in BOREHOLE_BOUNDS.items()}
BOREHOLE_MIN = 7.819676  # at BOREHOLE_ARGMIN; tests/bench/test_literature.py checks it


def _borehole(x: np.ndarray, numerator: float, offset: float) -> float:
    rw, r, tu, hu, tl, hl, length, kw = x
    log_ratio = math.log(r / rw)
    denominator = log_ratio * (offset + 2 * length * tu / (log_ratio * rw**2 * kw) + tu / tl)
    return float(numerator * tu * (hu - hl) / denominator)


def borehole(x: np.ndarray) -> float:
    return _borehole(x, 2 * math.pi, 1.0)


def borehole_low(x: np.ndarray) -> float:
    """Xiong, Qian & Wu (2013), Technometrics 55(1), 37-46: 5 for 2π and 1.5 for 1."""
    return _borehole(x, 5.0, 1.5)


# -- Currin exponential -----------------------------------------------------------------
# Currin, Mitchell, Morris & Ylvisaker (1988), "A Bayesian approach to the design and analysis
# of computer experiments", ORNL-6498, Oak Ridge National Laboratory. Maximised over [0, 1]^2
# (as in Kandasamy et al. 2016, MF-GP-UCB): the maximum lies on the edge x2 = 0.
_CURRIN_NAMES = ("x1", "x2")
CURRIN_MAX = 13.798722
CURRIN_ARGMAX = (0.216667, 0.0)


def currin(x: np.ndarray) -> float:
    x1, x2 = float(x[0]), float(x[1])
    decay = 1.0 if x2 <= 0 else 1 - math.exp(-1 / (2 * x2))  # its limit as x2 -> 0+
    rational = (2300 * x1**3 + 1900 * x1**2 + 2092 * x1 + 60) / (
        100 * x1**3 + 500 * x1**2 + 4 * x1 + 20
    )
    return decay * rational


def currin_low(x: np.ndarray) -> float:
    """Xiong, Qian & Wu (2013): the mean of f at four points 0.05 away diagonally (x2 - 0.05
    clipped at 0), a smoothed f."""
    x1, x2 = float(x[0]), float(x[1])
    corners = [(x1 + a, max(0.0, x2 + b)) for a in (0.05, -0.05) for b in (0.05, -0.05)]
    return sum(currin(np.array(c)) for c in corners) / 4


# -- Hartmann-6 with an approximated exponential ----------------------------------------
# Park, Haftka & Kim (2017), "Remarks on multi-fidelity surrogates", Struct. Multidisc. Optim.
# 55(3), 1029-1050: Hartmann-6 rescaled, -(2.58 + sum_i alpha_i exp(-inner_i)) / 1.94 over
# [0.1, 1]^6; its low fidelity reweights the four bumps (alpha' = 0.5, 0.5, 2, 4) and replaces
# exp by (e^(-4/9) (1 + (z + 4) / 9))^9. The reweighting makes the fourth bump the deepest: the
# low fidelity's minimum (about -2.33 near (0.40, 0.88, 0.79, 0.57, 0.19, 0.10)) is 1.04 from
# the true argmin, in a basin where f is only -2.90.
_H6_NAMES = tuple(f"x{i}" for i in range(1, 7))
_H6_LOW_ALPHA = np.array([0.5, 0.5, 2.0, 4.0])
H6_PARK_MIN = (HARTMANN6_MIN - 2.58) / 1.94
H6_PARK_ARGMIN = (0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573)


def hartmann6_park(x: np.ndarray) -> float:
    return (hartmann6(x) - 2.58) / 1.94  # hartmann6 is -sum_i alpha_i exp(-inner_i)


def hartmann6_park_low(x: np.ndarray) -> float:
    inner = np.sum(_H6_A * (x[None, :] - _H6_P) ** 2, axis=1)
    approx = (math.exp(-4 / 9) * (1 + (4 - inner) / 9)) ** 9
    return float(-(2.58 + np.sum(_H6_LOW_ALPHA * approx)) / 1.94)


# Each noise scale is a fifth of f's interquartile range over random points (borehole 68,
# Currin 4.5, Hartmann-6 rescaled 0.14): the cheap fidelities rank as their published g does,
# blurred a little, and what misleads is g itself.
borehole_objective = blended(borehole, borehole_low, _BOREHOLE_NAMES, 1.0, 14.0, 9)
currin_objective = blended(currin, currin_low, _CURRIN_NAMES, 1.0, 0.9, 9)
hartmann6_park_objective = blended(hartmann6_park, hartmann6_park_low, _H6_NAMES, 1.0, 0.03, 9)


# -- SGD on breast cancer -----------------------------------------------------------------
@lru_cache(maxsize=1)
def _cancer() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    x, y = load_breast_cancer(return_X_y=True)
    # Half for validation: 285 examples, so accuracy moves in steps of 0.0035, not 0.0058.
    xtr, xva, ytr, yva = train_test_split(x, y, test_size=0.5, random_state=0, stratify=y)
    scaler = StandardScaler().fit(xtr)
    return scaler.transform(xtr), scaler.transform(xva), ytr, yva


def sgd_objective(config: dict[str, Any], fidelity: Fidelity, reporter: Reporter) -> float:
    """A linear classifier trained by SGD one epoch per ``partial_fit``; validation accuracy.

    Binary data on purpose: SGDClassifier fits one binary model per class, and each costs a
    millisecond of overhead per epoch, so ten digit classes would cost ten times as much."""
    from sklearn.linear_model import SGDClassifier

    xtr, xva, ytr, yva = _cancer()
    # Deterministic fractions: the same slice for every trial at a fidelity.
    ntr = max(50, int(len(xtr) * fidelity.train_fraction))
    nva = max(50, int(len(xva) * fidelity.valid_fraction))
    xtr, ytr, xva, yva = xtr[:ntr], ytr[:ntr], xva[:nva], yva[:nva]
    model = SGDClassifier(
        loss=config["loss"],
        penalty=config["penalty"],
        alpha=float(config["alpha"]),
        learning_rate=config["learning_rate"],
        eta0=float(config["eta0"]),
        random_state=int(config.get("seed", 0)),
    )
    classes = np.array([0, 1])
    score = 0.0
    for epoch in range(1, fidelity.steps + 1):
        # The classes on the first call only: on later ones partial_fit checks them again.
        model.partial_fit(xtr, ytr, classes=classes if epoch == 1 else None)
        # model.score, as predict: class 1 where the decision is positive. Not model.score
        # itself, whose checks of its inputs cost more than the epoch's training.
        decision = xva @ model.coef_[0] + model.intercept_[0]
        score = float(np.mean((decision > 0) == (yva == 1)))
        reporter.report(score, epoch)
    return score


def _sgd_spec() -> dict[str, Any]:
    """examples/digits.toml's sprints over the SGD space, the last sprint open-ended."""
    return {
        "session": {
            "name": "sgdcancer",
            "direction": "maximize",
            "objective": "bench.literature:sgd_objective",
            "seed": 0,
        },
        "space": {
            "loss": {"type": "categorical", "choices": ["hinge", "log_loss", "modified_huber"]},
            "penalty": {"type": "categorical", "choices": ["l2", "l1", "elasticnet"]},
            # No "adaptive": it cuts its step only inside fit's own epoch loop, so under
            # partial_fit it trains exactly as "constant" does.
            "learning_rate": {
                "type": "categorical",
                "choices": ["optimal", "invscaling", "constant"],
            },
            "alpha": {"type": "float", "low": 1e-6, "high": 1e-1, "log": True},
            "eta0": {"type": "float", "low": 1e-4, "high": 1.0, "log": True},  # unused by optimal
        },
        "fidelity": {"resource": "epochs", "max": 12},
        "sprints": [
            {
                "name": "scout",
                "sampler": "gp",
                "trials": 16,
                "fidelity": {"epochs": 1, "train_fraction": 0.34, "valid_fraction": 0.5},
            },
            {
                "name": "warmup",
                "sampler": "gp",
                "trials": 10,
                "fidelity": {"epochs": 4, "train_fraction": 0.67},
            },
            {
                "name": "full",
                "sampler": "tpe",
                "pruner": "hyperband",
                "trials": OPEN_ENDED,
                "fidelity": {"epochs": 12},
            },
        ],
    }


# -- specs and problems -------------------------------------------------------------------
def _box_spec(name: str, objective: str, bounds: Bounds, direction: str) -> dict[str, Any]:
    """examples/branin.toml's sprints and advisor settings over a box of per-parameter ranges."""
    data = _example("branin")
    session = {**data["session"], "name": name, "objective": objective, "direction": direction}
    data["session"] = session
    data["space"] = {n: {"type": "float", "low": lo, "high": hi} for n, (lo, hi) in bounds.items()}
    return data


def _unit(names: tuple[str, ...], low: float = 0.0) -> dict[str, tuple[float, float]]:
    return {n: (low, 1.0) for n in names}


def literature_problems() -> list[Problem]:
    """The problems, in the order the benchmark lists them."""
    here = "bench.literature"
    return [
        Problem(
            "borehole",
            _box_spec("borehole", f"{here}:borehole_objective", BOREHOLE_BOUNDS, "minimize"),
            borehole_objective,
            "informative",
            "Borehole (8-d; Harper & Gupta 1983, Morris et al. 1993) with the low fidelity of "
            "Xiong, Qian & Wu (2013); minimum at a vertex of the box",
            BOREHOLE_MIN,
            (BOREHOLE_ARGMIN,),
        ),
        Problem(
            "currin",
            _box_spec("currin", f"{here}:currin_objective", _unit(_CURRIN_NAMES), "maximize"),
            currin_objective,
            "informative",
            "Currin exponential (2-d; Currin et al. 1988) with the smoothed low fidelity of "
            "Xiong, Qian & Wu (2013); maximise, optimum on the edge x2 = 0",
            CURRIN_MAX,
            (dict(zip(_CURRIN_NAMES, CURRIN_ARGMAX, strict=True)),),
        ),
        Problem(
            "hartmann6-park",
            _box_spec(
                "h6park", f"{here}:hartmann6_park_objective", _unit(_H6_NAMES, 0.1), "minimize"
            ),
            hartmann6_park_objective,
            "biased",
            "Hartmann-6 (6-d) rescaled, with the low fidelity of Park, Haftka & Kim (2017): its "
            "minimum lies in another basin, 1.04 from the true one",
            H6_PARK_MIN,
            (dict(zip(_H6_NAMES, H6_PARK_ARGMIN, strict=True)),),
        ),
        Problem(
            "sgd-cancer",
            _sgd_spec(),
            sgd_objective,
            "real",
            "scikit-learn SGDClassifier on breast cancer (Street, Wolberg & Mangasarian 1993), "
            "5 params, 3 categorical, trained epoch by epoch; maximise validation accuracy",
        ),
    ]
