"""Synthetic multi-fidelity test functions with known optima, written as sprintopt objectives.

Each objective "trains" for ``fidelity.steps`` epochs and reports a value per epoch. The value
at full fidelity is the textbook function; lower fidelities add a bias that fades as the epochs
approach the maximum, and noise that grows as the training fraction shrinks.
"""

from __future__ import annotations

import math
import time
import zlib
from typing import Any

import numpy as np

from engine.objective import Fidelity, Reporter

BRANIN_MIN = 0.397887
HARTMANN6_MIN = -3.32237

_H6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
_H6_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
_H6_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)


def branin(x1: float, x2: float) -> float:
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


def hartmann6(x: np.ndarray, alpha: np.ndarray = _H6_ALPHA) -> float:
    inner = np.sum(_H6_A * (x[None, :] - _H6_P) ** 2, axis=1)
    return float(-np.sum(alpha * np.exp(-inner)))


def _noise(config: dict[str, Any], fidelity: Fidelity, epoch: int, scale: float) -> float:
    # Deterministic per configuration and epoch, so a re-evaluation reproduces its value.
    key = zlib.crc32(repr((sorted((k, repr(v)) for k, v in config.items()), epoch)).encode())
    return float(np.random.default_rng(key).normal()) * scale * (1 - fidelity.train_fraction)


def _epochs(fidelity: Fidelity, max_epochs: float) -> tuple[int, float]:
    return fidelity.steps, float(fidelity.get("max_epochs", max_epochs))


def branin_objective(config: dict[str, Any], fidelity: Fidelity, reporter: Reporter) -> float:
    """Branin (minimise, optimum 0.397887); low fidelity is shifted but ranks well."""
    x1, x2 = float(config["x1"]), float(config["x2"])
    epochs, max_epochs = _epochs(fidelity, 9)
    sleep = float(fidelity.get("epoch_seconds", 0.0))
    value = math.inf
    for epoch in range(1, epochs + 1):
        gap = 1 - epoch / max_epochs
        value = branin(x1, x2) + gap * (8 + 0.5 * x1) + _noise(config, fidelity, epoch, 2.0)
        time.sleep(sleep)
        reporter.report(value, epoch)
    return value


def hartmann6_objective(config: dict[str, Any], fidelity: Fidelity, reporter: Reporter) -> float:
    """Hartmann-6 (minimise, optimum -3.32237); the low fidelity is biased and noisy."""
    x = np.array([float(config[f"x{i}"]) for i in range(1, 7)])
    epochs, max_epochs = _epochs(fidelity, 9)
    sleep = float(fidelity.get("epoch_seconds", 0.0))
    value = math.inf
    for epoch in range(1, epochs + 1):
        gap = 1 - epoch / max_epochs
        alpha = _H6_ALPHA + gap * 0.4 * np.array([0.5, 0.5, 2.0, -1.0])
        value = hartmann6(x, alpha) + _noise(config, fidelity, epoch, 0.2)
        time.sleep(sleep)
        reporter.report(value, epoch)
    return value
