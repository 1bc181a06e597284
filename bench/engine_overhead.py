"""Engine overhead over plain Optuna, worker scaling, and time spent in the objective.

Run: .venv/bin/python bench/engine_overhead.py [--trials 200] [--quick] [--storage URL]
Prints its figures; compares ratios measured in one run (the machine is shared and noisy).
``--storage`` names a PostgreSQL database to measure beside SQLite (the sessions it makes
there carry this run's pid in their names and are left behind: give it a scratch database).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import optuna

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.objectives import ONE_SPRINT_SPEC as SPEC  # noqa: E402
from engine.attrs import WORKER  # noqa: E402
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


def create(url: str, name: str, objective: str, trials: int, sampler: str = "random") -> Session:
    text = SPEC.format(name=name, objective=objective, trials=trials)
    text = text.replace('sampler = "random"', f'sampler = "{sampler}"')
    return Session.create_or_resume(parse_spec(text), text, url, [str(REPO)]).session


def engine_in_process(url: str, trials: int, name: str = "overhead") -> float:
    create(url, name, "trivial", trials)
    start = time.perf_counter()
    run_worker(WorkerOptions(name, url, poll=0.01), handle_signals=False)
    return (time.perf_counter() - start) / trials


AT = (50, 200)  # history sizes at which a sampler's cost per trial is read


def _per_trial_at(ends: list[float], at: int) -> float:
    """Mean seconds between the completions of trials at-20 .. at (the cost at that history;
    ten gaps swung by half either way from one run to the next: a stall weighed too much)."""
    window = ends[at - 21 : at]
    return (window[-1] - window[0]) / (len(window) - 1)


def per_sampler(
    url: str, name: str, kind: str, trials: int
) -> tuple[dict[int, float], dict[int, float]]:
    """Seconds per trial of the sprintopt worker and of plain Optuna ask/tell with the same
    sampler on the same store, read at each history size in :data:`AT` up to ``trials``."""
    from engine.samplers import make_sampler
    from engine.space import FloatParam, Space

    session = create(url, name, "trivial", trials, kind)
    run_worker(WorkerOptions(session.name, url, poll=0.01), handle_signals=False)
    done = sorted(
        t.datetime_complete.timestamp()
        for t in session.trials(session.current())  # type: ignore[arg-type]
        if t.datetime_complete
    )
    ours = {a: _per_trial_at(done, a) for a in AT if a <= trials}
    space = Space((FloatParam("x", 0.0, 1.0),))
    study = optuna.create_study(
        storage=Store(url).optuna_storage(),
        sampler=make_sampler(kind, space, 0),  # type: ignore[arg-type]
    )
    ends = []
    for _ in range(trials):
        trial = study.ask(space.to_optuna())
        value = (trial.params["x"] - 0.3) ** 2
        for step in range(1, 11):
            trial.report(value + 1 / step, step)
        study.tell(trial, value)
        ends.append(time.perf_counter())
    plain = {a: _per_trial_at(ends, a) for a in AT if a <= trials}
    return ours, plain


@dataclass
class Scaling:
    end_to_end: float  # trials per second, worker start-up included
    steady: float  # trials per second from the first trial's start to the last one's end
    share: float  # of worker time inside the trial (its wall time), end to end
    steady_share: float  # the same from the first trial's start to the last one's end
    busy_share: float  # the same over each worker's own first trial start to its last end
    locked: int  # "database is locked" lines in the workers' logs


def with_workers(
    url: str, logs: Path, name: str, objective: str, trials: int, workers: int
) -> Scaling:
    """``workers`` worker processes (``sprintopt run --workers``) on one sprint of ``trials``."""
    spec = logs / f"{name}.toml"
    spec.write_text(SPEC.format(name=name, objective=objective, trials=trials))
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):  # run's own "session ... started" lines
            code = cli(["run", str(spec), "--storage", url, "--workers", str(workers), "--no-tui"])
        assert code == 0
        session = Session.open(name, url, reap=False)
        while session.refresh().state != "finished":
            time.sleep(0.1)
        elapsed = time.perf_counter() - start
    finally:
        os.chdir(cwd)
    rows = trial_rows(session)
    inside = sum(r.wall_time or 0 for r in rows)
    ran = [t for s in session.sprints() for t in session.trials(s) if t.datetime_complete]
    span = _span(ran)
    # Each worker from its own first trial to its own last: the 8 processes start over a second
    # or two on 2 cores, and the whole run's span counts that stagger as time outside trials.
    by_worker: dict[object, list[optuna.trial.FrozenTrial]] = {}
    for t in ran:
        by_worker.setdefault(t.user_attrs.get(WORKER), []).append(t)
    busy = sum(_span(ts) for ts in by_worker.values())
    folder = session.store.settings.log_dir(name, url)
    locked = (
        sum(f.read_text(errors="replace").count("database is locked") for f in folder.glob("*"))
        if folder.is_dir()
        else 0
    )
    return Scaling(
        len(rows) / elapsed,
        len(ran) / span,
        inside / (workers * elapsed),
        inside / (workers * span),
        inside / busy,
        locked,
    )


def _span(trials: list[optuna.trial.FrozenTrial]) -> float:
    """Seconds from the first trial's start to the last one's end."""
    first = min(t.datetime_start for t in trials if t.datetime_start)
    return (max(t.datetime_complete for t in trials if t.datetime_complete) - first).total_seconds()


def measure(
    label: str, url_for: Callable[[str], str], logs: Path, n: int, quick: bool, top: int
) -> None:
    """Every figure on one backend; ``url_for(name)`` is the store of the session ``name``
    (a file of its own on SQLite; on PostgreSQL one database, the names unique to this run)."""
    print(f"== {label} ==")
    tag = f"-{os.getpid()}"
    sqlite = url_for("x").startswith("sqlite")
    if sqlite:
        plain = statistics.median(plain_optuna(url_for(f"plain{i}"), n, False) for i in range(3))
    tuned = statistics.median(plain_optuna(url_for(f"tuned{i}"), n, True) for i in range(3))
    ours = statistics.median(
        engine_in_process(url_for(f"ours{i}"), n, f"ours{i}{tag}") for i in range(3)
    )
    print(f"per-trial time, trivial objective, 10 reports, {n} trials, random sampler:")
    if sqlite:
        print(f"  plain Optuna ask/tell, default SQLite : {plain * 1000:7.1f} ms")
    print(f"  plain Optuna ask/tell, our store      : {tuned * 1000:7.1f} ms")
    print(
        f"  sprintopt worker                      : {ours * 1000:7.1f} ms  "
        f"(overhead over the same store {1000 * (ours - tuned):+.1f} ms, x{ours / tuned:.2f})"
    )
    print("engine time per trial by sampler (ask + tell + bookkeeping, trivial objective):")
    for kind in ("random", "tpe", "gp"):
        mine, theirs = per_sampler(url_for(f"s-{kind}"), f"s-{kind}{tag}", kind, top)
        for at in mine:
            print(
                f"  {kind:6} at {at:3} trials: sprintopt {1000 * mine[at]:7.1f} ms, plain "
                f"Optuna {1000 * theirs[at]:7.1f} ms (x{mine[at] / theirs[at]:.2f})"
            )
    print("throughput, trivial objective, worker processes on one store:")
    for w in (1, 2, 4, 8):
        name = f"scale{w}{tag}"
        got = with_workers(url_for(name), logs, name, "trivial", n * 2 if not quick else n, w)
        print(
            f"  {w} worker(s): {got.steady:6.1f} trials/s steady, {got.end_to_end:6.1f} end to "
            f"end (start-up included); 'database is locked' in the logs: {got.locked}"
        )
    trials = 16 if quick else 96
    got = with_workers(url_for(f"share{tag}"), logs, f"share{tag}", "half_second", trials, 8)
    print(
        f"0.5 s objective, 8 workers, {trials} trials: {got.steady:.1f} trials/s steady; share of "
        f"worker time inside the trial: {100 * got.busy_share:.0f}% in steady state (each "
        f"worker from its first trial to its last), {100 * got.steady_share:.0f}% from the first "
        f"trial's start to the last one's end, {100 * got.share:.0f}% end to end (process "
        f"start-up included); 'database is locked' in the logs: {got.locked}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="fewer trials, for a smoke run")
    parser.add_argument(
        "--storage", help="a PostgreSQL URL to measure beside SQLite (a database of its own)"
    )
    parser.add_argument("--skip-sqlite", action="store_true", help="only the --storage figures")
    parser.add_argument(
        "--sampler-trials",
        type=int,
        default=max(AT),
        help="trials per sampler for the engine's time per trial (its figures at 50 and 200)",
    )
    args = parser.parse_args()
    n = 40 if args.quick else args.trials
    top = 50 if args.quick else args.sampler_trials
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if not args.skip_sqlite:
            measure("SQLite", lambda name: f"sqlite:///{work / name}.db", work, n, args.quick, top)
        if args.storage:
            url = args.storage
            measure("PostgreSQL", lambda name: url, work, n, args.quick, top)


if __name__ == "__main__":
    main()
