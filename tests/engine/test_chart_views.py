"""The full-screen charts' data, checked by value on hand-built trials."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution
from optuna.trial import FrozenTrial, TrialState, create_trial

from engine.attrs import HISTORY, OVER_BUDGET, WORKER
from engine.read.chart_views import (
    Axis,
    Bar,
    Cell,
    ChartViewsMemo,
    Line,
    Point,
    chart_views,
    contour,
    edf,
    history,
    parallel,
    slices,
    timeline,
    wants_log,
)

T0 = datetime(2026, 1, 1, 12, 0, 0)
X = FloatDistribution(0.0, 1.0)
LR = FloatDistribution(1e-5, 1e-1, log=True)
OPT = CategoricalDistribution(["adam", "sgd"])


def trial(
    number: int,
    state: TrialState = TrialState.COMPLETE,
    value: float | None = None,
    *,
    x: float = 0.5,
    opt: str | None = None,
    steps: dict[int, float] | None = None,
    worker: int | None = None,
    start: float = 0.0,
    end: float | None = None,
    attrs: dict | None = None,
) -> FrozenTrial:
    params: dict = {"x": x}
    dists: dict = {"x": X}
    if opt is not None:
        params["opt"], dists["opt"] = opt, OPT
    user = dict(attrs or {})
    if worker is not None:
        user[WORKER] = worker
    running = state == TrialState.RUNNING
    t = create_trial(
        state=state,
        value=value if state == TrialState.COMPLETE else None,
        params=params,
        distributions=dists,
        user_attrs=user,
        intermediate_values=steps or {},
    )
    t.number = number
    t.datetime_start = T0 + timedelta(seconds=start)
    t.datetime_complete = None if running else T0 + timedelta(seconds=end or start + 1)
    return t


def test_wants_log_only_for_positive_values_over_two_orders_of_magnitude():
    assert wants_log([0.01, 1.0])
    assert not wants_log([0.02, 1.0])
    assert not wants_log([-1.0, 1000.0])
    assert not wants_log([0.0, 1000.0])
    assert not wants_log([])


def test_empty_sprint_gives_empty_charts_and_no_contour():
    v = chart_views(0, [], maximize=False, now=T0)
    assert v.params == ()
    assert v.history.points == () and v.history.best == () and v.history.running == 0
    assert v.slices == ()
    assert v.parallel.axes == (Axis("value", 0.0, 0.0),) and v.parallel.lines == ()
    assert v.contour is None
    assert v.edf.points == () and not v.edf.log_x
    assert v.timeline.workers == () and v.timeline.bars == () and v.timeline.span == 0.0


def test_one_trial():
    t = trial(0, value=2.0, x=0.25, worker=3, start=0, end=5)
    v = chart_views(1, [t], maximize=False, now=T0)
    assert v.history.points == (Point(0, "complete", 0.0, 2.0),)
    assert v.history.best == ((0, 2.0),)
    assert v.slices[0].points == (Point(0, "complete", 0.25, 2.0),)
    # One value on every axis: it sits in the middle.
    assert v.parallel.lines == (Line(0, 0, (0.5, 0.5)),)
    assert v.edf.points == ((2.0, 1.0),)
    assert v.timeline.bars == (Bar("w3", 0, "complete", 0.0, 5.0),)
    assert v.timeline.span == 5.0


def test_all_pruned_trials_are_drawn_at_their_last_report_and_count_for_no_best():
    trials = [
        trial(0, TrialState.PRUNED, steps={1: 4.0, 2: 3.0}),
        trial(1, TrialState.PRUNED, steps={1: 5.0}),
        trial(2, TrialState.PRUNED),  # pruned before it reported: nowhere to draw it
    ]
    h = history(trials, maximize=False)
    assert h.points == (Point(0, "pruned", 0.0, 3.0), Point(1, "pruned", 1.0, 5.0))
    assert h.best == ()
    assert [p.state for p in slices(trials, ["x"])[0].points] == ["pruned", "pruned"]
    assert parallel(trials, ["x"], False).lines == ()
    assert edf(trials).points == ()
    assert contour(trials, "x", "x", False).cells == ()


def test_running_trials_are_counted_for_the_legend_and_drawn_once_they_report():
    trials = [
        trial(0, value=1.0),
        trial(1, TrialState.RUNNING, steps={3: 0.5}, start=2),
        trial(2, TrialState.RUNNING, start=3),
    ]
    h = history(trials, maximize=False)
    assert h.running == 2
    assert h.points[-1] == Point(1, "running", 1.0, 0.5)
    assert h.best == ((0, 1.0),)  # a running value is no result yet


def test_history_best_so_far_follows_the_direction():
    trials = [trial(0, value=3.0), trial(1, value=1.0), trial(2, value=2.0)]
    assert history(trials, maximize=False).best == ((0, 3.0), (1, 1.0), (2, 1.0))
    assert history(trials, maximize=True).best == ((0, 3.0), (1, 3.0), (2, 3.0))


def test_huge_ranges_ask_for_log_axes():
    trials = [trial(i, value=10.0**i, x=i / 10) for i in range(6)]
    assert history(trials, False).log_y
    assert slices(trials, ["x"])[0].log_y
    assert edf(trials).log_x
    p = parallel(trials, ["x"], False)
    assert p.axes[0].log
    # On the log objective axis 10**0 .. 10**5 are evenly spaced.
    assert [round(line.ys[0], 6) for line in p.lines] == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]


def test_a_log_parameter_says_so_and_is_scaled_by_its_log():
    trials = [
        create_trial(value=float(i), params={"lr": lr}, distributions={"lr": LR})
        for i, lr in enumerate([1e-5, 1e-3, 1e-1])
    ]
    for i, t in enumerate(trials):
        t.number = i
    assert slices(trials, ["lr"])[0].log_x
    lines = parallel(trials, ["lr"], False).lines
    assert [round(line.ys[1], 6) for line in lines] == [0.0, 0.5, 1.0]


def test_a_categorical_slice_uses_the_index_of_each_choice():
    trials = [trial(0, value=1.0, opt="sgd"), trial(1, value=2.0, opt="adam")]
    s = {v.param: v for v in slices(trials, ["x", "opt"])}["opt"]
    assert s.labels == ("adam", "sgd")
    assert s.points == (Point(0, "complete", 1.0, 1.0), Point(1, "complete", 0.0, 2.0))


def test_parallel_keeps_the_best_and_the_spread_within_its_limit():
    trials = [trial(i, value=float(i), x=i / 1000) for i in range(1000)]
    p = parallel(trials, ["x"], maximize=False, limit=5)
    assert p.total == 1000
    assert [line.number for line in p.lines] == [0, 250, 500, 749, 999]
    assert [line.level for line in p.lines] == [0, 1, 2, 3, 4]


def test_contour_keeps_the_best_value_of_each_cell():
    trials = [
        trial(0, value=5.0, x=0.0, opt="adam"),
        trial(1, value=1.0, x=0.01, opt="adam"),
        trial(2, value=3.0, x=1.0, opt="sgd"),
    ]
    c = contour(trials, "x", "opt", maximize=False, grid=(4, 4))
    assert (c.cols, c.rows) == (4, 2)  # a categorical gets one row per choice
    assert c.cells == (Cell(0, 0, 1.0, 0, 2), Cell(3, 1, 3.0, 2, 1))
    assert c.best == (0.01, 0.0)


def test_timeline_by_worker_with_prunes_failures_and_running_to_now():
    trials = [
        trial(0, value=1.0, worker=1, start=0, end=10),
        trial(1, TrialState.PRUNED, worker=0, start=1, end=4),
        trial(2, TrialState.FAIL, worker=0, start=5, end=6),
        trial(3, TrialState.RUNNING, worker=1, start=11),
        trial(4, value=2.0, start=2, end=3),  # a worker that left no id
    ]
    tl = timeline(trials, now=T0 + timedelta(seconds=20))
    assert tl.workers == ("w0", "w1", "?")
    assert tl.bars == (
        Bar("w1", 0, "complete", 0.0, 10.0),
        Bar("w0", 1, "pruned", 1.0, 4.0),
        Bar("?", 4, "complete", 2.0, 3.0),
        Bar("w0", 2, "failed", 5.0, 6.0),
        Bar("w1", 3, "running", 11.0, 20.0),
    )
    assert tl.span == 20.0


def test_copies_of_earlier_sprints_and_race_losers_are_left_out():
    trials = [
        trial(0, value=1.0),
        trial(1, value=0.5, attrs={HISTORY: 0}),
        trial(2, TrialState.FAIL, attrs={OVER_BUDGET: True}),
    ]
    v = chart_views(2, trials, maximize=False, now=T0)
    assert [p.number for p in v.history.points] == [0]
    assert [b.number for b in v.timeline.bars] == [0]


@pytest.mark.parametrize("pair", [None, ("opt", "x"), ("x", "x"), ("x", "nope")])
def test_the_contour_pair_defaults_to_the_first_two_parameters(pair):
    trials = [trial(0, value=1.0, opt="adam"), trial(1, value=2.0, x=0.9, opt="sgd")]
    c = chart_views(0, trials, maximize=False, now=T0, pair=pair).contour
    assert c is not None
    assert (c.x.name, c.y.name) == (pair if pair == ("opt", "x") else ("x", "opt"))


def test_the_memo_works_the_charts_out_again_only_when_the_trials_or_the_pair_changed():
    memo = ChartViewsMemo()
    done = [trial(0, value=1.0, opt="adam", start=0, end=4)]
    first = memo.of(1, 7, done, False, T0)
    assert memo.of(1, 7, done, False, T0 + timedelta(seconds=60)) is first
    assert memo.of(1, 8, done, False, T0) is not first  # a new version of the trials
    assert memo.of(1, 8, done, False, T0, ("opt", "x")).contour.x.name == "opt"
    # With a trial running, its bar grows with the clock while nothing else is worked out.
    running = [*done, trial(1, TrialState.RUNNING, opt="sgd", start=5)]
    at_10 = memo.of(1, 9, running, False, T0 + timedelta(seconds=10))
    at_20 = memo.of(1, 9, running, False, T0 + timedelta(seconds=20))
    assert at_10.timeline.bars[-1].end == 10.0 and at_20.timeline.bars[-1].end == 20.0
    assert at_20.history is at_10.history


def test_the_dashboards_charts_ask_for_a_log_axis_where_their_values_span_orders():
    from types import SimpleNamespace

    from engine.read.plots import chart_data

    plan: Any = SimpleNamespace(space=SimpleNamespace(names=("x",)))
    no_importance = ((), "")
    wide = [trial(0, value=5.0), trial(1, TrialState.PRUNED, steps={1: 0.01})]
    assert chart_data(1, wide, plan, False, no_importance).log_y
    narrow = [trial(0, value=5.0), trial(1, TrialState.PRUNED, steps={1: 0.5})]
    assert not chart_data(1, narrow, plan, False, no_importance).log_y
