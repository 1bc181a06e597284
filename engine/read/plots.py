"""Chart data for one sprint, computed apart from any drawing: importance, best so far,
learning curves and value against each parameter."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from optuna.trial import FrozenTrial, TrialState

from engine.advisor.importance import Importance, importances
from engine.advisor.ranking import top_k_size
from engine.attrs import OVER_BUDGET
from engine.read.chart_views import wants_log
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
    importance_title: str  # names the method and the trials it was computed on
    best_so_far: tuple[tuple[int, float], ...]
    curves: tuple[Curve, ...]
    scatter: dict[str, tuple[tuple[Any, float], ...]]
    #: Whether the best-so-far and the curves are drawn on a log value axis (their values are
    #: positive and span two orders of magnitude or more; see :func:`wants_log`).
    log_y: bool = False


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


def value_against(
    trials: Sequence[FrozenTrial], names: Sequence[str]
) -> dict[str, tuple[tuple[Any, float], ...]]:
    """Per parameter: (its value, the trial's value) over the completed trials."""
    done = [
        (t.params, t.value)
        for t in trials
        if t.state == TrialState.COMPLETE and t.value is not None and _finite(t.value)
    ]
    return {n: tuple((p[n], float(v)) for p, v in done if n in p) for n in names}


METHOD_NAMES = {"fanova": "fANOVA", "ped_anova": "PED-ANOVA"}


def live_importance(
    trials: Sequence[FrozenTrial], plan: SprintPlan, spec: Spec
) -> tuple[tuple[tuple[str, float], ...], str]:
    """Importance over the sprint's newest completed trials, and the chart's title.

    The same measure as the advisor's (the spec's ``advisor.importance``), asked about the same
    elite (the top-k share), so the chart and the proposal tell one story.
    """
    done = [t for t in trials if t.state == TrialState.COMPLETE and _finite(t.value)]
    done = done[-IMPORTANCE_TRIALS:]
    settings = spec.advisor
    k = top_k_size(len(done), settings)
    imp = importances(
        done,
        plan.space,
        spec.session.direction == "maximize",
        settings.importance,
        settings.importance_min_trials,
        k / len(done) if done else 0.1,
        spec.session.seed,
    )
    return importance_title(imp)


def importance_title(imp: Importance) -> tuple[tuple[tuple[str, float], ...], str]:
    """The importances, largest first, and a title that names the method and the trials."""
    name = METHOD_NAMES.get(imp.method, imp.method)
    if imp.values is not None:
        ranked = sorted(imp.values.items(), key=lambda kv: -kv[1])
        return tuple(ranked), f"importance by {name} on {imp.trials} trials"
    if imp.needed and imp.trials < imp.needed:
        return (), f"importance by {name}: {imp.trials} of {imp.needed} trials needed"
    if imp.needed:
        return (), f"importance by {name}: could not be computed"
    return (), f"importance by {name}: one parameter searched"


def chart_data(
    number: int,
    trials: Sequence[FrozenTrial],
    plan: SprintPlan,
    maximize: bool,
    importance: tuple[tuple[tuple[str, float], ...], str],
) -> ChartData:
    shown = [t for t in trials if not t.user_attrs.get(OVER_BUDGET)]
    best, curves = best_so_far(shown, maximize), learning_curves(shown)
    values = [v for _, v in best] + [v for c in curves for v in c.values]
    return ChartData(
        sprint=number,
        importance=importance[0],
        importance_title=importance[1],
        best_so_far=best,
        curves=curves,
        scatter=value_against(shown, plan.space.names),
        log_y=wants_log(values),
    )
