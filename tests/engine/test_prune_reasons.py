"""Why a trial was pruned, as numbers, on hand-built trials: rung, cut-off, how many went on."""

from __future__ import annotations

from datetime import datetime, timedelta

from optuna.distributions import FloatDistribution
from optuna.trial import FrozenTrial, TrialState, create_trial

from engine.objective import Fidelity
from engine.read.prunes import PruneReason, bracket_of, explain_prunes, prune_reasons
from engine.space import FloatParam, Space
from engine.sprint import SprintPlan

T0 = datetime(2026, 1, 1, 12, 0, 0)
STUDY = "s:1:scout"


def _plan(pruner: str) -> SprintPlan:
    # 2 epochs, reduction 3, rungs from 1: one Hyperband bracket, so every trial shares it.
    space = Space((FloatParam("x", 0.0, 1.0),), ())
    return SprintPlan("scout", space, Fidelity(amount=2), "tpe", pruner, 10)  # type: ignore[arg-type]


def _trial(
    number: int,
    finished: int,
    curve: dict[int, float],
    state: TrialState = TrialState.COMPLETE,
    rungs: tuple[float, ...] = (),
) -> FrozenTrial:
    t = create_trial(
        state=state,
        value=list(curve.values())[-1] if state == TrialState.COMPLETE else None,
        params={"x": 0.5},
        distributions={"x": FloatDistribution(0.0, 1.0)},
        intermediate_values=curve,
        system_attrs={f"completed_rung_{i}": v for i, v in enumerate(rungs)},
    )
    t.number = number
    t.datetime_start = T0
    t.datetime_complete = T0 + timedelta(seconds=finished)
    return t


def _hyperband_sprint(mine: float = 0.5) -> list[FrozenTrial]:
    """Five trials finished at rung 0 before trial 5 was pruned there; trial 6 finished after."""
    trials = [_trial(n, n, {1: v}, rungs=(v,)) for n, v in enumerate((0.1, 0.2, 0.3, 0.4, 0.6))]
    trials.append(_trial(5, 10, {1: mine}, TrialState.PRUNED, rungs=(mine,)))
    trials.append(_trial(6, 20, {1: 0.05}, rungs=(0.05,)))  # later: it never competed with 5
    return trials


def test_a_hyperband_prune_gives_its_rung_cutoff_and_how_many_went_on() -> None:
    plan = _plan("hyperband")
    assert bracket_of(STUDY, 5, plan) == 0
    why = prune_reasons(_hyperband_sprint(), plan, STUDY, False, {5})
    # Six values competed at rung 0 (five before it and its own); 6 // 3 = 2 went on: 0.1, 0.2.
    assert why == {5: PruneReason(5, "hyperband", 1, 0.5, 0, 0, 0.2, 6, 2)}
    assert why[5].text == (
        "trial 5 pruned at step 1 (rung 0, bracket 0): 0.5 vs cut-off ≈0.2 (best 2 of 6 go on)"
    )
    assert why[5].brief == "trial 5 rung 0: 0.5 vs cut-off ≈0.2, 2/6 on"
    assert explain_prunes(_hyperband_sprint(), plan, STUDY, False, {5}) == {5: why[5].text}


def test_when_maximizing_the_cutoff_is_counted_from_the_top() -> None:
    why = prune_reasons(_hyperband_sprint(0.15), _plan("hyperband"), STUDY, True, {5})[5]
    assert (why.value, why.cutoff, why.competing, why.went_on) == (0.15, 0.4, 6, 2)  # 0.6, 0.4


def test_a_median_prune_gives_its_best_against_the_median_of_those_before() -> None:
    trials = [_trial(n, n, {1: v, 2: v / 2}) for n, v in enumerate((0.2, 0.4, 0.6))]
    trials.append(_trial(3, 10, {1: 1.0, 2: 0.9}, TrialState.PRUNED))
    why = prune_reasons(trials, _plan("median"), STUDY, False, {3})[3]
    assert why == PruneReason(3, "median", 2, 0.9, cutoff=0.2, competing=3)
    assert why.text == "trial 3 pruned at step 2: best 0.9 vs median ≈0.2 of 3 trials"
    assert why.brief == "trial 3 step 2: best 0.9 vs median ≈0.2 of 3"


def test_a_prune_with_nothing_to_compare_says_what_is_known() -> None:
    plan = _plan("median")
    silent = _trial(0, 1, {}, TrialState.PRUNED)
    first = _trial(1, 2, {1: 0.7}, TrialState.PRUNED)  # no trial finished before it
    why = prune_reasons([silent, first], plan, STUDY, False, {0, 1})
    assert why[0] == PruneReason(0, "unknown", None, None)
    assert why[0].text == "trial 0 pruned before it reported a value"
    assert why[1] == PruneReason(1, "unknown", 1, 0.7)
    assert why[1].brief == "trial 1 step 1: 0.7"


def test_every_brief_fits_an_80_column_feed_line() -> None:
    # The feed's line: clock (8), kind (8), two spaces, a scrollbar and padding: 60 are left
    # (a longer one, with values like -1.235e-05, ends in "…" there).
    long = PruneReason(1234, "hyperband", 27, -0.123456, 3, 2, -0.0987654, 243, 81)
    assert len(long.brief) <= 60, long.brief
    median = PruneReason(1234, "median", 27, -0.123456, cutoff=-0.0987654, competing=243)
    assert len(median.brief) <= 60, median.brief
