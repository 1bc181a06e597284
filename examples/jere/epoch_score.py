"""What a trial reports after each epoch: a relation score that still ranks after one epoch.

Relation micro-F1 at the fixed default thresholds is exactly 0 for most configurations after
one epoch on a sixth of the data: their mention and relation probabilities have not yet
reached the default thresholds, although true relations may already outrank false ones. So the
per-epoch report can instead be the **best** relation micro-F1 over the thresholds, found by
an exact sweep over the cached candidates' sorted scores (``f1_best``, the default), or the
threshold-free **average precision** of the candidates (``average_precision``), or the old
F1 at the default thresholds (``f1_default``). Each is the same kind of quantity at every
epoch and fidelity, so the pruner and the advisor compare like with like.

The sweep reads :class:`~examples.jere.calibration.Candidates` as
:func:`~examples.jere.predict.relation_candidates` builds them: gate 0 is the mention
threshold (both spans), every other gate a relation threshold. The mention threshold takes
the values of a fixed grid that includes the default; all relation gates share one threshold,
swept exactly. F1 at the defaults is therefore one of the points swept (with one shared
``t_rel``), and ``f1_best >= f1_default`` always.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from examples.jere.calibration import UNUSED, Candidates, f1_at

#: Mention thresholds the sweep tries (the calibration's range, in steps of 0.05).
MENTION_GRID: tuple[float, ...] = tuple(round(0.05 * k, 2) for k in range(1, 20))


@dataclass(frozen=True)
class BestF1:
    """The best micro F1 of a sweep and the thresholds that reach it."""

    f1: float
    t_mention: float
    t_rel: float


def best_f1(
    candidates: Candidates, t_mention: float, grid: Sequence[float] = MENTION_GRID
) -> BestF1:
    """The best micro F1 over ``grid`` ∪ {``t_mention``} for gate 0 and any shared relation
    threshold (exact).

    Of equal F1s, the mention threshold nearest ``t_mention`` and the highest relation
    threshold win. With no right candidate, F1 is 0 at ``t_mention`` and an infinite relation
    threshold.
    """
    mention, rest = _split(candidates)
    order = np.argsort(-rest, kind="stable")
    rest, mention, correct = rest[order], mention[order], candidates.correct[order]
    n_gold = int(candidates.gold.sum())
    best = BestF1(0.0, float(t_mention), float("inf"))
    # Nearest the default first: of equal F1s, the one that moves the threshold least wins.
    tried = sorted({float(t_mention), *map(float, grid)}, key=lambda v: (abs(v - t_mention), v))
    for t in tried:
        passed = mention >= t
        f1, t_rel = _sweep(rest[passed], correct[passed], n_gold)
        if f1 > best.f1:
            best = BestF1(f1, t, t_rel)
    return best


def average_precision(candidates: Candidates) -> float:
    """Average precision of the candidates ranked by their lowest score, with recall over *all*
    gold relations (those no candidate reaches count as missed).

    A candidate's lowest score is the highest threshold, shared by every gate, that still emits
    it, so no threshold is fixed. It is the area under the precision-recall steps as
    scikit-learn computes it: tied scores enter together.
    """
    n_gold = int(candidates.gold.sum())
    if not n_gold or not len(candidates.correct):
        return 0.0
    used = candidates.gates != UNUSED
    lowest = np.where(used, candidates.scores, np.inf).min(axis=1)
    order = np.argsort(-lowest, kind="stable")
    ends = _tie_ends(lowest[order])
    tp = np.cumsum(candidates.correct[order])[ends]
    gained = np.diff(np.concatenate(([0], tp)))
    return float(np.sum(tp / (ends + 1) * gained) / n_gold)


@dataclass(frozen=True)
class EpochScores:
    """The per-epoch quantities of one validation pass (one of them is reported)."""

    f1_default: float
    f1_best: float
    average_precision: float
    best: BestF1

    def value(self, metric: str) -> float:
        """The quantity named by an ``EpochMetric`` (``RunSettings.epoch_metric``)."""
        return float(getattr(self, metric))

    def to_dict(self) -> dict[str, float | None]:
        """For the ``epochs`` attribute: every quantity, and the thresholds of ``f1_best``
        (None when no relation is right at any: JSON has no infinity)."""
        found = self.best.f1 > 0
        return {
            "f1_default": self.f1_default,
            "f1_best": self.f1_best,
            "average_precision": self.average_precision,
            "best_t_mention": self.best.t_mention if found else None,
            "best_t_rel": self.best.t_rel if found else None,
        }


def epoch_scores(candidates: Candidates, defaults: Sequence[float]) -> EpochScores:
    """Every per-epoch quantity; ``defaults`` are the default thresholds in gate order."""
    best = best_f1(candidates, defaults[0])
    return EpochScores(
        f1_default=f1_at(candidates, defaults),
        f1_best=best.f1,
        average_precision=average_precision(candidates),
        best=best,
    )


def _split(candidates: Candidates) -> tuple[np.ndarray, np.ndarray]:
    """Per candidate: the lowest score meeting gate 0, and the lowest meeting any other gate
    (+inf when a kind of gate is unused, so it never stops a candidate)."""
    scores, gates = candidates.scores, candidates.gates
    mention = np.where(gates == 0, scores, np.inf).min(axis=1, initial=np.inf)
    rest = np.where((gates != 0) & (gates != UNUSED), scores, np.inf).min(axis=1, initial=np.inf)
    return mention, rest


def _tie_ends(sorted_desc: np.ndarray) -> np.ndarray:
    """Indices of the last element of each run of equal values in a sorted array."""
    return np.flatnonzero(np.append(sorted_desc[1:] != sorted_desc[:-1], True))


def _sweep(scores: np.ndarray, correct: np.ndarray, n_gold: int) -> tuple[float, float]:
    """The best F1 over thresholds on ``scores`` (sorted descending) and that threshold.

    A threshold equal to a score emits every candidate at or above it, so only the ends of
    runs of tied scores are possible cuts.
    """
    if not len(scores):
        return 0.0, float("inf")
    ends = _tie_ends(scores)
    tp = np.cumsum(correct)[ends]
    f1 = 2 * tp / (ends + 1 + n_gold)
    k = int(np.argmax(f1))
    return float(f1[k]), float(scores[ends[k]])
