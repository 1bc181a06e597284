"""What the app costs on a big session: the first screen with its data, one refresh, the app's
memory, and worker throughput with the app attached and refreshing versus without.

Run: .venv/bin/python bench/tui_refresh.py [--keep DIR] [--big] [--refreshes 9]
     [--trials 10000] [--skip-throughput]
Prints its figures (it asserts none) for a SQLite session of ``--trials`` trials and, with
``--big``, of 100,000 too. The sessions are written in bulk (seconds; Optuna's ``add_trials``
writes each trial in its own transaction: minutes for 10,000, hours for 100,000); pass
``--keep DIR`` to build them once and reuse them. Every measurement runs on a copy, so a kept
session never changes. The app's figures come from a fresh interpreter, as a user starts it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from optuna.distributions import (  # noqa: E402
    CategoricalDistribution,
    FloatDistribution,
    distribution_to_json,
)
from optuna.trial import TrialState  # noqa: E402

from engine.optuna_internals import quiet_optuna, stored_time  # noqa: E402
from engine.processes import start_workers  # noqa: E402
from engine.read.model import trial_rows  # noqa: E402
from engine.read.views import Dashboard, Watch  # noqa: E402
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
BIG = 100_000


def create(
    directory: Path, name: str, trials: int, pruner: str = "hyperband"
) -> tuple[str, Session]:
    url = f"sqlite:///{directory / (name + '.db')}"
    text = SPEC.format(name=name, trials=trials, pruner=pruner)
    spec = parse_spec(text)
    opened = Session.create_or_resume(spec, text, url, [str(REPO)])
    return url, opened.session


def fill(session: Session, n: int) -> None:
    """``n`` finished trials: three in four pruned at a Hyperband rung, the rest complete.

    Written in one transaction through Optuna's own table definitions, in Optuna's storage
    formats (what ``study.add_trials`` would write, without a transaction per trial).
    """
    from optuna.storages._rdb import models

    storage = session.store.optuna_storage()
    sprint = session.current()
    assert sprint is not None
    study_id = storage.get_study_id_from_name(sprint.study_name)
    rng = random.Random(0)
    choices = ["adam", "sgd"]
    dists = {"x": FloatDistribution(0, 1), "opt": CategoricalDistribution(choices)}
    as_json = {k: distribution_to_json(d) for k, d in dists.items()}
    finite = models.TrialValueModel.TrialValueType.FINITE
    step_finite = models.TrialIntermediateValueModel.TrialIntermediateValueType.FINITE
    began = stored_time(datetime.now()) - timedelta(seconds=n)
    rows: dict[Any, list[dict[str, Any]]] = {
        m.__table__: []
        for m in (
            models.TrialModel,
            models.TrialParamModel,
            models.TrialValueModel,
            models.TrialIntermediateValueModel,
            models.TrialUserAttributeModel,
            models.TrialSystemAttributeModel,
        )
    }
    tables = list(rows)
    for i in range(n):
        tid = i + 1
        x, opt = rng.random(), rng.choice(choices)
        steps = rng.choice([1, 3, 9, 9]) if i % 4 else 9
        curve = {s: (x - 0.3) ** 2 + 1 / s for s in range(1, steps + 1)}
        start = began + timedelta(seconds=i)
        rows[tables[0]].append(
            {
                "trial_id": tid,
                "number": i,
                "study_id": study_id,
                "state": TrialState.COMPLETE if steps == 9 else TrialState.PRUNED,
                "datetime_start": start,
                "datetime_complete": start + timedelta(seconds=0.5),
            }
        )
        for name, value in (("x", x), ("opt", float(choices.index(opt)))):
            rows[tables[1]].append(
                {
                    "trial_id": tid,
                    "param_name": name,
                    "param_value": value,
                    "distribution_json": as_json[name],
                }
            )
        rows[tables[2]].append(
            {"trial_id": tid, "objective": 0, "value": curve[steps], "value_type": finite}
        )
        for s, v in curve.items():
            rows[tables[3]].append(
                {
                    "trial_id": tid,
                    "step": s,
                    "intermediate_value": v,
                    "intermediate_value_type": step_finite,
                }
            )
        for key, value in (("sprintopt.wall_time", 0.5), ("sprintopt.worker", 1 + i % 2)):
            rows[tables[4]].append({"trial_id": tid, "key": key, "value_json": json.dumps(value)})
        for r in range(3):
            if 3**r <= steps:
                rows[tables[5]].append(
                    {
                        "trial_id": tid,
                        "key": f"completed_rung_{r}",
                        "value_json": json.dumps(curve[3**r]),
                    }
                )
    with storage.engine.begin() as conn:
        for table, batch in rows.items():
            conn.execute(table.insert(), batch)


def built(base: Path, trials: int) -> tuple[str, str]:
    """The ``trials``-trial session in ``base`` (built there if missing): (name, url)."""
    name = "big" if trials == 10_000 else f"big{trials}"
    if not (base / f"{name}.db").exists():
        t = time.perf_counter()
        _, session = create(base, name, trials)
        fill(session, trials)
        session.store.close()
        print(f"(built a {trials}-trial session in {time.perf_counter() - t:.0f} s)")
    return name, f"sqlite:///{base / (name + '.db')}"


def copied(base: Path, name: str, scratch: Path, label: str) -> str:
    """A copy of the kept session's database in a folder of its own."""
    into = scratch / label
    into.mkdir()
    shutil.copy(base / f"{name}.db", into / f"{name}.db")
    return f"sqlite:///{into / (name + '.db')}"


def settled(watch: Watch, limit: float = 120) -> Dashboard:
    """A dashboard once the live importance (worked out in a thread of its own) is in."""
    deadline = time.monotonic() + limit
    while True:
        d = watch.dashboard()
        if d.partial:
            continue  # a big session's first poll: the events and charts come with the next
        if d.charts is None or "being computed" not in d.charts.importance_title:
            return d
        if time.monotonic() > deadline:
            raise SystemExit("the importance was not computed within the limit")
        time.sleep(0.2)


def median_ms(
    call: Callable[[], object], n: int, before: Callable[[], object] | None = None
) -> float:
    times = []
    for _ in range(n):
        if before is not None:
            before()
        t = time.perf_counter()
        call()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def refresh_figures(name: str, url: str, refreshes: int) -> None:
    from textual.app import App, ComposeResult

    from tui.widgets.trials_table import TrialsTable

    watch = Watch(name, url)
    t = time.perf_counter()
    d = watch.dashboard()
    cold = time.perf_counter() - t
    whole = cold
    if d.partial:  # the trials only: the next poll reads the events and charts
        t = time.perf_counter()
        watch.dashboard()
        whole += time.perf_counter() - t
    d = settled(watch)
    quiet = median_ms(watch.dashboard, refreshes)
    # A live session: one trial finished between two polls (written by a session of our own).
    session = Session.open(name, url)
    sprint = session.current()
    assert sprint is not None
    study = session.study(sprint)

    def finish_one() -> None:
        trial = study.ask()
        trial.suggest_float("x", 0.0, 1.0)
        trial.suggest_categorical("opt", ["adam", "sgd"])
        trial.report(0.5, 1)
        study.tell(trial, 0.5)

    live = median_ms(watch.dashboard, refreshes, finish_one)
    n = len(d.view.trials)
    print(f"read model, first read (cold):          {cold * 1000:8.0f} ms  ({n} trials)")
    if whole != cold:
        print(f"read model, and the next poll (events): {whole * 1000:8.0f} ms  (first partial)")
    print(f"read model, a poll, nothing changed:    {quiet:8.0f} ms  (median of {refreshes})")
    print(f"read model, a poll, one trial finished: {live:8.0f} ms  (median of {refreshes})")

    class Bench(App[None]):
        def compose(self) -> ComposeResult:
            yield TrialsTable()

    async def table() -> tuple[float, float, float]:
        app = Bench()
        async with app.run_test(size=(120, 40)):
            tt = app.query_one(TrialsTable)
            rows = tuple(d.view.trials)
            tt.params = ("x", "opt")
            t = time.perf_counter()
            tt.rows = rows
            fill_s = time.perf_counter() - t
            times = []
            for i in range(refreshes):
                changed = list(rows)
                changed[i] = changed[i].__class__(**{**changed[i].__dict__, "value": -1.0 - i})
                t = time.perf_counter()
                tt.rows = tuple(changed)
                times.append(time.perf_counter() - t)
            t = time.perf_counter()
            tt.filter_text = "state=complete x<0.5"
            filt = time.perf_counter() - t
        return fill_s * 1000, statistics.median(times) * 1000, filt * 1000

    fill_ms, one_row, filt = asyncio.run(table())
    print(f"table, first fill of all rows:          {fill_ms:8.0f} ms")
    print(f"table, a poll with one changed row:     {one_row:8.0f} ms")
    print(f"table, a filter over all rows:          {filt:8.0f} ms")
    print(f"one refresh, nothing changed (read + table): {quiet + one_row:5.0f} ms")
    print(f"one refresh, one trial finished:        {live + one_row:8.0f} ms")
    session.store.close()
    watch.close()


def app_figures(name: str, url: str) -> dict[str, float]:
    """Run in a fresh interpreter: the app's first frame, first screen with data, and memory."""
    from tui import source
    from tui.app import create_app
    from tui.screens.dashboard import DashboardScreen

    out: dict[str, float] = {}
    poll = source.EngineSource.dashboard

    def timed(self: source.EngineSource, sprint: int | None = None) -> Dashboard:
        d = poll(self, sprint)  # the engine's part, in the poll's thread
        out.setdefault("poll_ms", (time.perf_counter() - t) * 1000)
        return d

    source.EngineSource.dashboard = timed  # type: ignore[method-assign]
    t = time.perf_counter()

    async def run() -> None:
        app = create_app(name, url, poll_seconds=0.5)
        async with app.run_test(size=(120, 40)) as pilot:
            # Plain sleeps: Pilot.pause would redraw the screen at every check, and a main
            # thread kept busy slows the poll's thread (each SQLite row hands the GIL over).
            while not isinstance(app.screen, DashboardScreen):
                await asyncio.sleep(0.01)
            out["frame_ms"] = (time.perf_counter() - t) * 1000
            while app.screen.dashboard is None:
                await asyncio.sleep(0.01)
            out["data_ms"] = (time.perf_counter() - t) * 1000
            while app.screen.dashboard.partial:  # the events and charts, at the next poll
                await asyncio.sleep(0.01)
            out["whole_ms"] = (time.perf_counter() - t) * 1000
            out["rss_first_mb"] = _rss_mb("VmRSS")
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:  # polls go on until the importance is in
                charts = app.screen.dashboard.charts
                if charts is None or "being computed" not in charts.importance_title:
                    break
                await pilot.pause(0.2)
            await pilot.pause(2)  # a few more polls at 0.5 s
            out["rss_mb"] = _rss_mb("VmRSS")
            out["peak_mb"] = _rss_mb("VmHWM")

    asyncio.run(run())
    return out


def _rss_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def first_screen(name: str, url: str) -> None:
    code = (
        "import json, sys; sys.path.insert(0, 'bench'); import tui_refresh as b; "
        f"print(json.dumps(b.app_figures({name!r}, {url!r})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    fig = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"app, time to first screen (frame):      {fig['frame_ms']:8.0f} ms")
    print(f"app, time to the first poll's data:     {fig['poll_ms']:8.0f} ms")
    print(f"app, time to first screen (with data):  {fig['data_ms']:8.0f} ms")
    print(f"app, time to the events and charts too: {fig['whole_ms']:8.0f} ms")
    print(f"app, memory at the first screen (RSS):  {fig['rss_first_mb']:8.0f} MB")
    print(
        f"app, memory once settled (RSS, peak):   {fig['rss_mb']:8.0f} MB, {fig['peak_mb']:.0f} MB"
    )


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
    p.add_argument("--big", action="store_true", help=f"also measure {BIG:,} trials")
    p.add_argument("--refreshes", type=int, default=9, help="polls each median is taken over")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--work-trials", type=int, default=300)
    p.add_argument("--skip-throughput", action="store_true")
    p.add_argument("--keep", help="directory to keep (and reuse) the big sessions in")
    args = p.parse_args()
    base = Path(args.keep or tempfile.mkdtemp(prefix="sprintopt-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    for trials in [args.trials] + [BIG] * args.big:
        name, _ = built(base, trials)
        print(f"-- {trials:,} trials, SQLite")
        with tempfile.TemporaryDirectory(prefix="sprintopt-bench-run-") as scratch:
            refresh_figures(name, copied(base, name, Path(scratch), "read"), args.refreshes)
            first_screen(name, copied(base, name, Path(scratch), "app"))
    if args.skip_throughput:
        return
    with tempfile.TemporaryDirectory(prefix="sprintopt-bench-tp-") as scratch:
        tp = Path(scratch)
        alone = throughput(tp, args.workers, args.work_trials, None)
        label = "worker throughput, no app:".ljust(40)
        print(f"{label}{alone:8.1f} trials/s ({args.workers} workers)")
        for poll in (2.0, 0.5):  # the default, and four times as often
            with_app = throughput(tp, args.workers, args.work_trials, poll)
            label = f"worker throughput, app polling {poll:g} s:".ljust(40)
            print(f"{label}{with_app:8.1f} trials/s ({with_app / alone:.2f} of without)")


if __name__ == "__main__":
    main()
