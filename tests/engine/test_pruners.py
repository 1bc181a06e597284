"""Pruner settings: Hyperband's rungs follow min resource and reduction factor; median; none."""

from __future__ import annotations

import numpy as np
import optuna
import pytest
from optuna.trial import TrialState

from engine.pruners import make_pruner

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
    assert all(s is not None for s in pruned_at[len(GOOD) :])  # every clearly bad trial stopped
    assert any(s is None for s in pruned_at)  # and good ones run to the end


def test_hyperband_with_min_resource_above_max_still_works() -> None:
    pruned_at = run(make_pruner("hyperband", 3, min_resource=5), GOOD[:4] + BAD[:2], 3)
    assert {s for s in pruned_at if s is not None} <= {3}
    assert pruned_at[-1] == 3


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
