"""Chart data for one sprint, computed apart from any drawing: importance, best so far,
learning curves and value against each parameter."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from optuna.trial import FrozenTrial, TrialState

from engine.advisor.importance import importances
from engine.budget import OVER_BUDGET
from engine.spec import Spec
from engine.sprint import SprintPlan

CURVES = 60  # the newest trials drawn as learning curves; more is noise on a terminal
IMPORTANCE_TRIALS = 400  # the newest completed trials the live importance is computed over


@dataclass(frozen=True)
class Curve:
    number: int
    state: str  # complete | pruned | failed | running
    steps: tuple[int, ...]
    values: tuple[float, ...]


@dataclass(frozen=True)
class ChartData:
    sprint: int
    importance: tuple[tuple[str, float], ...]
    importance_note: str
    best_so_far: tuple[tuple[int, float], ...]
    curves: tuple[Curve, ...]
    scatter: dict[str, tuple[tuple[Any, float], ...]]


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def best_so_far(trials: Sequence[FrozenTrial], maximize: bool) -> tuple[tuple[int, float], ...]:
    """(trial number, best completed value up to it) at each improvement and the last trial."""
    out: list[tuple[int, float]] = []
    best: float | None = None
    for t in sorted(trials, key=lambda t: t.number):
        if t.state != TrialState.COMPLETE or not _finite(t.value):
            continue
        value = float(t.value)  # type: ignore[arg-type]
        if best is None or (value > best if maximize else value < best):
            best = value
        out.append((t.number, best))
    return tuple(out)


def learning_curves(trials: Sequence[FrozenTrial], limit: int = CURVES) -> tuple[Curve, ...]:
    """The intermediate values of the newest ``limit`` trials that reported any."""
    states = {
        TrialState.COMPLETE: "complete",
        TrialState.PRUNED: "pruned",
        TrialState.FAIL: "failed",
        TrialState.RUNNING: "running",
    }
    reported = [t for t in trials if t.intermediate_values and t.state in states]
    curves = []
    for t in sorted(reported, key=lambda t: t.number)[-limit:]:
        points = sorted((s, v) for s, v in t.intermediate_values.items() if math.isfinite(v))
        if points:
            steps, values = zip(*points, strict=True)
            curves.append(Curve(t.number, states[t.state], tuple(steps), tuple(values)))
    return tuple(curves)


def value_against(trials: Sequence[FrozenTrial], names: Sequence[str]) -> dict[str, tuple]:
    """Per parameter: (its value, the trial's value) over the completed trials."""
    done = [t for t in trials if t.state == TrialState.COMPLETE and _finite(t.value)]
    return {n: tuple((t.params[n], float(t.value)) for t in done if n in t.params) for n in names}  # type: ignore[arg-type]


def live_importance(
    trials: Sequence[FrozenTrial], plan: SprintPlan, spec: Spec
) -> tuple[tuple[tuple[str, float], ...], str]:
    """PED-ANOVA importance over the sprint's newest completed trials.

    Fast enough to recompute while a sprint runs (fANOVA over hundreds of trials takes
    seconds); the proposal shows the advisor's own measure from the spec.
    """
    done = [t for t in trials if t.state == TrialState.COMPLETE and _finite(t.value)]
    done = done[-IMPORTANCE_TRIALS:]
    settings = spec.advisor
    imp = importances(
        done,
        plan.space,
        spec.session.direction == "maximize",
        "ped_anova",
        settings.importance_min_trials,
        0.1,
        spec.session.seed,
    )
    if imp.values is None:
        return (), imp.reason
    ranked = sorted(imp.values.items(), key=lambda kv: -kv[1])
    return tuple(ranked), imp.reason


def chart_data(
    number: int,
    trials: Sequence[FrozenTrial],
    plan: SprintPlan,
    maximize: bool,
    importance: tuple[tuple[tuple[str, float], ...], str],
) -> ChartData:
    shown = [t for t in trials if not t.user_attrs.get(OVER_BUDGET)]
    return ChartData(
        sprint=number,
        importance=importance[0],
        importance_note=importance[1],
        best_so_far=best_so_far(shown, maximize),
        curves=learning_curves(shown),
        scatter=value_against(shown, plan.space.names),
    )
