"""A small scikit-learn MLP on the bundled digits, trained epoch by epoch (maximise accuracy)."""

from __future__ import annotations

import warnings
from functools import lru_cache
from typing import Any

import numpy as np

from engine.objective import Fidelity, Reporter


@lru_cache(maxsize=1)
def _data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x = x / 16.0
    xtr, xva, ytr, yva = train_test_split(x, y, test_size=0.3, random_state=0, stratify=y)
    return xtr, xva, ytr, yva


def objective(config: dict[str, Any], fidelity: Fidelity, reporter: Reporter) -> float:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    xtr, xva, ytr, yva = _data()
    # Deterministic fractions: the same slice for every trial at a fidelity.
    ntr = max(50, int(len(xtr) * fidelity.train_fraction))
    nva = max(50, int(len(xva) * fidelity.valid_fraction))
    xtr, ytr, xva, yva = xtr[:ntr], ytr[:ntr], xva[:nva], yva[:nva]
    model = MLPClassifier(
        hidden_layer_sizes=(int(config["hidden"]),),
        activation=config["activation"],
        alpha=float(config["alpha"]),
        learning_rate_init=float(config["lr"]),
        batch_size=int(config.get("batch_size", 32)),
        random_state=int(config.get("seed", 0)),
    )
    classes = np.arange(10)
    score = 0.0
    rng = np.random.default_rng(0)
    for epoch in range(1, fidelity.steps + 1):
        order = rng.permutation(len(xtr))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            for start in range(0, len(order), 256):
                idx = order[start : start + 256]
                model.partial_fit(xtr[idx], ytr[idx], classes=classes)
        score = float(model.score(xva, yva))
        reporter.report(score, epoch)
    return score
