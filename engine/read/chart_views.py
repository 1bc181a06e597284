"""Data for the full-screen charts: history, slice, parallel coordinates, contour, EDF, timeline."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from optuna.distributions import CategoricalDistribution
from optuna.trial import FrozenTrial, TrialState

from engine.attrs import HISTORY, OVER_BUDGET, WORKER

State = Literal["complete", "pruned", "failed", "running"]
STATES: dict[TrialState, State] = {
    TrialState.COMPLETE: "complete",
    TrialState.PRUNED: "pruned",
    TrialState.FAIL: "failed",
    TrialState.RUNNING: "running",
}
#: Positive values spanning this ratio (two orders of magnitude) or more are shown on a log axis:
#: on a linear one everything but the worst trials sits on the floor.
LOG_SPAN = 100.0
#: Lines drawn in parallel coordinates at most; more turn a terminal's few cells into one smear.
PARALLEL_LINES = 100
#: Cells of the contour's grid across and up: what a 80×24 terminal can still tell apart.
CONTOUR_GRID = (16, 8)
#: Shades of the contour, 0 the best.
LEVELS = 5


@dataclass(frozen=True)
class Point:
    number: int
    state: State
    x: float
    y: float


@dataclass(frozen=True)
class HistoryView:
    """Each trial's value by number: completed at their value, pruned and running at the last
    value they reported (marked by state), and the best so far."""

    points: tuple[Point, ...]
    best: tuple[tuple[int, float], ...]
    running: int  # running trials, reported or not: the legend counts them
    log_y: bool


@dataclass(frozen=True)
class SliceView:
    """The value against one parameter; a categorical's x is the index of its label."""

    param: str
    points: tuple[Point, ...]
    labels: tuple[str, ...]  # a categorical's choices in order; empty for a number
    log_x: bool
    log_y: bool


@dataclass(frozen=True)
class Axis:
    name: str
    low: float
    high: float
    labels: tuple[str, ...] = ()  # a categorical's choices, at 0..1 evenly
    log: bool = False


@dataclass(frozen=True)
class Line:
    number: int
    level: int  # shade by rank, 0 the best
    ys: tuple[float, ...]  # one per axis, each scaled to 0..1


@dataclass(frozen=True)
class ParallelView:
    """Completed trials across the objective (first axis) and each parameter; at most
    :data:`PARALLEL_LINES`, picked evenly by rank so the best and the spread both stay."""

    axes: tuple[Axis, ...]
    lines: tuple[Line, ...]
    total: int  # completed trials, drawn or not


@dataclass(frozen=True)
class Cell:
    col: int
    row: int
    value: float  # the best value of the trials that fell in it
    level: int  # 0 the best
    count: int


@dataclass(frozen=True)
class ContourView:
    """The best value over a grid of two parameters (x, y); cells with no trial are absent."""

    x: Axis
    y: Axis
    cols: int
    rows: int
    cells: tuple[Cell, ...]
    best: tuple[float, float] | None  # the best trial's place, each axis scaled to 0..1


@dataclass(frozen=True)
class EdfView:
    """The empirical distribution of the completed values: (value, share at or below it)."""

    points: tuple[tuple[float, float], ...]
    log_x: bool


@dataclass(frozen=True)
class Bar:
    worker: str
    number: int
    state: State
    start: float  # seconds since the sprint's first trial started
    end: float


@dataclass(frozen=True)
class TimelineView:
    """What each worker ran when; a running trial's bar ends at ``now``."""

    workers: tuple[str, ...]
    bars: tuple[Bar, ...]
    span: float  # seconds from the first start to the last end


@dataclass(frozen=True)
class ChartViews:
    sprint: int
    maximize: bool
    params: tuple[str, ...]
    history: HistoryView
    slices: tuple[SliceView, ...]
    parallel: ParallelView
    contour: ContourView | None  # None with fewer than two parameters
    edf: EdfView
    timeline: TimelineView


def wants_log(values: Sequence[float]) -> bool:
    """A log axis: every value positive and the largest at least :data:`LOG_SPAN` × the least."""
    if not values or min(values) <= 0:
        return False
    return max(values) / min(values) >= LOG_SPAN


def _value(t: FrozenTrial) -> float | None:
    """A completed trial's value; a pruned or running one's last reported value."""
    if t.state == TrialState.COMPLETE:
        v = t.value
    elif t.state in (TrialState.PRUNED, TrialState.RUNNING) and t.intermediate_values:
        v = t.intermediate_values[max(t.intermediate_values)]
    else:
        return None
    return float(v) if v is not None and math.isfinite(v) else None


def shown_trials(trials: Sequence[FrozenTrial]) -> list[FrozenTrial]:
    """The sprint's own trials that ran: no copies of earlier sprints, no race losers."""
    return [
        t
        for t in trials
        if t.state in STATES and HISTORY not in t.user_attrs and not t.user_attrs.get(OVER_BUDGET)
    ]


def history(trials: Sequence[FrozenTrial], maximize: bool) -> HistoryView:
    points, best, best_v = [], [], None
    for t in sorted(trials, key=lambda t: t.number):
        v = _value(t)
        if v is None:
            continue
        points.append(Point(t.number, STATES[t.state], float(t.number), v))
        if t.state == TrialState.COMPLETE:
            if best_v is None or (v > best_v if maximize else v < best_v):
                best_v = v
            best.append((t.number, best_v))
    running = sum(t.state == TrialState.RUNNING for t in trials)
    return HistoryView(tuple(points), tuple(best), running, wants_log([p.y for p in points]))


def _choices(trials: Sequence[FrozenTrial], name: str) -> tuple[str, ...] | None:
    """A categorical parameter's choices as labels (None for a number)."""
    values = [t.params[name] for t in trials if name in t.params]
    for t in trials:
        dist = t.distributions.get(name)
        if isinstance(dist, CategoricalDistribution):
            return tuple(str(c) for c in dist.choices)
    if any(isinstance(v, (str, bool)) or v is None for v in values):
        return tuple(sorted({str(v) for v in values}))
    return None


def _log_param(trials: Sequence[FrozenTrial], name: str) -> bool:
    dist = next((t.distributions[name] for t in trials if name in t.distributions), None)
    return bool(getattr(dist, "log", False))


def _axis(trials: Sequence[FrozenTrial], name: str) -> Axis:
    labels = _choices(trials, name)
    if labels is not None:
        return Axis(name, 0.0, float(max(len(labels) - 1, 0)), labels)
    values = [float(t.params[name]) for t in trials if name in t.params]
    log = _log_param(trials, name)
    return Axis(name, min(values, default=0.0), max(values, default=0.0), (), log)


def _coordinate(axis: Axis, raw: Any) -> float:
    """Where ``raw`` sits on ``axis``, in the axis's own units (a label's index)."""
    if axis.labels:
        return float(axis.labels.index(str(raw))) if str(raw) in axis.labels else 0.0
    return float(raw)


def _scaled(axis: Axis, x: float) -> float:
    """``x`` on ``axis`` as 0..1 (log where the axis is); a one-value axis puts all at 0.5."""
    low, high = axis.low, axis.high
    if axis.log and low > 0:
        low, high, x = math.log10(low), math.log10(high), math.log10(max(x, axis.low))
    return 0.5 if high == low else (x - low) / (high - low)


def param_names(trials: Sequence[FrozenTrial]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(n for t in trials for n in t.params))


def slices(trials: Sequence[FrozenTrial], names: Sequence[str]) -> tuple[SliceView, ...]:
    valued = [(t, v) for t in trials if (v := _value(t)) is not None]
    log_y = wants_log([v for _, v in valued])
    out = []
    for name in names:
        axis = _axis(trials, name)
        points = tuple(
            Point(t.number, STATES[t.state], _coordinate(axis, t.params[name]), v)
            for t, v in valued
            if name in t.params
        )
        out.append(SliceView(name, points, axis.labels, axis.log, log_y))
    return tuple(out)


def _ranked(trials: Sequence[FrozenTrial], maximize: bool) -> list[tuple[FrozenTrial, float]]:
    """The completed trials with a finite value, best first."""
    done = [
        (t, float(t.value))
        for t in trials
        if t.state == TrialState.COMPLETE and t.value is not None and math.isfinite(t.value)
    ]
    return sorted(done, key=lambda tv: (-tv[1] if maximize else tv[1], tv[0].number))


def _level(rank: int, count: int) -> int:
    return min(LEVELS - 1, rank * LEVELS // max(count, 1))


def parallel(
    trials: Sequence[FrozenTrial], names: Sequence[str], maximize: bool, limit: int = PARALLEL_LINES
) -> ParallelView:
    ranked = _ranked(trials, maximize)
    values = [v for _, v in ranked]
    log = wants_log(values)
    objective = Axis("value", min(values, default=0.0), max(values, default=0.0), (), log)
    done = [t for t, _ in ranked]
    axes = (objective, *(_axis(done, n) for n in names))
    n = len(ranked)
    picks = (
        range(n) if n <= limit else sorted({round(i * (n - 1) / (limit - 1)) for i in range(limit)})
    )
    lines = []
    for rank in picks:
        t, v = ranked[rank]
        if not all(a.name in t.params for a in axes[1:]):
            continue  # a carried configuration without a parameter searched since
        ys = (
            _scaled(objective, v),
            *(_scaled(a, _coordinate(a, t.params[a.name])) for a in axes[1:]),
        )
        lines.append(Line(t.number, _level(rank, n), ys))
    return ParallelView(axes, tuple(lines), n)


def contour(
    trials: Sequence[FrozenTrial],
    x: str,
    y: str,
    maximize: bool,
    grid: tuple[int, int] = CONTOUR_GRID,
) -> ContourView:
    ranked = [(t, v) for t, v in _ranked(trials, maximize) if x in t.params and y in t.params]
    done = [t for t, _ in ranked]
    ax, ay = _axis(done, x), _axis(done, y)
    # A categorical gets one column (or row) per choice; a number the grid's share.
    cols = len(ax.labels) or grid[0]
    rows = len(ay.labels) or grid[1]
    best: dict[tuple[int, int], tuple[float, int]] = {}
    for t, v in ranked:  # best first: a cell's first trial is its best
        c = min(cols - 1, int(_scaled(ax, _coordinate(ax, t.params[x])) * cols))
        r = min(rows - 1, int(_scaled(ay, _coordinate(ay, t.params[y])) * rows))
        old = best.get((c, r))
        best[(c, r)] = (v, 1) if old is None else (old[0], old[1] + 1)
    order = sorted(best.items(), key=lambda kv: -kv[1][0] if maximize else kv[1][0])
    cells = tuple(
        sorted(
            (Cell(c, r, v, _level(i, len(order)), k) for i, ((c, r), (v, k)) in enumerate(order)),
            key=lambda cell: (cell.row, cell.col),
        )
    )
    place = None
    if ranked:
        t = ranked[0][0]
        place = (
            _scaled(ax, _coordinate(ax, t.params[x])),
            _scaled(ay, _coordinate(ay, t.params[y])),
        )
    return ContourView(ax, ay, cols, rows, cells, place)


def edf(trials: Sequence[FrozenTrial]) -> EdfView:
    values = sorted(v for _, v in _ranked(trials, False))
    n = len(values)
    points = tuple((v, (i + 1) / n) for i, v in enumerate(values))
    return EdfView(points, wants_log(values))


def timeline(trials: Sequence[FrozenTrial], now: datetime) -> TimelineView:
    """``now``: where a running trial's bar ends (naive, in the trials' own clock)."""
    started = [(t.datetime_start, t) for t in trials if t.datetime_start is not None]
    if not started:
        return TimelineView((), (), 0.0)
    t0 = min(s for s, _ in started)
    bars = []
    for start, t in sorted(started, key=lambda st: (st[0], st[1].number)):
        end = t.datetime_complete or now
        worker = t.user_attrs.get(WORKER)
        bars.append(
            Bar(
                f"w{worker}" if worker is not None else "?",
                t.number,
                STATES[t.state],
                (start - t0).total_seconds(),
                max(0.0, (end - t0).total_seconds()),
            )
        )
    workers = tuple(sorted({b.worker for b in bars}, key=_worker_order))
    return TimelineView(workers, tuple(bars), max(b.end for b in bars))


def _worker_order(label: str) -> tuple[int, str]:
    digits = label[1:]
    return (int(digits), "") if digits.isdigit() else (1 << 62, label)


def chart_views(
    sprint: int,
    trials: Sequence[FrozenTrial],
    maximize: bool,
    now: datetime,
    pair: tuple[str, str] | None = None,
) -> ChartViews:
    """Every full-screen chart of one sprint; ``pair`` names the contour's x and y (default: the
    first two parameters)."""
    shown = shown_trials(trials)
    names = param_names(shown)
    if pair is None or not set(pair) <= set(names) or pair[0] == pair[1]:
        pair = (names[0], names[1]) if len(names) >= 2 else None
    return ChartViews(
        sprint=sprint,
        maximize=maximize,
        params=names,
        history=history(shown, maximize),
        slices=slices(shown, names),
        parallel=parallel(shown, names, maximize),
        contour=contour(shown, *pair, maximize) if pair else None,
        edf=edf(shown),
        timeline=timeline(shown, now),
    )


class ChartViewsMemo:
    """The last charts worked out, for a reader that polls: six charts over 10,000 trials take
    about half a second, so they are worked out again only when the trials changed (a new
    ``version`` of the sprint's trial cache) or the pair did; meanwhile only running bars grow."""

    def __init__(self) -> None:
        self._last: tuple[tuple[int, int, tuple[str, str] | None], ChartViews] | None = None

    def of(
        self,
        sprint: int,
        version: int,
        trials: Sequence[FrozenTrial],
        maximize: bool,
        now: datetime,
        pair: tuple[str, str] | None = None,
    ) -> ChartViews:
        key = (sprint, version, pair)
        if self._last is None or self._last[0] != key:
            views = chart_views(sprint, trials, maximize, now, pair)
        else:
            views = self._last[1]
            if views.history.running:
                views = replace(views, timeline=timeline(shown_trials(trials), now))
        self._last = key, views
        return views
