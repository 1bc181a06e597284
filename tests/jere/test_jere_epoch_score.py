"""Per-epoch quantities: best-threshold F1, average precision, and what the objective reports."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from sklearn.metrics import average_precision_score

from engine.objective import Fidelity
from examples.jere.calibration import Candidates, f1_at
from examples.jere.config import ConfigError
from examples.jere.epoch_score import MENTION_GRID, average_precision, best_f1, epoch_scores
from examples.jere.objective import objective

DEFAULTS = [0.5, 0.4]  # t_mention, t_rel


def relations(rows: list[tuple[float, float, float, bool]], gold: int) -> Candidates:
    """Relation candidates shaped as ``relation_candidates`` builds them: (head mention, tail
    mention, relation) scores with gates (0, 0, 1), and whether each is a gold relation."""
    return Candidates.build(
        scores=np.array([r[:3] for r in rows], dtype=float).reshape(-1, 3),
        gates=np.tile([0, 0, 1], (len(rows), 1)),
        correct=[r[3] for r in rows],
        group=[0] * len(rows),
        gold=[gold],
    )


def test_the_default_thresholds_score_0_where_a_lower_cut_finds_relations() -> None:
    # Relation scores all below the default t_rel; one gold relation no candidate reaches.
    candidates = relations(
        [(0.9, 0.9, 0.35, True), (0.9, 0.9, 0.30, False), (0.9, 0.9, 0.25, True)]
        + [(0.9, 0.9, 0.10, False)],
        gold=3,
    )
    scores = epoch_scores(candidates, DEFAULTS)
    assert scores.f1_default == 0.0
    # Cuts: 1 emitted 1 right -> 2/(1+3); 2/1 -> 2/5; 3/2 -> 4/6; 4/2 -> 4/7.
    assert scores.f1_best == pytest.approx(2 / 3)
    assert (scores.best.t_mention, scores.best.t_rel) == (0.5, 0.25)
    assert scores.value("f1_best") == scores.f1_best
    assert scores.value("f1_default") == 0.0
    # Ranked 0.35 (right), 0.30, 0.25 (right), 0.10: (1/1 + 2/3) / 3 gold.
    assert scores.average_precision == pytest.approx((1 + 2 / 3) / 3)


def test_the_sweep_lowers_the_mention_threshold_when_spans_score_low() -> None:
    # After one epoch the mention head may not reach 0.5 on the gold spans either.
    candidates = relations(
        [(0.3, 0.6, 0.7, True), (0.2, 0.2, 0.8, False), (0.6, 0.6, 0.1, False)], gold=1
    )
    assert f1_at(candidates, DEFAULTS) == 0.0
    best = best_f1(candidates, DEFAULTS[0])
    assert best.f1 == pytest.approx(1.0)
    assert 0.2 < best.t_mention <= 0.3 and best.t_rel == pytest.approx(0.7)


def test_tied_scores_are_emitted_together() -> None:
    # No threshold separates two candidates with the same score.
    candidates = relations([(0.9, 0.9, 0.3, True), (0.9, 0.9, 0.3, False)], gold=1)
    assert best_f1(candidates, 0.5).f1 == pytest.approx(2 / 3)
    assert average_precision(candidates) == pytest.approx(0.5)
    reordered = relations([(0.9, 0.9, 0.3, False), (0.9, 0.9, 0.3, True)], gold=1)
    assert epoch_scores(reordered, DEFAULTS) == epoch_scores(candidates, DEFAULTS)


def test_no_candidates_or_no_gold_score_0() -> None:
    for gold in (0, 2):
        # Built directly: Candidates.build cannot reshape zero rows.
        empty = Candidates(
            np.zeros((0, 3)),
            np.zeros((0, 3), int),
            np.zeros(0, bool),
            np.zeros(0, int),
            np.array([gold]),
        )
        scores = epoch_scores(empty, DEFAULTS)
        assert (scores.f1_default, scores.f1_best, scores.average_precision) == (0, 0, 0)
        assert scores.to_dict()["best_t_rel"] is None  # stored as JSON: no infinity
    wrong_only = epoch_scores(relations([(0.9, 0.9, 0.9, False)], gold=2), DEFAULTS)
    assert wrong_only.f1_best == wrong_only.average_precision == 0.0
    json.dumps(wrong_only.to_dict())


def random_candidates(seed: int) -> Candidates:
    rng = np.random.default_rng(seed)
    n = 300
    correct = rng.random(n) < 0.2
    # Right candidates score higher on average; rounding makes ties.
    scores = np.round(rng.uniform(0.05, 1.0, (n, 3)) ** np.where(correct, 0.5, 1.5)[:, None], 2)
    group = rng.integers(0, 10, n)
    gold = np.bincount(group[correct], minlength=10) + rng.integers(0, 2, 10)
    return Candidates.build(scores, np.tile([0, 0, 1], (n, 1)), correct, group, gold)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_sweep_is_the_best_of_all_thresholds_and_never_below_the_defaults(seed: int) -> None:
    candidates = random_candidates(seed)
    best = best_f1(candidates, DEFAULTS[0])
    brute = max(
        f1_at(candidates, [t_mention, t_rel])
        for t_mention in (*MENTION_GRID, DEFAULTS[0])
        for t_rel in np.unique(candidates.scores[:, 2])
    )
    assert best.f1 == pytest.approx(brute)
    assert f1_at(candidates, [best.t_mention, best.t_rel]) == pytest.approx(best.f1)
    assert best.f1 >= f1_at(candidates, DEFAULTS)


@pytest.mark.parametrize("seed", [0, 1])
def test_average_precision_is_scikit_learns_over_all_gold(seed: int) -> None:
    candidates = random_candidates(seed)
    lowest = candidates.scores.min(axis=1)
    reachable = int(candidates.correct.sum())
    expected = average_precision_score(candidates.correct, lowest) * reachable
    assert average_precision(candidates) == pytest.approx(expected / candidates.gold.sum())


CONFIG = {"lr": 3e-3, "batch_size": 4, "neg_entity_count": 20, "neg_relation_count": 10}


def test_the_objective_reports_the_best_threshold_f1_and_keeps_the_old_one(
    reporter_class: Any, tiny_run: dict[str, Any]
) -> None:
    reporter = reporter_class()
    run = dict(tiny_run, calibrate=False)
    value = objective(dict(CONFIG), Fidelity("epochs", 2.0, extra=run), reporter)
    history = reporter.attrs["epochs"]
    assert [v for _, v in reporter.reports] == [row["f1_best"] for row in history]
    assert all(row["f1_best"] >= row["f1_default"] for row in history)
    assert all(0.0 <= row["average_precision"] <= 1.0 for row in history)
    assert value == history[-1]["f1_best"] == history[-1]["value"]
    assert reporter.attrs["f1_uncalibrated"] == history[-1]["f1_default"]
    json.dumps(reporter.attrs)


def test_the_old_report_stays_available(reporter_class: Any, tiny_run: dict[str, Any]) -> None:
    reporter = reporter_class()
    run = dict(tiny_run, calibrate=False, epoch_metric="f1_default")
    value = objective(dict(CONFIG), Fidelity("epochs", 1.0, extra=run), reporter)
    assert reporter.reports == [(1, reporter.attrs["epochs"][0]["f1_default"])]
    assert value == reporter.attrs["epochs"][0]["f1_default"]
    with pytest.raises(ConfigError, match="epoch_metric"):
        objective(
            dict(CONFIG),
            Fidelity("epochs", 1.0, extra=dict(tiny_run, epoch_metric="f1")),
            reporter_class(),
        )
