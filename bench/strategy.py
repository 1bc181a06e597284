"""Is the strategy any good? The sprint pipeline against its peers on an equal budget.

Run: .venv/bin/python bench/strategy.py            # full run (~25 min on 2 idle cores)
     .venv/bin/python bench/strategy.py --quick    # smoke run (~1 min), writes nothing

The budget is counted in full-fidelity evaluations (bench/metering.py says how). Prints the
median and interquartile range of normalized regret at three budgets, then (unless --quick or
--no-write) puts the tables in docs/benchmarks.md (section "Strategy") and the regret-vs-budget
plot in docs/benchmarks/strategy.png.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import pickle
import sys
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
# One BLAS thread per process, set before numpy loads: the two processes are the parallelism,
# and OpenBLAS threads spinning against each other made GP fits four times slower.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")


from bench.pipelines import METHODS, VARIANTS, Run, run_method  # noqa: E402
from bench.problems import problems  # noqa: E402
from bench.report import report, write_doc  # noqa: E402

DOC = REPO / "docs" / "benchmarks.md"
PNG = REPO / "docs" / "benchmarks" / "strategy.png"
# Budgets the per-budget baseline runs at (each a separate run), and the plot marks it.
COARSE = (2, 5, 10, 15, 25, 35, 50, 75, 100)
# Slowest first, so the two processes finish together.
ORDER = ("gp_minimize", "sprints", *VARIANTS, "top-k", "tpe+hyperband", "tpe", "random")


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
    probs = problems()
    tasks = [
        (name, method, seed, budget, acq, grid)
        # Real models first: digits trains an MLP per trial, the slowest runs by far.
        for name in sorted(names, key=lambda n: probs[n].low_fidelity != "real")
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 seeds, budget 15")
    parser.add_argument("--seeds", type=int, default=10, help="seeds per problem but digits")
    parser.add_argument("--digits-seeds", type=int, default=3, help="seeds for the digits MLP")
    parser.add_argument("--budget", type=float, default=50.0)
    parser.add_argument("--levels", type=float, nargs=3, default=(10.0, 25.0, 50.0))
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--acq", choices=("auto", "lbfgs", "sampling"), default="auto")
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
    # Only the MLP on digits is too slow for --seeds; sgd-cancer, a real model too, costs a
    # seed what a synthetic problem does, and gets the same count.
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
    text = report(runs, probs, names, methods, seeds, args.budget, args.levels, wall, args.jobs)
    print()
    print(text)
    if not args.no_write:
        from bench.plot import plot

        plot(runs, probs, names, methods, args.budget, args.levels, grid, PNG)
        write_doc(text, DOC)
        print(f"wrote {DOC.relative_to(REPO)} and {PNG.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
