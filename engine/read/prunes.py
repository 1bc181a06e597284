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
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from optuna.trial import FrozenTrial, TrialState

from engine.optuna_internals import hyperband_bracket, promoted, rung_values
from engine.sprint import SprintPlan

Timeline = dict[tuple[int, int], tuple[list[datetime], list[float]]]

#: Which rule cut the trial: a Hyperband rung, the median of a step, or no comparison known
#: (no report yet, a nan, or a median with no trial finished before it).
PruneRule = Literal["hyperband", "median", "unknown"]


@dataclass(frozen=True)
class PruneReason:
    """Why one trial was pruned, as numbers: what the trial screen and the event feed show."""

    trial: int
    rule: PruneRule
    #: The last step it reported (None: pruned before any report).
    step: int | None
    #: Its value there: at the rung (Hyperband), its best so far (median), or its last report.
    value: float | None
    rung: int | None = None
    bracket: int | None = None
    #: The value it had to beat, approximately: the last one that went on at its rung
    #: (Hyperband), or the median of the other trials at its step.
    cutoff: float | None = None
    #: How many values were compared: at the rung, itself included (Hyperband); the other
    #: trials at the step (median).
    competing: int = 0
    #: How many of those went on to the next rung (Hyperband only).
    went_on: int | None = None

    @property
    def text(self) -> str:
        """One line that stands alone (an export's ``reason``, the trial detail)."""
        if self.step is None:
            return f"trial {self.trial} pruned before it reported a value"
        head = f"trial {self.trial} pruned at step {self.step}"
        if self.value is None or math.isnan(self.value):
            return f"{head}: its value was nan"
        if self.rule == "hyperband":
            return (
                f"{head} (rung {self.rung}, bracket {self.bracket}): {self.value:.4g} vs cut-off "
                f"≈{self.cutoff:.4g} (best {self.went_on} of {self.competing} go on)"
            )
        if self.rule == "median":
            return (
                f"{head}: best {self.value:.4g} vs median ≈{self.cutoff:.4g} "
                f"of {self.competing} trials"
            )
        return f"{head}: {self.value:.4g}"

    @property
    def brief(self) -> str:
        """The same in under 60 characters, for a feed line that says "prune" already."""
        who = f"trial {self.trial}"
        if self.step is None:
            return f"{who} before it reported a value"
        if self.value is None or math.isnan(self.value):
            return f"{who} step {self.step}: its value was nan"
        if self.rule == "hyperband":
            return (
                f"{who} rung {self.rung}: {self.value:.4g} vs cut-off ≈{self.cutoff:.4g}, "
                f"{self.went_on}/{self.competing} on"
            )
        if self.rule == "median":
            return (
                f"{who} step {self.step}: best {self.value:.4g} vs median "
                f"≈{self.cutoff:.4g} of {self.competing}"
            )
        return f"{who} step {self.step}: {self.value:.4g}"


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
    return {n: r.text for n, r in prune_reasons(trials, plan, study, maximize, numbers).items()}


def prune_reasons(
    trials: Sequence[FrozenTrial],
    plan: SprintPlan,
    study: str,
    maximize: bool,
    numbers: Collection[int],
) -> dict[int, PruneReason]:
    """Why each pruned trial in ``numbers`` was pruned, worked out from ``trials``."""
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
) -> PruneReason:
    n, step = trial.number, trial.last_step
    if step is None:
        return PruneReason(n, "unknown", None, None)
    value = trial.intermediate_values[step]
    if math.isnan(value):
        return PruneReason(n, "unknown", step, value)
    if plan.pruner == "hyperband" and (rung := rung_of(trial)) is not None:
        bracket = bracket_of(study, n, plan)
        mine = rung_values(trial)[rung]
        competing = sorted([*_before(timeline, (bracket, rung), trial), mine], reverse=maximize)
        keep = promoted(len(competing), plan.reduction_factor)
        cutoff = competing[keep - 1]
        return PruneReason(n, "hyperband", step, mine, rung, bracket, cutoff, len(competing), keep)
    if plan.pruner == "median":
        pick = max if maximize else min
        best = pick(v for s, v in trial.intermediate_values.items() if s <= step)
        others = sorted(_before(timeline, (0, step), trial))
        if others:
            mid = len(others) // 2
            median = others[mid] if len(others) % 2 else (others[mid - 1] + others[mid]) / 2
            return PruneReason(n, "median", step, best, cutoff=median, competing=len(others))
    return PruneReason(n, "unknown", step, value)
