"""The strategy benchmark's regret-vs-budget figure (matplotlib, loaded only when drawing)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bench.pipelines import PER_BUDGET, Run
from bench.problems import Problem
from bench.regret import summarize
from bench.report import regrets, scales

COLORS = {
    "sprints": "#d62728",
    "tpe+hyperband": "#1f77b4",
    "tpe": "#17becf",
    "gp_minimize": "#2ca02c",
    "random": "#7f7f7f",
    "top-k": "#ff7f0e",
    "sprints/no-floor": "#9467bd",
    "sprints/gp-final": "#8c564b",
    "sprints/no-carry": "#e377c2",
}


def plot(
    runs: Sequence[Run],
    probs: dict[str, Problem],
    names: Sequence[str],
    methods: Sequence[str],
    budget: float,
    levels: Sequence[float],
    grid: Sequence[float],
    path: Path,
) -> None:
    """One panel per problem: median regret (line) and IQR (band) against budget, log axes
    where the optimum is known; the per-budget baseline as markers at its budgets."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fine = np.geomspace(0.25, budget, 80)
    coarse = list(grid)
    scale = scales(runs, probs)
    fine_reg = regrets([r for r in runs if r.method not in PER_BUDGET], probs, fine, scale)
    coarse_reg = regrets([r for r in runs if r.method in PER_BUDGET], probs, coarse, scale)
    cols = 3
    rows = math.ceil(len(names) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 3.9 * rows), squeeze=False)
    floor = 1e-4
    for ax, name in zip(axes.flat, names, strict=False):
        log = probs[name].optimum is not None
        for m in methods:
            per = m in PER_BUDGET
            reg = (coarse_reg if per else fine_reg).get((name, m))
            if reg is None:
                continue
            xs = np.array(coarse if per else fine)
            stats = np.array([summarize(list(reg[:, i])) for i in range(len(xs))])
            ok = ~np.isnan(stats[:, 0])
            # Log scale where the optimum is known; digits' regret moves in steps of one
            # validation example and reaches 0, so it is drawn on a linear scale.
            low = floor if log else 0.0
            med, q1, q3 = (np.maximum(stats[ok, j], low) for j in range(3))
            style = {"marker": "o", "markersize": 3} if per else {}
            ax.plot(xs[ok], med, color=COLORS[m], label=m, lw=2 if m == "sprints" else 1.3, **style)
            ax.fill_between(xs[ok], q1, q3, color=COLORS[m], alpha=0.12, lw=0)
        for b in levels:
            ax.axvline(b, color="k", lw=0.5, ls=":")
        ax.set_xscale("log")
        if log:
            ax.set_yscale("log")
            ax.set_ylim(bottom=floor)
        else:
            ax.set_ylim(bottom=0)
        ax.set_title(f"{name} ({probs[name].low_fidelity} low fidelity)", fontsize=10)
        ax.set_xlabel("budget (full-fidelity evaluations)")
        ax.set_ylabel("normalized regret")
        ax.grid(True, which="major", alpha=0.3)
    for ax in list(axes.flat)[len(names) :]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    spare = list(axes.flat)[len(names) :]
    (spare[0] if spare else fig).legend(handles, labels, loc="center", fontsize=10)
    fig.suptitle("Normalized regret vs budget: median (line) and IQR (band)", fontsize=12)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
