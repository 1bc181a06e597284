"""Chart data for one sprint, computed apart from any drawing: importance, best so far,
learning curves and value against each parameter."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from optuna.trial import FrozenTrial, TrialState

from engine.advisor.importance import Importance, importances
from engine.advisor.ranking import top_k_size
from engine.attrs import OVER_BUDGET
from engine.read.chart_views import wants_log
from engine.read.memo import Patch, PerTrial
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


_STATES = {
    TrialState.COMPLETE: "complete",
    TrialState.PRUNED: "pruned",
    TrialState.FAIL: "failed",
    TrialState.RUNNING: "running",
}


@dataclass(frozen=True, slots=True)
class _Point:
    """What the charts take from one trial."""

    number: int
    state: str | None  # one of :data:`_STATES`' names; None for a waiting trial
    value: float | None  # a completed trial's finite value
    params: dict[str, Any]
    steps: dict[int, float]


def _point(t: FrozenTrial) -> _Point | None:
    """None for a trial the charts leave out: a race's loser, that never ran."""
    if t.user_attrs.get(OVER_BUDGET):
        return None
    done = t.state == TrialState.COMPLETE and _finite(t.value)
    value = float(t.value) if done else None  # type: ignore[arg-type]
    return _Point(t.number, _STATES.get(t.state), value, t.params, t.intermediate_values)


class ChartMemo(PerTrial["_Point | None"]):
    """What :func:`chart_data` keeps between polls: each trial's point."""

    def __init__(self) -> None:
        super().__init__(_point)


def best_so_far(points: Sequence[_Point], maximize: bool) -> tuple[tuple[int, float], ...]:
    """(trial number, best completed value up to it) at each completed trial, by number."""
    out: list[tuple[int, float]] = []
    best: float | None = None
    for p in points:
        value = p.value
        if value is None:
            continue
        if best is None or (value > best if maximize else value < best):
            best = value
        out.append((p.number, best))
    return tuple(out)


def learning_curves(points: Sequence[_Point], limit: int = CURVES) -> tuple[Curve, ...]:
    """The intermediate values of the ``limit`` trials of the largest numbers that reported
    any (``points`` by number)."""
    newest: list[_Point] = []
    for p in reversed(points):
        if len(newest) == limit:
            break
        if p.steps and p.state is not None:
            newest.append(p)
    curves = []
    for p in reversed(newest):
        finite = sorted((s, v) for s, v in p.steps.items() if math.isfinite(v))
        if finite:
            steps, values = zip(*finite, strict=True)
            curves.append(Curve(p.number, p.state, tuple(steps), tuple(values)))  # type: ignore[arg-type]
    return tuple(curves)


def value_against(
    points: Sequence[_Point], names: Sequence[str]
) -> dict[str, tuple[tuple[Any, float], ...]]:
    """Per parameter: (its value, the trial's value) over the completed trials."""
    done = [(p.params, p.value) for p in points if p.value is not None]
    return {n: tuple((params[n], v) for params, v in done if n in params) for n in names}


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
    memo: ChartMemo | None = None,
    patch: Patch | None = None,
) -> ChartData:
    """The sprint's charts; ``memo`` keeps each trial's point between polls, and ``patch`` says
    how ``trials`` came from the list of the last call (``TrialCache.patch``)."""
    made = (ChartMemo() if memo is None else memo).each(trials, patch=patch)
    points = [p for p in made if p is not None]
    by_number = sorted(points, key=attrgetter("number"))  # already so, from a TrialCache
    best, curves = best_so_far(by_number, maximize), learning_curves(by_number)
    values = [v for _, v in best] + [v for c in curves for v in c.values]
    return ChartData(
        sprint=number,
        importance=importance[0],
        importance_title=importance[1],
        best_so_far=best,
        curves=curves,
        scatter=value_against(points, plan.space.names),
        log_y=wants_log(values),
    )
