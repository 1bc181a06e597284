"""What the app costs: one refresh of a 10,000-trial session, time to first screen, and worker
throughput with the app attached and refreshing versus without.

Run: .venv/bin/python bench/tui_refresh.py [--trials 10000] [--workers 2] [--work-trials 300]
Prints its figures. Building the big session takes a minute or two (Optuna writes each trial in
its own transaction); pass --keep DIR to build it once and reuse it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from optuna.distributions import CategoricalDistribution, FloatDistribution  # noqa: E402
from optuna.trial import TrialState, create_trial  # noqa: E402

from engine.optuna_internals import quiet_optuna  # noqa: E402
from engine.processes import start_workers  # noqa: E402
from engine.read.model import trial_rows  # noqa: E402
from engine.read.views import Watch  # noqa: E402
from engine.session import Session  # noqa: E402
from engine.spec import parse_spec  # noqa: E402

quiet_optuna()
SPEC = """
[session]
name = "{name}"
direction = "minimize"
objective = "bench.objectives:trivial"
[space.x]
type = "float"
low = 0.0
high = 1.0
[space.opt]
type = "categorical"
choices = ["adam", "sgd"]
[fidelity]
max = 9
[[sprints]]
name = "only"
sampler = "random"
pruner = "{pruner}"
trials = {trials}
fidelity = {{ epochs = 9 }}
"""


def create(
    directory: Path, name: str, trials: int, pruner: str = "hyperband"
) -> tuple[str, Session]:
    url = f"sqlite:///{directory / (name + '.db')}"
    text = SPEC.format(name=name, trials=trials, pruner=pruner)
    spec = parse_spec(text)
    opened = Session.create_or_resume(spec, text, url, [str(REPO)])
    return url, opened.session


def fill(session: Session, n: int) -> None:
    """``n`` finished trials: three in four pruned at a Hyperband rung, the rest complete."""
    rng = random.Random(0)
    dists = {"x": FloatDistribution(0, 1), "opt": CategoricalDistribution(["adam", "sgd"])}
    out = []
    for i in range(n):
        x, opt = rng.random(), rng.choice(["adam", "sgd"])
        steps = rng.choice([1, 3, 9, 9]) if i % 4 else 9
        curve = {s: (x - 0.3) ** 2 + 1 / s for s in range(1, steps + 1)}
        rungs = {f"completed_rung_{r}": curve[3**r] for r in range(3) if 3**r <= steps}
        out.append(
            create_trial(
                state=TrialState.COMPLETE if steps == 9 else TrialState.PRUNED,
                value=curve[steps],
                params={"x": x, "opt": opt},
                distributions=dists,
                intermediate_values=curve,
                user_attrs={"sprintopt.wall_time": 0.5, "sprintopt.worker": 1 + i % 2},
                system_attrs=rungs,
            )
        )
    session.study(session.current()).add_trials(out)


def refresh_figures(name: str, url: str) -> None:
    from tui.widgets.trials_table import TrialsTable

    watch = Watch(name, url)
    t = time.perf_counter()
    d = watch.dashboard()
    cold = time.perf_counter() - t
    warm = []
    for _ in range(5):
        t = time.perf_counter()
        d = watch.dashboard()
        warm.append(time.perf_counter() - t)
    n = len(d.view.trials)
    print(f"read model, first read (cold cache):    {cold * 1000:8.0f} ms  ({n} trials)")
    print(f"read model, each later poll (median):   {statistics.median(warm) * 1000:8.0f} ms")

    from textual.app import App

    class Bench(App[None]):
        def compose(self):
            yield TrialsTable()

    async def table() -> None:
        app = Bench()
        async with app.run_test(size=(120, 40)):
            tt = app.query_one(TrialsTable)
            rows = tuple(d.view.trials)
            tt.params = ("x", "opt")
            t = time.perf_counter()
            tt.rows = rows
            fill_s = time.perf_counter() - t
            times = []
            for i in range(5):
                changed = list(rows)
                changed[i] = changed[i].__class__(**{**changed[i].__dict__, "value": -1.0 - i})
                t = time.perf_counter()
                tt.rows = tuple(changed)
                times.append(time.perf_counter() - t)
            t = time.perf_counter()
            tt.filter_text = "state=complete x<0.5"
            filt = time.perf_counter() - t
        print(f"table, first fill of all rows:          {fill_s * 1000:8.0f} ms")
        print(f"table, a poll with one changed row:     {statistics.median(times) * 1000:8.0f} ms")
        print(f"table, a filter over all rows:          {filt * 1000:8.0f} ms")
        print(
            "one refresh (warm read + table update): "
            f"{(statistics.median(warm) + statistics.median(times)) * 1000:8.0f} ms"
        )

    asyncio.run(table())
    watch.close()


def first_screen(name: str, url: str) -> None:
    from tui.app import create_app
    from tui.screens.dashboard import DashboardScreen

    async def run() -> None:
        t = time.perf_counter()
        app = create_app(name, url)
        async with app.run_test(size=(80, 24)) as pilot:
            while not isinstance(app.screen, DashboardScreen):
                await pilot.pause(0.01)
            frame = time.perf_counter() - t
            while app.screen.dashboard is None:
                await pilot.pause(0.01)
            data = time.perf_counter() - t
        print(f"time to first screen (frame):           {frame * 1000:8.0f} ms")
        print(f"time to first screen (with its data):   {data * 1000:8.0f} ms")

    asyncio.run(run())


def throughput(base: Path, workers: int, trials: int, poll: float | None) -> float:
    """Completed trials per second; with ``poll``, the real app (headless) polls meanwhile."""
    attached = poll is not None
    name = f"tp{int(poll * 10) if attached else 'n'}"
    url, session = create(base, name, trials, pruner="none")
    env = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = os.pathsep.join([str(REPO), env])
    app = None
    if attached:
        code = (
            "from tui.app import create_app; "
            f"create_app({name!r}, {url!r}, poll_seconds={poll}).run(headless=True)"
        )
        app = subprocess.Popen([sys.executable, "-c", code], cwd=REPO)
        time.sleep(3)
    start = time.perf_counter()
    start_workers(name, url, workers)
    while session.refresh().state != "finished":
        time.sleep(0.2)
    elapsed = time.perf_counter() - start
    if app is not None:
        app.terminate()
        app.wait(10)
    done = sum(r.state == "complete" for r in trial_rows(session))
    return done / elapsed


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--trials", type=int, default=10_000)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--work-trials", type=int, default=300)
    p.add_argument("--keep", help="directory to keep (and reuse) the big session in")
    args = p.parse_args()
    base = Path(args.keep or tempfile.mkdtemp(prefix="sprintopt-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{base / 'big.db'}"
    if not (base / "big.db").exists():
        t = time.perf_counter()
        _, session = create(base, "big", args.trials)
        fill(session, args.trials)
        print(f"(built a {args.trials}-trial session in {time.perf_counter() - t:.0f} s)")
    refresh_figures("big", url)
    first_screen("big", url)
    alone = throughput(base, args.workers, args.work_trials, None)
    print(f"worker throughput, no app:              {alone:8.1f} trials/s ({args.workers} workers)")
    for poll in (2.0, 0.5):  # the default, and four times as often
        with_app = throughput(base, args.workers, args.work_trials, poll)
        label = f"worker throughput, app polling {poll:g} s:".ljust(40)
        print(f"{label}{with_app:8.1f} trials/s ({with_app / alone:.2f} of without)")


if __name__ == "__main__":
    main()
