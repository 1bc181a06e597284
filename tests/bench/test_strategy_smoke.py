"""The strategy benchmark's pipeline driver on Branin, one seed: it spends what it says and
its recommendation gets better with the budget."""

from __future__ import annotations

import math

import pytest

from bench.pipelines import Run, one_blas_thread, run_method
from bench.problems import Problem, problems
from bench.regret import at_budget, normalized_regret

BUDGET = 8.0


@pytest.fixture(scope="module")
def branin() -> Problem:
    return problems()["branin"]


@pytest.fixture(scope="module")
def run(branin: Problem) -> Run:
    with one_blas_thread():
        return run_method(branin, "sprints", seed=0, budget=BUDGET, acq="sampling")


def test_budget_is_charged_per_epoch_and_train_fraction(run: Run) -> None:
    # branin.toml: scout 20 trials at 1 of 9 epochs on 1/4 of the data, warm-up 12 at 3 on 1/2.
    n = run.notes["sprints"][1]["trials"]
    scout, warmup, full = (
        run.evaluations[:20],
        run.evaluations[20 : 20 + n],
        run.evaluations[20 + n :],
    )
    assert all(math.isclose(e.cost, 1 / 9 * 0.25) for e in scout)
    assert all(math.isclose(e.cost, 3 / 9 * 0.5) for e in warmup)
    # The full sprint's sampler is "auto": a GP over two parameters, unpruned: all 9 epochs.
    assert full and all(math.isclose(e.cost, 1.0) for e in full)
    assert all(e.full == math.isclose(e.cost, 1.0) for e in run.evaluations)
    total = 0.0
    for e in run.evaluations:
        total += e.cost
        assert math.isclose(e.spent, total)
    # No trial starts once the budget is spent; the one in flight may overrun it.
    assert all(e.spent < BUDGET for e in run.evaluations[:-1])
    assert run.evaluations[-1].spent - run.evaluations[-1].cost < BUDGET


def test_the_pipeline_runs_three_sprints_with_the_advisor_between(run: Run) -> None:
    sprints = run.notes["sprints"]
    assert [s["sprint"] for s in sprints] == ["scout", "warmup", "full"]
    assert [s["trials"] for s in sprints[:2]] == [20, 12]
    assert sprints[1]["gate"]["pairs"] >= 4  # carry-over and probes were re-evaluated
    assert [s["sampler"] for s in sprints] == ["gp", "gp", "gp"]  # the last one by "auto"
    assert all(s["holds_optimum"] for s in sprints)


def test_regret_falls_with_the_budget(run: Run, branin: Problem) -> None:
    reference = 30.0  # about Branin's median over its box
    levels = [0.5, 2.6, BUDGET]
    regret = [
        normalized_regret(at_budget(run.trajectory, b), branin.optimum, reference, False)
        for b in levels
    ]
    assert regret == sorted(regret, reverse=True)
    assert regret[-1] < regret[0]
    assert regret[-1] < 0.05
    # Values are only read at budgets already spent.
    assert math.isnan(at_budget(run.trajectory, run.evaluations[0].spent / 2))


def test_head_to_head_counts_problems_by_interquartile_ranges() -> None:
    import numpy as np

    from bench.report import head_to_head

    low = np.array([[0.1], [0.2], [0.3]])  # [seed, budget level]
    reg = {
        ("a", "sprints"): low,
        ("a", "gp_minimize"): low + 1.0,  # disjoint, sprints lower: better
        ("b", "sprints"): low,
        ("b", "gp_minimize"): low + 0.05,  # overlapping: level
        ("c", "sprints"): low + 1.0,
        ("c", "gp_minimize"): low,  # disjoint, sprints higher: worse
    }
    text = head_to_head(reg, ["a", "b", "c"], [50], peers=("gp_minimize",))
    assert text.splitlines()[-1] == "| gp_minimize | better 1, level 1, worse 1 (c) |"
