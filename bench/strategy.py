"""Is the strategy any good? The sprint pipeline against its peers on an equal budget.

Run: .venv/bin/python bench/strategy.py            # full run (~15-25 min on 2 cores)
     .venv/bin/python bench/strategy.py --quick    # smoke run (< 2 min), writes nothing

The budget is counted in full-fidelity evaluations (bench/pipelines.py says how). Prints the
median and interquartile range of normalized regret at three budgets, then (unless --quick or
--no-write) puts the tables in docs/benchmarks.md (section "Strategy") and the regret-vs-budget
plot in docs/benchmarks/strategy.png.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import pickle
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
# One BLAS thread per process, set before numpy loads: the two processes are the parallelism,
# and OpenBLAS threads spinning against each other made GP fits four times slower.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

from bench.pipelines import (  # noqa: E402
    METHODS,
    PER_BUDGET,
    VARIANTS,
    Run,
    at_budget,
    normalized_regret,
    run_method,
    summarize,
)
from bench.problems import Problem, problems  # noqa: E402

DOC = REPO / "docs" / "benchmarks.md"
PNG = REPO / "docs" / "benchmarks" / "strategy.png"
BEGIN, END = (
    "<!-- strategy:begin (bench/strategy.py writes this block) -->",
    "<!-- strategy:end -->",
)
# Budgets the per-budget baseline runs at (each a separate run), and the plot marks it.
COARSE = (2, 5, 10, 15, 25, 35, 50, 75, 100)
# Slowest first, so the two processes finish together.
ORDER = (
    "sprints/gp-final",
    "gp_minimize",
    "sprints",
    "sprints/gated-pruner",
    "top-k",
    "tpe+hyperband",
    "tpe",
    "random",
)


def _task(args: tuple[str, str, int, float, str, tuple[float, ...]]) -> Run:
    name, method, seed, budget, acq, grid = args
    return run_method(problems()[name], method, seed, budget, acq, grid)  # type: ignore[arg-type]


def run_all(
    names: Sequence[str],
    methods: Sequence[str],
    seeds: dict[str, int],
    budget: float,
    acq: str,
    jobs: int,
    grid: tuple[float, ...],
) -> list[Run]:
    tasks = [
        (name, method, seed, budget, acq, grid)
        for name in sorted(names, key=lambda n: n != "digits")
        for method in sorted(methods, key=ORDER.index)
        for seed in range(seeds[name])
    ]
    runs: list[Run] = []
    start = time.perf_counter()
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(jobs) as pool:
        for i, run in enumerate(pool.imap_unordered(_task, tasks), 1):
            runs.append(run)
            if i % max(1, len(tasks) // 20) == 0 or i == len(tasks):
                print(f"  {i}/{len(tasks)} runs, {time.perf_counter() - start:.0f} s", flush=True)
    return runs


# -- analysis ---------------------------------------------------------------------------
def reference_and_optimum(problem: Problem, runs: Sequence[Run]) -> tuple[float, float]:
    """The regret's scale: the median random configuration's value, and the optimum.

    Synthetic problems: the known optimum, and the median over 1,000 fixed random
    configurations (cheap, and the same whichever runs are analysed). Digits: the best
    full-fidelity accuracy any run measured, and the median of the random-search runs.
    """
    if problem.optimum is not None:
        values = [problem.true_value(c) for c in _random_configs(problem, 1000)]
        return float(np.median(values)), problem.optimum
    mine = [r for r in runs if r.problem == problem.name]
    rand = [e.value for r in mine if r.method == "random" for e in r.evaluations if e.full]
    if not rand:
        rand = [problem.true_value(c) for c in _random_configs(problem, 64)]
    seen = [v for r in mine for _, v in r.trajectory] + [
        e.value for r in mine for e in r.evaluations if e.full
    ]
    return float(np.median(rand)), (max(seen) if problem.maximize else min(seen))


def _random_configs(problem: Problem, n: int) -> list[dict]:
    import optuna

    space = problem.spec(0).to_space()
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=12345))
    return [space.config(study.ask(space.to_optuna()).params) for _ in range(n)]


Scales = dict[str, tuple[float, float]]


def scales(runs: Sequence[Run], probs: dict[str, Problem]) -> Scales:
    """Per problem, (reference, optimum) over all the runs."""
    return {p: reference_and_optimum(probs[p], runs) for p in {r.problem for r in runs}}


def regrets(
    runs: Sequence[Run], probs: dict[str, Problem], budgets: Sequence[float], scale: Scales
) -> dict[tuple[str, str], np.ndarray]:
    """(problem, method) -> array [seed, budget] of normalized regret."""
    out: dict[tuple[str, str], list[list[float]]] = defaultdict(list)
    for r in sorted(runs, key=lambda r: r.seed):
        ref, opt = scale[r.problem]
        maximize = probs[r.problem].maximize
        out[r.problem, r.method].append(
            [normalized_regret(at_budget(r.trajectory, b), opt, ref, maximize) for b in budgets]
        )
    return {k: np.array(v, dtype=float) for k, v in out.items()}


def _cell(values: np.ndarray) -> str:
    med, q1, q3 = summarize(list(values))
    if math.isnan(med):
        return "–"
    return f"{_num(med)} [{_num(q1)}, {_num(q3)}]"


def _num(x: float) -> str:
    if x == 0:
        return "0"
    return f"{x:.2g}" if x < 0.01 else f"{x:.3f}" if x < 1 else f"{x:.2f}"


def table(
    reg: dict[tuple[str, str], np.ndarray],
    names: Sequence[str],
    methods: Sequence[str],
    levels: Sequence[float],
) -> str:
    """Markdown: per problem and method, median [IQR] of normalized regret at each level."""
    head = "| problem | method | " + " | ".join(f"B = {b:g}" for b in levels) + " |"
    lines = [head, "|" + "---|" * (2 + len(levels))]
    for name in names:
        best = {
            i: min(summarize(list(reg[name, m][:, i]))[0] for m in methods if (name, m) in reg)
            for i in range(len(levels))
        }
        for m in methods:
            if (name, m) not in reg:
                continue
            cells = []
            for i in range(len(levels)):
                cell = _cell(reg[name, m][:, i])
                med = summarize(list(reg[name, m][:, i]))[0]
                cells.append(f"**{cell}**" if med <= best[i] + 1e-12 else cell)
            lines.append(f"| {name} | {m} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def diagnostics(runs: Sequence[Run], names: Sequence[str]) -> str:
    """What the advisor did in the pipeline: gate readings, cuts, optimum kept."""
    head = (
        "| problem | seeds | gate after warm-up: median Spearman (failed) | full sprint: median "
        "Spearman | optimum inside warm-up / full space | full space / original (volume) |"
    )
    lines = [head, "|---|---|---|---|---|---|"]
    for name in names:
        mine = [r for r in runs if r.problem == name and r.method == "sprints"]
        if not mine:
            continue
        warm = [r.notes["sprints"][1] for r in mine if len(r.notes["sprints"]) > 1]
        full = [r.notes["sprints"][2] for r in mine if len(r.notes["sprints"]) > 2]
        rho = [w["gate"]["spearman"] for w in warm if w.get("gate", {}).get("spearman") is not None]
        failed = sum(w.get("gate", {}).get("passed") is False for w in warm)
        rho3 = [f["spearman"] for f in full if f.get("spearman") is not None]
        held = [
            f"{sum(bool(s['holds_optimum']) for s in group)}/{len(group)}"
            if group and group[0]["holds_optimum"] is not None
            else "–"
            for group in (warm, full)
        ]
        vol = [_kept(r.notes["sprints"]) for r in mine if len(r.notes["sprints"]) > 2]
        lines.append(
            f"| {name} | {len(mine)} | {_med(rho)} ({failed}/{len(warm)}) | {_med(rho3)} | "
            f"{held[0]} / {held[1]} | {statistics.median(vol) if vol else math.nan:.3g} |"
        )
    return "\n".join(lines)


def _kept(notes: Sequence[dict]) -> float:
    """The full sprint's space volume over the original's: the proposals' ratios multiplied."""
    ratios = [n.get("volume_ratio") for n in notes[:-1]]
    return float(np.prod([1.0 if r is None else r for r in ratios]))


def _med(values: Sequence[float]) -> str:
    return f"{statistics.median(values):.2f}" if values else "–"


def runtime(runs: Sequence[Run], methods: Sequence[str], jobs: int) -> str:
    """Mean CPU seconds per run by method, and the whole run's CPU time over ``jobs`` cores:
    the wall time on an idle machine (a shared one takes longer)."""
    parts = []
    for m in methods:
        cpu = [r.cpu for r in runs if r.method == m and not math.isnan(r.cpu)]
        if cpu:
            parts.append(f"{m} {statistics.mean(cpu):.1f} s")
    total = sum(r.cpu for r in runs if not math.isnan(r.cpu))
    return (
        f"CPU per run: {', '.join(parts)}; {total / 60:.1f} CPU-minutes in all, "
        f"{total / 60 / jobs:.1f} min on {jobs} idle cores"
    )


# -- plot -------------------------------------------------------------------------------
COLORS = {
    "sprints": "#d62728",
    "tpe+hyperband": "#1f77b4",
    "tpe": "#17becf",
    "gp_minimize": "#2ca02c",
    "random": "#7f7f7f",
    "top-k": "#ff7f0e",
    "sprints/gated-pruner": "#9467bd",
    "sprints/gp-final": "#8c564b",
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


# -- the document -----------------------------------------------------------------------
def write_doc(block: str) -> None:
    """Replace the generated block of the Strategy section; create what is missing."""
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n"
    wrapped = f"{BEGIN}\n{block.strip()}\n{END}"
    if BEGIN in text and END in text:
        pre, rest = text.split(BEGIN, 1)
        text = pre + wrapped + rest.split(END, 1)[1]
    elif "\n## Strategy" in text:
        pre, rest = text.split("\n## Strategy", 1)
        heading, _, body = rest.partition("\n")
        text = f"{pre}\n## Strategy{heading}\n\n{wrapped}\n{body}"
    else:
        text = text.rstrip("\n") + f"\n\n## Strategy\n\n{wrapped}\n"
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text, encoding="utf-8")


def report(
    runs: Sequence[Run],
    probs: dict[str, Problem],
    names: Sequence[str],
    methods: Sequence[str],
    seeds: dict[str, int],
    budget: float,
    levels: Sequence[float],
    acq: str,
    wall: float,
    jobs: int,
) -> str:
    reg = regrets(runs, probs, levels, scales(runs, probs))
    spent = max(r.evaluations[-1].spent for r in runs if r.evaluations)
    seed_text = ", ".join(f"{n} {seeds[n]}" for n in names)
    problem_lines = "\n".join(f"- **{n}**: {probs[n].description}." for n in names)
    return f"""\
Generated by `bench/strategy.py` (seeds: {seed_text}; budget {budget:g} full-fidelity
evaluations; GP acquisition optimiser `{acq}`; {wall / 60:.1f} min on this machine).

Problems:
{problem_lines}

Normalized regret of each method's recommendation (its best configuration at the highest
fidelity it measured, valued at full fidelity): 0 at the optimum, 1 at the median random
configuration. Median [25th, 75th percentile] over seeds; bold is the best median per column.

{table(reg, names, methods, levels)}

What the advisor did in the pipeline (the gate compares carried-over configurations across
two sprints' fidelities; the volume is the full sprint's space over the spec's, median):

{diagnostics(runs, names)}

Budget accounting: the largest total any run charged was {spent:.2f} (a run stops asking once
its budget is spent; the trial in flight may overrun it, and is not counted at the budget
levels). {runtime(runs, methods, jobs)}.

![regret vs budget](benchmarks/strategy.png)
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 seeds, budget 15")
    parser.add_argument("--seeds", type=int, default=10, help="seeds per synthetic problem")
    parser.add_argument("--digits-seeds", type=int, default=3)
    parser.add_argument("--budget", type=float, default=50.0)
    parser.add_argument("--levels", type=float, nargs=3, default=(10.0, 25.0, 50.0))
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--acq", choices=("auto", "lbfgs", "sampling"), default="sampling")
    parser.add_argument("--problems", nargs="+", default=None)
    parser.add_argument(
        "--methods", nargs="+", default=list(METHODS), choices=[*METHODS, *VARIANTS]
    )
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--save", type=Path, help="pickle the runs here, to re-analyse later")
    parser.add_argument(
        "--load", type=Path, nargs="+", help="analyse pickled runs instead of running"
    )
    args = parser.parse_args(argv)
    probs = problems()
    names = args.problems or list(probs)
    if args.quick:
        args.seeds, args.digits_seeds, args.budget = 2, 1, 15.0
        args.levels, args.no_write = (3.0, 7.0, 15.0), True
    grid = tuple(sorted({b for b in COARSE if b <= args.budget} | {*args.levels, args.budget}))
    seeds = {n: args.digits_seeds if n == "digits" else args.seeds for n in names}
    methods = [m for m in [*METHODS, *VARIANTS] if m in args.methods]
    print(f"strategy benchmark: {', '.join(names)}; {', '.join(methods)}; budget {args.budget:g}")
    start = time.perf_counter()
    if args.load:
        loaded = [pickle.loads(path.read_bytes()) for path in args.load]
        runs = [r for rs, _ in loaded for r in rs if r.problem in names and r.method in methods]
        wall = sum(w for _, w in loaded)
        names = [n for n in names if any(r.problem == n for r in runs)]
        seeds = {n: len({r.seed for r in runs if r.problem == n}) for n in names}
    else:
        runs = run_all(names, methods, seeds, args.budget, args.acq, args.jobs, grid)
        wall = time.perf_counter() - start
    if args.save:
        args.save.write_bytes(pickle.dumps((runs, wall)))
    text = report(
        runs, probs, names, methods, seeds, args.budget, args.levels, args.acq, wall, args.jobs
    )
    print()
    print(text)
    if not args.no_write:
        plot(runs, probs, names, methods, args.budget, args.levels, grid, PNG)
        write_doc(text)
        print(f"wrote {DOC.relative_to(REPO)} and {PNG.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
