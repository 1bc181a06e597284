"""Pruner settings: Hyperband's rungs follow min resource and reduction factor; median; none."""

from __future__ import annotations

import numpy as np
import optuna
import pytest
from optuna.trial import TrialState

from engine.optuna_internals import hyperband_bracket
from engine.pruners import PrunerKind, make_pruner

GOOD = list(np.random.default_rng(0).uniform(0.0, 1.0, 15))
BAD = [100.0] * 6


def run(pruner: optuna.pruners.BasePruner, finals: list[float], steps: int) -> list[int | None]:
    """One trial per final value, reporting at steps 1..steps; the step each was pruned at."""
    # A fixed study name: Hyperband assigns brackets by hashing it with the trial number.
    study = optuna.create_study(study_name="pruner-test", pruner=pruner)
    pruned_at: list[int | None] = []
    for final in finals:
        trial = study.ask()
        stop = None
        for step in range(1, steps + 1):
            trial.report(final + 1.0 / step, step)  # learning curves that fall towards `final`
            if trial.should_prune():
                stop = step
                break
        if stop:
            study.tell(trial, state=TrialState.PRUNED)
        else:
            study.tell(trial, final)
        pruned_at.append(stop)
    return pruned_at


@pytest.mark.parametrize(
    ("min_resource", "reduction_factor", "max_resource"), [(1, 3, 9), (2, 2, 16), (3, 3, 27)]
)
def test_hyperband_prunes_bad_trials_at_its_rungs(
    min_resource: int, reduction_factor: int, max_resource: int
) -> None:
    pruner = make_pruner("hyperband", max_resource, min_resource, reduction_factor)
    pruned_at = run(pruner, GOOD + BAD, max_resource)
    rungs = {min_resource * reduction_factor**k for k in range(8)}
    stops = {s for s in pruned_at if s is not None}
    assert stops <= rungs, stops  # decisions only at min_resource * reduction_factor^k
    assert min(stops) == min_resource  # the first rung is at min_resource, never before
    assert max(stops) <= max_resource
    for number in range(len(GOOD), len(pruned_at)):  # every clearly bad trial stopped...
        bracket = hyperband_bracket(
            "pruner-test", number, min_resource, max_resource, reduction_factor
        )
        if min_resource * reduction_factor**bracket < max_resource:  # ...where it could be
            assert pruned_at[number] is not None, number
    assert any(s is None for s in pruned_at)  # and good ones run to the end


def test_hyperband_with_min_resource_above_max_lets_every_trial_finish() -> None:
    # The only rung would be the last step, where a trial is already fully trained.
    pruned_at = run(make_pruner("hyperband", 3, min_resource=5), GOOD[:4] + BAD[:2], 3)
    assert pruned_at == [None] * 6


@pytest.mark.parametrize("kind", ["hyperband", "median"])
@pytest.mark.parametrize(("max_resource", "reduction_factor"), [(3, 3), (9, 3), (4, 2), (27, 3)])
def test_no_trial_is_pruned_at_the_sprints_last_step(
    kind: PrunerKind, max_resource: int, reduction_factor: int
) -> None:
    # Plain Optuna's Hyperband puts one bracket's first rung at max_resource when it is a
    # power of the reduction factor, and prunes fully trained trials there.
    plain = optuna.pruners.HyperbandPruner(1, max_resource, reduction_factor)
    finals = list(np.random.default_rng(1).uniform(0.0, 1.0, 40)) + BAD
    if kind == "hyperband":
        assert max_resource in run(plain, finals, max_resource)  # the bug this guards against
    pruned_at = run(make_pruner(kind, max_resource, 1, reduction_factor), finals, max_resource)
    assert max_resource not in pruned_at
    assert any(s is not None for s in pruned_at)  # it still prunes before the end


def test_median_waits_for_startup_trials_then_prunes_from_min_resource() -> None:
    pruner = make_pruner("median", 9, min_resource=3)
    assert run(pruner, BAD[:3], 9) == [None, None, None]  # no median yet: nothing pruned
    pruned_at = run(make_pruner("median", 9, min_resource=3), GOOD[:5] + BAD[:3], 9)
    assert pruned_at == [None] * 5 + [3, 3, 3]  # min_resource steps first, then stopped


def test_median_with_the_default_min_resource_prunes_at_the_first_step() -> None:
    pruned_at = run(make_pruner("median", 9), GOOD[:5] + BAD[:1], 9)
    assert pruned_at[-1] == 1


def test_none_never_prunes() -> None:
    assert run(make_pruner("none", 9, 3), GOOD[:5] + BAD, 9) == [None] * 11


def test_an_unknown_pruner_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown pruner 'asha'"):
        make_pruner("asha", 9)  # type: ignore[arg-type]
