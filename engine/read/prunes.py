"""Why a trial was pruned: its value at the rung (or step) against the cut-off it missed.

Optuna does not store the cut-off, so it is rebuilt from what the study holds: the values other
trials reported at the same rung (Hyperband) or step (median), counting only trials that had
finished before this one was pruned. Trials still running then may also have competed, so the
cut-off is approximate and is shown with "≈".
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import datetime

from optuna.trial import FrozenTrial, TrialState

from engine.optuna_internals import hyperband_bracket, promoted, rung_values
from engine.sprint import SprintPlan

Timeline = dict[tuple[int, int], tuple[list[datetime], list[float]]]


def bracket_of(study: str, number: int, plan: SprintPlan) -> int:
    """The Hyperband bracket of a trial, as the sprint's pruner (``make_pruner``) assigns it."""
    max_r = plan.fidelity.steps
    return hyperband_bracket(
        study, number, min(plan.min_resource, max_r), max_r, plan.reduction_factor
    )


def rung_of(trial: FrozenTrial) -> int | None:
    """The last rung the trial competed at, or None if it never reached one."""
    values = rung_values(trial)
    return len(values) - 1 if values else None


def explain_prunes(
    trials: Sequence[FrozenTrial],
    plan: SprintPlan,
    study: str,
    maximize: bool,
    numbers: Collection[int],
) -> dict[int, str]:
    """One line per pruned trial in ``numbers``: step, rung, its value and the cut-off."""
    wanted = [t for t in trials if t.number in numbers]
    if not wanted:
        return {}
    if plan.pruner == "hyperband":
        timeline = _rung_timeline(trials, plan, study)
    else:
        timeline = _step_timeline(trials)
    return {t.number: _explain(t, plan, study, maximize, timeline) for t in wanted}


def _finished(trials: Sequence[FrozenTrial]) -> list[FrozenTrial]:
    ended = [(t.datetime_complete, t) for t in trials if t.datetime_complete is not None]
    return [t for _, t in sorted(ended, key=lambda pair: pair[0])]


def _rung_timeline(trials: Sequence[FrozenTrial], plan: SprintPlan, study: str) -> Timeline:
    """Per (bracket, rung): when each finished trial's rung value was final, and the value."""
    out: Timeline = defaultdict(lambda: ([], []))
    for t in _finished(trials):
        bracket = bracket_of(study, t.number, plan)
        for rung, value in enumerate(rung_values(t)):
            times, values = out[(bracket, rung)]
            times.append(t.datetime_complete)  # type: ignore[arg-type]
            values.append(value)
    return out


def _step_timeline(trials: Sequence[FrozenTrial]) -> Timeline:
    """Per (0, step): finished trials' values at that step, in the order they finished."""
    out: Timeline = defaultdict(lambda: ([], []))
    for t in _finished(trials):
        if t.state in (TrialState.COMPLETE, TrialState.PRUNED):
            for step, value in t.intermediate_values.items():
                times, values = out[(0, step)]
                times.append(t.datetime_complete)  # type: ignore[arg-type]
                values.append(value)
    return out


def _before(timeline: Timeline, key: tuple[int, int], trial: FrozenTrial) -> list[float]:
    """The values at ``key`` of the trials that finished before ``trial`` (itself excluded)."""
    times, values = timeline.get(key, ([], []))
    end = trial.datetime_complete
    if end is None:
        return list(values)
    # Its own value sits at its own finishing time: stop just before it.
    return values[: bisect.bisect_left(times, end)]


def _explain(
    trial: FrozenTrial, plan: SprintPlan, study: str, maximize: bool, timeline: Timeline
) -> str:
    step = trial.last_step
    if step is None:
        return f"trial {trial.number} pruned before it reported a value"
    head = f"trial {trial.number} pruned at step {step}"
    value = trial.intermediate_values[step]
    if math.isnan(value):
        return f"{head}: its value was nan"
    if plan.pruner == "hyperband" and (rung := rung_of(trial)) is not None:
        bracket = bracket_of(study, trial.number, plan)
        mine = rung_values(trial)[rung]
        competing = sorted([*_before(timeline, (bracket, rung), trial), mine], reverse=maximize)
        keep = promoted(len(competing), plan.reduction_factor)
        return (
            f"{head} (rung {rung}, bracket {bracket}): {mine:.4g} vs cut-off "
            f"≈{competing[keep - 1]:.4g} (best {keep} of {len(competing)} go on)"
        )
    if plan.pruner == "median":
        pick = max if maximize else min
        best = pick(v for s, v in trial.intermediate_values.items() if s <= step)
        others = sorted(_before(timeline, (0, step), trial))
        if others:
            mid = len(others) // 2
            median = others[mid] if len(others) % 2 else (others[mid - 1] + others[mid]) / 2
            return f"{head}: best {best:.4g} vs median ≈{median:.4g} of {len(others)} trials"
    return f"{head}: {value:.4g}"
