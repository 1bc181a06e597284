"""The threshold meta-learner: tune decision thresholds on cached probabilities to maximise F1.

A classifier's objective trains a model, then turns probabilities into decisions with thresholds
("is this span an entity", "does this relation hold"). The thresholds are not trained; this
module picks them after training, with scikit-optimize's ``gp_minimize``, from one inference
pass whose outputs the objective caches as :class:`Candidates`. It is numpy + scikit-optimize
only (F1 itself comes from :mod:`examples.jere.metrics`), so any objective can use it whatever its
framework.

The model of a decision is deliberately general: every *candidate* prediction carries one or
more scores, each compared with one named threshold, and it is emitted when **all** its scores
reach their thresholds (a relation needs both argument spans to pass the mention threshold and
its own probability to pass the relation threshold). Whether an emitted candidate is right is
known in advance from the gold labels, so any set of thresholds is scored in numpy alone.

Thresholds are fitted on one half of the groups (documents, sentences) and the micro-F1 is
reported on the other half, so the calibrated score is not optimistic.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from examples.jere.metrics import Counts

#: The default search range for every threshold; probabilities outside it rarely make sense.
DEFAULT_BOUNDS: tuple[float, float] = (0.05, 0.95)

#: Gate index meaning "this score slot is unused" (candidates with fewer scores than others).
UNUSED = -1


@dataclass(frozen=True)
class Candidates:
    """Cached candidate predictions: their scores, which threshold each score meets, and truth.

    ``scores`` (n, k) float and ``gates`` (n, k) int: candidate i is emitted when
    ``scores[i, j] >= thresholds[gates[i, j]]`` for every j with ``gates[i, j] != UNUSED``.
    ``correct`` (n,) bool: the candidate matches a gold item (each gold item at most once).
    ``group`` (n,) int in ``[0, len(gold))``: the unit it belongs to, used to split halves.
    ``gold`` (n_groups,) int: gold items per group, including those no candidate can reach
    (they still count as false negatives).
    """

    scores: np.ndarray
    gates: np.ndarray
    correct: np.ndarray
    group: np.ndarray
    gold: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.correct)
        if self.scores.ndim != 2 or self.scores.shape != self.gates.shape:
            raise ValueError("scores and gates must be (n, k) arrays of the same shape")
        if self.scores.shape[0] != n or self.group.shape != (n,):
            raise ValueError("scores, correct and group must have one row per candidate")
        if n and (self.group.min() < 0 or self.group.max() >= len(self.gold)):
            raise ValueError("group ids must index into gold")
        hits = np.bincount(self.group[self.correct], minlength=len(self.gold))
        if np.any(hits > self.gold):
            raise ValueError("more correct candidates than gold items in some group")

    @classmethod
    def build(
        cls,
        scores: Any,
        gates: Any,
        correct: Any,
        group: Any,
        gold: Any,
    ) -> Candidates:
        """Make candidates from array-likes, coercing dtypes and shapes."""
        s = np.asarray(scores, dtype=np.float64)
        g = np.asarray(gates, dtype=np.int64)
        if s.ndim == 1:
            s, g = s[:, None], g.reshape(-1, 1)
        return cls(
            scores=s.reshape(len(s), -1),
            gates=g.reshape(len(g), -1),
            correct=np.asarray(correct, dtype=bool).reshape(-1),
            group=np.asarray(group, dtype=np.int64).reshape(-1),
            gold=np.asarray(gold, dtype=np.int64).reshape(-1),
        )

    @classmethod
    def binary(
        cls,
        probs: Any,
        labels: Any,
        groups: Any | None = None,
        per_label: bool = False,
    ) -> Candidates:
        """Candidates of a plain binary or multi-label classifier.

        ``probs`` and ``labels`` are (n,) or (n, L). With ``per_label`` each label column gets
        its own threshold (index = column), otherwise all share threshold 0. ``groups`` (n,)
        assigns rows to units for the halves; by default each row is its own unit.
        """
        p = np.asarray(probs, dtype=np.float64)
        y = np.asarray(labels, dtype=bool)
        if p.ndim == 1:
            p, y = p[:, None], y[:, None]
        if p.shape != y.shape:
            raise ValueError("probs and labels must have the same shape")
        n, n_labels = p.shape
        rows = np.arange(n) if groups is None else np.asarray(groups, dtype=np.int64)
        columns = np.tile(np.arange(n_labels), n) if per_label else np.zeros(n * n_labels, int)
        n_groups = int(rows.max()) + 1 if n else 0
        return cls.build(
            scores=p.reshape(-1),
            gates=columns,
            correct=y.reshape(-1),
            group=np.repeat(rows, n_labels),
            gold=np.bincount(rows, weights=y.sum(axis=1), minlength=n_groups).astype(int),
        )

    @property
    def n_groups(self) -> int:
        return len(self.gold)

    def in_groups(self, groups: np.ndarray) -> Candidates:
        """The candidates of the given groups only; gold counts of the others become zero."""
        keep = np.zeros(self.n_groups, dtype=bool)
        keep[np.asarray(groups, dtype=np.int64)] = True
        rows = keep[self.group]
        return Candidates(
            scores=self.scores[rows],
            gates=self.gates[rows],
            correct=self.correct[rows],
            group=self.group[rows],
            gold=np.where(keep, self.gold, 0),
        )

    def reachable(self, low: float) -> Candidates:
        """Drop candidates that no threshold >= ``low`` can emit; F1 is unchanged above ``low``."""
        used = self.gates != UNUSED
        rows = np.all((self.scores >= low) | ~used, axis=1)
        return Candidates(
            self.scores[rows], self.gates[rows], self.correct[rows], self.group[rows], self.gold
        )


def counts_at(candidates: Candidates, thresholds: Sequence[float]) -> Counts:
    """Score the candidates at the given thresholds (indexed as the gates are)."""
    # The appended -inf makes UNUSED (-1) gates pass whatever the score.
    table = np.append(np.asarray(thresholds, dtype=np.float64), -np.inf)
    emitted = np.all(candidates.scores >= table[candidates.gates], axis=1)
    tp = int(np.count_nonzero(emitted & candidates.correct))
    fp = int(np.count_nonzero(emitted)) - tp
    return Counts(tp=tp, fp=fp, fn=int(candidates.gold.sum()) - tp)


def f1_at(candidates: Candidates, thresholds: Sequence[float]) -> float:
    """Micro F1 of the candidates at the given thresholds."""
    return counts_at(candidates, thresholds).f1


@dataclass(frozen=True)
class Calibration:
    """Tuned thresholds with the F1 they reach, on the fitting half and on the held-out half."""

    thresholds: dict[str, float]
    defaults: dict[str, float]
    fit_f1: float
    fit_f1_default: float
    holdout_f1: float
    holdout_f1_default: float
    fit_groups: int
    holdout_groups: int
    held_out: bool
    n_calls: int

    @property
    def gain(self) -> float:
        """What calibration adds on the held-out half over the default thresholds."""
        return self.holdout_f1 - self.holdout_f1_default

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable, for trial attributes and checkpoints."""
        return {
            "thresholds": dict(self.thresholds),
            "defaults": dict(self.defaults),
            "fit_f1": self.fit_f1,
            "fit_f1_default": self.fit_f1_default,
            "holdout_f1": self.holdout_f1,
            "holdout_f1_default": self.holdout_f1_default,
            "fit_groups": self.fit_groups,
            "holdout_groups": self.holdout_groups,
            "held_out": self.held_out,
            "n_calls": self.n_calls,
        }


def split_groups(
    n_groups: int, fit_fraction: float = 0.5, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """A seeded split of group ids into a fitting part and a held-out part.

    With fewer than two groups there is nothing to hold out: both parts are all groups.
    """
    if not 0.0 < fit_fraction < 1.0:
        raise ValueError(f"fit_fraction must be in (0, 1), got {fit_fraction}")
    order = np.random.default_rng(seed).permutation(n_groups)
    if n_groups < 2:
        return order, order
    n_fit = min(n_groups - 1, max(1, math.ceil(fit_fraction * n_groups)))
    return np.sort(order[:n_fit]), np.sort(order[n_fit:])


def calibrate(
    candidates: Candidates,
    defaults: Mapping[str, float],
    *,
    bounds: tuple[float, float] = DEFAULT_BOUNDS,
    n_calls: int = 30,
    n_initial_points: int = 10,
    fit_fraction: float = 0.5,
    seed: int = 0,
    tolerance: float = 0.01,
) -> Calibration:
    """Tune one threshold per name in ``defaults`` to maximise micro F1 with ``gp_minimize``.

    ``defaults`` maps threshold names to starting values, in gate order (gate j is the j-th
    name). The search starts at the defaults (``x0``) and explores ``bounds`` for each
    threshold; it fits on ``fit_fraction`` of the groups and reports on the rest. Among
    evaluated points within ``tolerance`` of the best fitting F1, the one nearest the defaults
    is chosen: on a few hundred items, differences below a point of F1 are noise, and chasing
    them overfits the fitting half.
    """
    names = list(defaults)
    if not names:
        raise ValueError("calibrate needs at least one threshold name")
    if candidates.gates.size and int(candidates.gates.max()) >= len(names):
        raise ValueError(
            f"gates refer to {int(candidates.gates.max()) + 1} thresholds, "
            f"but {len(names)} names were given"
        )
    low, high = bounds
    start = [min(high, max(low, float(defaults[name]))) for name in names]
    fit_ids, holdout_ids = split_groups(candidates.n_groups, fit_fraction, seed)
    fit = candidates.in_groups(fit_ids).reachable(low)
    holdout = candidates.in_groups(holdout_ids)

    best, calls = _minimise(
        lambda x: -f1_at(fit, x), start, bounds, n_calls, n_initial_points, seed, tolerance
    )
    return Calibration(
        thresholds={name: float(value) for name, value in zip(names, best, strict=True)},
        defaults={name: float(value) for name, value in zip(names, start, strict=True)},
        fit_f1=f1_at(fit, best),
        fit_f1_default=f1_at(fit, start),
        holdout_f1=f1_at(holdout, best),
        holdout_f1_default=f1_at(holdout, start),
        fit_groups=len(fit_ids),
        holdout_groups=len(holdout_ids),
        held_out=candidates.n_groups >= 2,
        n_calls=calls,
    )


def _minimise(
    loss: Any,
    start: list[float],
    bounds: tuple[float, float],
    n_calls: int,
    n_initial_points: int,
    seed: int,
    tolerance: float,
) -> tuple[list[float], int]:
    """The one place that talks to scikit-optimize (imported lazily: it is slow to import)."""
    from skopt import gp_minimize
    from skopt.space import Real
    from threadpoolctl import threadpool_limits

    dimensions = [Real(bounds[0], bounds[1], name=f"t{i}") for i in range(len(start))]
    # gp_minimize needs room for x0 and the random starts before its model takes over.
    n_initial_points = max(1, n_initial_points)
    n_calls = max(n_calls, n_initial_points + 2)
    with warnings.catch_warnings():
        # F1 is a step function, so the GP often proposes a point it has already evaluated;
        # skopt warns each time, which is noise here.
        warnings.filterwarnings("ignore", message=".*has been evaluated at point.*")
        # One BLAS thread: the GP's matrices are tiny, and extra threads only fight the
        # objective's own (on a 2-core machine under load this is 4x faster).
        with threadpool_limits(limits=1):
            result = gp_minimize(
                loss,
                dimensions,
                x0=[start],
                n_calls=n_calls,
                n_initial_points=n_initial_points,
                # Random candidates, not L-BFGS, for the acquisition: F1 is piecewise constant,
                # so gradients carry no information, and sampling is several times cheaper.
                acq_optimizer="sampling",
                random_state=seed,
            )
    # F1 has plateaus: of the points that tie for best (within ``tolerance``), take the one
    # nearest the defaults. The defaults themselves win any tie, so calibration never moves
    # thresholds for nothing, and a wide plateau does not send them to an arbitrary edge.
    values = np.asarray(result.func_vals, dtype=np.float64)
    points = np.asarray(result.x_iters, dtype=np.float64)
    good = np.flatnonzero(values <= values.min() + tolerance)
    distance = np.linalg.norm(points[good] - np.asarray(start), axis=1)
    best = points[good[int(np.argmin(distance))]]
    return [float(v) for v in best], len(values)
