"""What each full-screen chart costs at 10,000 trials: its data, and drawing it at 80×24, 120×40.

Run: .venv/bin/python bench/chart_views.py [--trials 10000] [--show KIND]
Builds a synthetic sprint (three in four pruned, a log-scale value, 8 workers), computes
:func:`engine.read.chart_views.chart_views` and draws each chart with the app's own drawing code
(`tui.widgets.charts.draw_view`) on a plotext figure of the widget's size, as the screen does
(the build of the text included). Prints medians of five; figures are printed, not asserted.
``--show`` prints that chart's picture at 80×24 (without colour) to look at.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.trial import FrozenTrial, TrialState, create_trial
from textual_plotext import Plot

from engine.attrs import WORKER
from engine.read.chart_views import ChartViews, chart_views
from tui.widgets.charts import KINDS, draw_view

T0 = datetime(2026, 1, 1, 12, 0, 0)
DISTS = {
    "lr": FloatDistribution(1e-5, 1e-1, log=True),
    "dropout": FloatDistribution(0.0, 0.5),
    "layers": IntDistribution(1, 8),
    "opt": CategoricalDistribution(["adam", "sgd", "rmsprop"]),
}


def _trials(n: int, workers: int = 8) -> list[FrozenTrial]:
    rng = random.Random(0)
    free = [0.0] * workers  # when each worker is free next, seconds
    out = []
    for i in range(n):
        w = min(range(workers), key=free.__getitem__)
        params = {
            "lr": 10 ** rng.uniform(-5, -1),
            "dropout": rng.uniform(0, 0.5),
            "layers": rng.randint(1, 8),
            "opt": rng.choice(["adam", "sgd", "rmsprop"]),
        }
        value = abs(params["lr"] * 1e3 - 1) * 10 ** rng.uniform(-1, 2) + params["dropout"]
        pruned = rng.random() < 0.75
        steps = {s: value * (4 - s) for s in range(1, 2 if pruned else 4)}
        start, took = free[w], rng.uniform(5, 60) * (0.3 if pruned else 1.0)
        free[w] = start + took
        state = TrialState.PRUNED if pruned else TrialState.COMPLETE
        running = i >= n - workers
        t = create_trial(
            state=TrialState.RUNNING if running else state,
            value=None if pruned or running else value,
            params=params,
            distributions=DISTS,
            user_attrs={WORKER: w},
            intermediate_values=steps,
        )
        t.number = i
        t.datetime_start = T0 + timedelta(seconds=start)
        t.datetime_complete = None if running else T0 + timedelta(seconds=start + took)
        out.append(t)
    return out


def _draw(v: ChartViews, kind: str, size: tuple[int, int]) -> str:
    plt = Plot()
    plt.plotsize(*size)
    plt._set_size(*size)  # as textual-plotext's widget does before each build
    draw_view(plt, v, kind, v.params[0], None, size)
    return plt.build()


def _median(f, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--show", choices=[k for k, _ in KINDS])
    args = parser.parse_args()
    trials = _trials(args.trials)
    last = max(t.datetime_complete or T0 for t in trials)
    now = last + timedelta(seconds=30)  # the running trials started a little before
    views = chart_views(1, trials, False, now)
    if args.show:
        print(re.sub(r"\x1b\[[0-9;]*m", "", _draw(views, args.show, (80, 22))))
        return
    data = _median(lambda: chart_views(1, trials, False, now))
    print(f"{args.trials} trials: the charts' data (all six, one pair) {data * 1000:.0f} ms")
    print(f"{'chart':<22}{'80×24':>10}{'120×40':>10}")
    for kind, title in KINDS:
        # The chart's widget is the screen less its title line and footer.
        small = _median(lambda k=kind: _draw(views, k, (80, 22)))
        big = _median(lambda k=kind: _draw(views, k, (120, 38)))
        print(f"{title:<22}{small * 1000:>8.0f}ms{big * 1000:>8.0f}ms")


if __name__ == "__main__":
    main()
