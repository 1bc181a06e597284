"""Engine overhead over plain Optuna, worker scaling on SQLite, and time spent in the objective.

Run: .venv/bin/python bench/engine_overhead.py [--trials 200] [--quick]
Prints its figures; compares ratios measured in one run (the machine is shared and noisy).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import optuna

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.objectives import ONE_SPRINT_SPEC as SPEC  # noqa: E402
from engine.read.model import trial_rows  # noqa: E402
from engine.session import Session  # noqa: E402
from engine.spec import parse_spec  # noqa: E402
from engine.store import Store  # noqa: E402
from engine.worker import WorkerOptions, run_worker  # noqa: E402
from tui.cli import main as cli  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.ERROR)
warnings.filterwarnings("ignore")


def plain_optuna(url: str, trials: int, tuned: bool) -> float:
    """Optuna's own loop; ``tuned`` gives it our SQLite settings (WAL, synchronous=NORMAL)."""
    storage = Store(url, create=True).optuna_storage() if tuned else url
    study = optuna.create_study(storage=storage, sampler=optuna.samplers.RandomSampler(0))
    start = time.perf_counter()
    for _ in range(trials):
        trial = study.ask({"x": optuna.distributions.FloatDistribution(0, 1)})
        value = (trial.params["x"] - 0.3) ** 2
        for step in range(1, 11):
            trial.report(value + 1 / step, step)
            trial.should_prune()
        study.tell(trial, value)
    return (time.perf_counter() - start) / trials


def create(url: str, name: str, objective: str, trials: int) -> Session:
    text = SPEC.format(name=name, objective=objective, trials=trials)
    return Session.create_or_resume(parse_spec(text), text, url, [str(REPO)]).session


def engine_in_process(url: str, trials: int) -> float:
    create(url, "overhead", "trivial", trials)
    start = time.perf_counter()
    run_worker(WorkerOptions("overhead", url, poll=0.01), handle_signals=False)
    return (time.perf_counter() - start) / trials


def with_workers(
    workdir: Path, name: str, objective: str, trials: int, workers: int
) -> tuple[float, float, float]:
    """Trials per second end to end (worker start-up included), and the share of worker time
    spent inside the objective end to end and in steady state (first trial start to last end)."""
    url = f"sqlite:///{workdir / (name + '.db')}"
    spec = workdir / f"{name}.toml"
    spec.write_text(SPEC.format(name=name, objective=objective, trials=trials))
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        start = time.perf_counter()
        assert cli(["run", str(spec), "--storage", url, "--workers", str(workers), "--no-tui"]) == 0
        session = Session.open(name, url, reap=False)
        while session.refresh().state != "finished":
            time.sleep(0.1)
        elapsed = time.perf_counter() - start
    finally:
        os.chdir(cwd)
    rows = trial_rows(session)
    inside = sum(r.wall_time or 0 for r in rows)
    ran = [t for s in session.sprints() for t in session.trials(s) if t.datetime_complete]
    span = max(t.datetime_complete for t in ran) - min(t.datetime_start for t in ran)
    steady = inside / (workers * span.total_seconds())
    return len(rows) / elapsed, inside / (workers * elapsed), steady


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="fewer trials, for a smoke run")
    args = parser.parse_args()
    n = 40 if args.quick else args.trials
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        plain = statistics.median(
            plain_optuna(f"sqlite:///{work}/plain{i}.db", n, False) for i in range(3)
        )
        tuned = statistics.median(
            plain_optuna(f"sqlite:///{work}/tuned{i}.db", n, True) for i in range(3)
        )
        ours = statistics.median(
            engine_in_process(f"sqlite:///{work}/ours{i}.db", n) for i in range(3)
        )
        print(f"per-trial time, trivial objective, 10 reports, {n} trials, SQLite:")
        print(f"  plain Optuna ask/tell, default SQLite : {plain * 1000:7.1f} ms")
        print(f"  plain Optuna ask/tell, our SQLite     : {tuned * 1000:7.1f} ms")
        print(
            f"  sprintopt worker                      : {ours * 1000:7.1f} ms  "
            f"(overhead over the same store {1000 * (ours - tuned):+.1f} ms, "
            f"x{ours / tuned:.2f})"
        )
        print("throughput, trivial objective, worker processes on one SQLite file:")
        for w in (1, 2, 4, 8):
            rate, _, _ = with_workers(
                work, f"scale{w}", "trivial", n * 2 if not args.quick else n, w
            )
            print(f"  {w} worker(s): {rate:6.1f} trials/s")
        trials = 16 if args.quick else 96
        rate, share, steady = with_workers(work, "share", "half_second", trials, 8)
        print(
            f"0.5 s objective, 8 workers, {trials} trials: {rate:.1f} trials/s; share of worker "
            f"time inside the objective: {100 * steady:.0f}% in steady state, "
            f"{100 * share:.0f}% end to end (process start-up included)"
        )


if __name__ == "__main__":
    main()
