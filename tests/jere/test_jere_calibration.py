"""The threshold meta-learner: F1 from cached candidates, the halves, and planted thresholds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from examples.jere.calibration import UNUSED, Candidates, calibrate, counts_at, f1_at, split_groups


def planted(threshold: float, n: int = 3000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Scores whose best cut is at ``threshold``: positives above it, negatives below."""
    rng = np.random.default_rng(seed)
    labels = rng.random(n) < 0.3
    probs = np.where(labels, rng.uniform(threshold, 1.0, n), rng.uniform(0.0, threshold, n))
    return probs, labels


def test_counts_follow_the_all_gates_rule() -> None:
    # Candidate 0 passes both gates, 1 fails gate 0, 2 uses only gate 1; one gold is unreachable.
    candidates = Candidates.build(
        scores=[[0.9, 0.8], [0.3, 0.9], [0.0, 0.7]],
        gates=[[0, 1], [0, 1], [UNUSED, 1]],
        correct=[True, True, False],
        group=[0, 0, 1],
        gold=[2, 1],
    )
    counts = counts_at(candidates, [0.5, 0.5])
    assert (counts.tp, counts.fp, counts.fn) == (1, 1, 2)
    assert counts.f1 == pytest.approx(2 * 1 / (2 * 1 + 1 + 2))
    assert f1_at(candidates, [0.2, 0.5]) == pytest.approx(2 * 2 / (2 * 2 + 1 + 1))


def test_binary_candidates_match_a_hand_count() -> None:
    probs = np.array([[0.9, 0.1], [0.6, 0.7], [0.2, 0.3]])
    labels = np.array([[1, 0], [0, 1], [1, 0]], dtype=bool)
    shared = Candidates.binary(probs, labels)
    # At 0.5: emitted (0,0) right, (1,0) wrong, (1,1) right; (2,0) missed.
    counts = counts_at(shared, [0.5])
    assert (counts.tp, counts.fp, counts.fn) == (2, 1, 1)
    per_label = Candidates.binary(probs, labels, per_label=True)
    counts = counts_at(per_label, [0.65, 0.5])
    assert (counts.tp, counts.fp, counts.fn) == (2, 0, 1)


def test_more_hits_than_gold_is_rejected() -> None:
    with pytest.raises(ValueError, match="gold"):
        Candidates.build(
            scores=[0.9, 0.8], gates=[0, 0], correct=[True, True], group=[0, 0], gold=[1]
        )


def test_split_is_seeded_disjoint_and_complete() -> None:
    fit, holdout = split_groups(11, 0.5, seed=3)
    again = split_groups(11, 0.5, seed=3)
    assert np.array_equal(fit, again[0]) and np.array_equal(holdout, again[1])
    assert len(fit) == 6 and len(holdout) == 5
    assert sorted(np.concatenate([fit, holdout]).tolist()) == list(range(11))
    one_fit, one_holdout = split_groups(1)
    assert one_fit.tolist() == one_holdout.tolist() == [0]


def test_recovers_a_planted_threshold() -> None:
    probs, labels = planted(0.72)
    result = calibrate(Candidates.binary(probs, labels), {"t": 0.4}, n_calls=25, seed=0)
    assert result.thresholds["t"] == pytest.approx(0.72, abs=0.05)
    assert result.held_out and result.fit_groups + result.holdout_groups == len(probs)
    # Calibration helps on the half it never saw, not only on the half it fitted.
    assert result.holdout_f1 > result.holdout_f1_default + 0.05
    assert result.holdout_f1 > 0.9


def test_recovers_two_planted_thresholds_of_a_conjunction() -> None:
    # A relation is right only when its span passes 0.3 and its own score passes 0.8.
    rng = np.random.default_rng(1)
    n = 4000
    span, rel = rng.random(n), rng.random(n)
    correct = (span >= 0.3) & (rel >= 0.8)
    candidates = Candidates.build(
        scores=np.stack([span, rel], axis=1),
        gates=np.tile([0, 1], (n, 1)),
        correct=correct,
        group=np.arange(n) % 50,
        gold=np.bincount(np.arange(n)[correct] % 50, minlength=50),
    )
    result = calibrate(candidates, {"t_span": 0.5, "t_rel": 0.4}, n_calls=40, seed=0)
    assert result.thresholds["t_span"] == pytest.approx(0.3, abs=0.05)
    assert result.thresholds["t_rel"] == pytest.approx(0.8, abs=0.05)
    assert result.to_dict()["thresholds"] == result.thresholds


def test_keeps_defaults_when_nothing_is_gained() -> None:
    probs, labels = planted(0.5)
    result = calibrate(Candidates.binary(probs, labels), {"t": 0.5}, n_calls=12, seed=0)
    assert result.fit_f1 >= result.fit_f1_default
    assert result.thresholds["t"] == pytest.approx(0.5, abs=0.05)


def test_too_many_gates_for_the_names_is_an_error() -> None:
    candidates = Candidates.binary([[0.5, 0.5]], [[True, False]], per_label=True)
    with pytest.raises(ValueError, match="names"):
        calibrate(candidates, {"t": 0.5})


def test_importing_it_loads_no_deep_learning_library() -> None:
    code = (
        "import sys, examples.jere.calibration as c; "
        "bad = {'torch', 'transformers', 'skopt'} & set(sys.modules); "
        "print(sorted(bad)); sys.exit(1 if bad else 0)"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True, cwd=root
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_on_a_plateau_the_threshold_nearest_the_defaults_wins() -> None:
    # Any threshold in (0.3, 0.7] separates the classes perfectly.
    rng = np.random.default_rng(2)
    labels = rng.random(1000) < 0.4
    probs = np.where(labels, rng.uniform(0.7, 1.0, 1000), rng.uniform(0.0, 0.3, 1000))
    candidates = Candidates.binary(probs, labels)
    inside = calibrate(candidates, {"t": 0.5}, n_calls=15, seed=0)
    assert inside.thresholds["t"] == 0.5 and inside.holdout_f1 == 1.0
    below = calibrate(candidates, {"t": 0.2}, n_calls=25, seed=0)
    assert 0.3 < below.thresholds["t"] < 0.45  # on the plateau, at its near edge
    assert below.fit_f1 == 1.0 and below.holdout_f1 == 1.0
