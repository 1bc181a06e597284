"""Workers riding out PostgreSQL faults: how fast they resume, and what the faults cost.

(a) outage: 4 workers reach the server directly; once trials are done it is stopped, left
    down for --outage seconds and started again, --outages times. Figures (median and max):
    from the server being back (its start command returned) to the first trial asked (a
    storage write), the first trial completed, and every worker having completed one.
(b) cuts: 4 workers reach the server through a TCP proxy (tests/netproxy.py) that cuts every
    connection --cuts times, for a random 0.5-4 s each at random moments of the run (after a
    random number of trials done, a random fraction of a trial later).

For both: trials lost (completed before a fault, missing or changed after), trials miscounted
(the sprint's counted trials not exactly its budget, a trial or a handed-back configuration
counted twice), trials failed for the storage's fault, and workers that died. The goal is 0 for
each; the script exits 1 if one is missed (or a worker never resumed), 2 if it cannot run.

Run:
  .venv/bin/python bench/storage_faults.py --url postgresql+psycopg://postgres@127.0.0.1:5432/db \\
      --pg-stop "pg_ctl -D DATA -w stop -m fast" --pg-start "pg_ctl -D DATA -w start"
The URL defaults to $SPRINTOPT_BENCH_POSTGRES (else $SPRINTOPT_TEST_POSTGRES), the commands to
$SPRINTOPT_BENCH_PG_STOP and $SPRINTOPT_BENCH_PG_START (shell command lines; the start one must
return once the server accepts connections, as ``pg_ctl -w`` does). Without them (a) is skipped.
Workers run here, so trial times (stamped by the workers' clock) compare with this one's.
--heartbeat 1 makes (b)'s cuts outlast the grace period, so hand-backs race the owners' tells;
--keep DIR leaves the worker logs to read. Takes about 1 min for (a) and 3-4 min for (b).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TypeVar

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import optuna  # noqa: E402
from optuna.trial import FrozenTrial, TrialState  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.objectives import ONE_SPRINT_SPEC as SPEC  # noqa: E402
from engine.attrs import FAIL_REASON, RETRY_OF, WORKER  # noqa: E402
from engine.budget import counting  # noqa: E402
from engine.hosts import pid_alive  # noqa: E402
from engine.processes import signal_workers  # noqa: E402
from engine.records import WorkerRecord  # noqa: E402
from engine.session import Session  # noqa: E402
from engine.store import mask_url  # noqa: E402
from tests.netproxy import Proxy  # noqa: E402

WORKERS = 4
optuna.logging.set_verbosity(optuna.logging.ERROR)
warnings.filterwarnings("ignore")
T = TypeVar("T")


@dataclass
class Run:
    """One session run by ``sprintopt run`` in a scratch directory, its workers detached."""

    name: str
    url: str  # what the workers use
    direct: str  # what this script reads through (never cut)
    budget: int
    workdir: Path
    seen_complete: dict[int, tuple] = field(default_factory=dict)
    early_deaths: set[int] = field(default_factory=set)

    def look(self, read: Callable[[Session], T]) -> T:
        session = Session.open(self.name, self.direct, readonly=True)
        try:
            return read(session)
        finally:
            session.store.close()

    def trials(self) -> list[FrozenTrial]:
        return self.look(lambda s: s.trials(s.current()))

    def completed(self) -> dict[int, tuple]:
        return {
            t.number: (t.params, t.value) for t in self.trials() if t.state == TrialState.COMPLETE
        }

    def remember(self) -> None:
        """Note what is finished now: it must be there, unchanged, at the end."""
        self.seen_complete.update(self.completed())

    def state(self) -> str:
        return self.look(lambda s: s.refresh().state)

    def workers(self) -> list[WorkerRecord]:
        return self.look(lambda s: s.store.workers(s.record.id))

    def watch_workers(self) -> None:
        """Note workers whose process is gone while the session still runs (they died)."""
        if self.state() == "finished":
            return
        gone = {w.id for w in self.workers() if w.stopped_at is None and not pid_alive(w.pid)}
        if gone and self.state() != "finished":  # not those that left as it finished
            self.early_deaths |= gone

    def all_gone(self) -> bool:
        return all(not pid_alive(w.pid) for w in self.workers())

    def stop_workers(self) -> None:
        """SIGTERM whatever is left of the workers (their trials are handed back)."""
        if not self.all_gone():
            signal_workers(self.workers())
            wait(self.all_gone, 30, 0.5)


def start(url: str, direct: str, budget: int, workdir: Path, env: dict[str, str]) -> Run:
    name = f"bench-faults-{uuid.uuid4().hex[:8]}"
    spec = workdir / f"{name}.toml"
    spec.write_text(SPEC.format(name=name, objective="half_second", trials=budget))
    cmd = [sys.executable, "-m", "tui.cli", "run", str(spec), "--storage", url]
    cmd += ["--workers", str(WORKERS), "--no-tui"]
    out = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise SystemExit(f"error: sprintopt run failed: {out.stderr.strip()}")
    return Run(name, url, direct, budget, workdir)


def wait(predicate: Callable[[], bool], timeout: float, every: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return False


@dataclass
class Verdict:
    lost: int
    miscounted: int
    storage_failed: int
    died: int
    handed_back: int
    finished: bool
    details: list[str] = field(default_factory=list)  # what missed a goal, one line each

    @property
    def missed(self) -> bool:
        return not self.finished or any(
            (self.lost, self.miscounted, self.storage_failed, self.died)
        )


def finish(run: Run, timeout: float) -> Verdict:
    """Wait for the session to end, then judge it; workers still there are told to stop."""

    def over() -> bool:
        run.watch_workers()
        return run.state() == "finished"

    finished = wait(over, timeout, 0.5)
    if not finished or not wait(run.all_gone, 60, 0.5):
        run.stop_workers()
    trials = run.trials()
    handed_back = run.look(lambda s: s.store.retried_numbers(s.current().study_name))
    counted = counting(trials, handed_back)
    numbers = [t.number for t in counted]
    after = {t.number: (t.params, t.value) for t in trials if t.state == TrialState.COMPLETE}
    lost = sum(after.get(n) != v for n, v in run.seen_complete.items())
    twice = len(numbers) - len(set(numbers))
    twice += sum(t.user_attrs.get(RETRY_OF) in numbers for t in counted)
    miscounted = (abs(len(counted) - run.budget) if finished else 0) + twice
    # The objective never fails: a counted trial that did not complete failed for the storage.
    bad = [
        t
        for t in counted
        if t.state != TrialState.COMPLETE
        or "storage" in str(t.user_attrs.get(FAIL_REASON, "")).lower()
    ]
    details = [
        f"trial {t.number} counted as {t.state.name}"
        + (f" (copy of {t.user_attrs[RETRY_OF]})" if RETRY_OF in t.user_attrs else "")
        + f": {str(t.user_attrs.get(FAIL_REASON, 'no reason'))[:110]}"
        for t in bad
    ]
    details += [
        f"trial {n} lost or changed" for n, v in run.seen_complete.items() if after.get(n) != v
    ]
    died = set(run.early_deaths)
    for w in run.workers():  # judged by its log: a row may go stale if it left during a cut
        log = Path(w.log_path).read_text() if w.log_path and Path(w.log_path).exists() else ""
        if "Traceback" in log or "exits" not in log:
            died.add(w.id)
            details.append(f"worker {w.id} died (log {w.log_path})")
    return Verdict(lost, miscounted, len(bad), len(died), len(handed_back), finished, details)


def shell(command: str) -> None:
    # Not captured: a server started here would hold the pipes open.
    subprocess.run(
        command,
        shell=True,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=120,
    )


def outage(args: argparse.Namespace, workdir: Path, env: dict[str, str]) -> tuple[list, bool]:
    run = start(args.url, args.url, args.outage_trials * args.outages, workdir / "a", env)
    try:
        return _outage(args, run)
    finally:
        run.stop_workers()


def _outage(args: argparse.Namespace, run: Run) -> tuple[list, bool]:
    down: list[float] = []
    asked: list[float] = []  # the first storage write a worker makes for a trial: its ask
    first: list[float] = []
    everyone: list[float] = []
    for _ in range(args.outages):
        done = len(run.completed())
        if not wait(lambda n=done: len(run.completed()) >= n + 2 * WORKERS, 120):
            raise SystemExit("error: the workers completed no trials before the outage")
        run.remember()
        stopped = time.monotonic()
        shell(args.pg_stop)
        time.sleep(args.outage)
        shell(args.pg_start)
        down.append(time.monotonic() - stopped)
        back = datetime.now()

        def resumed(back: datetime = back) -> dict[int, float]:
            """Seconds from the server's return to each worker's first trial completed then."""
            seen: dict[int, float] = {}
            for t in run.trials():
                if t.state == TrialState.COMPLETE and t.datetime_complete > back:
                    wid, lag = (
                        t.user_attrs.get(WORKER),
                        (t.datetime_complete - back).total_seconds(),
                    )
                    seen[wid] = min(seen.get(wid, lag), lag)
            return seen

        if not wait(lambda: len(resumed()) >= WORKERS, 90, 0.2):
            return [f"(a) not every worker resumed after an outage: {len(resumed())}"], True
        per_worker = resumed()
        asked.append(
            min(
                (t.datetime_start - back).total_seconds()
                for t in run.trials()
                if t.datetime_start is not None and t.datetime_start > back
            )
        )
        first.append(min(per_worker.values()))
        everyone.append(max(per_worker.values()))
    verdict = finish(run, 300)
    rows: list = [
        f"(a) PostgreSQL stopped, {args.outage:g} s down, started, {args.outages} times; "
        f"{WORKERS} workers direct; median (max) from the server back",
        _spread("server away (stop issued to start returned)", down),
        _spread("first trial asked (a storage write)", asked),
        _spread("first trial completed", first),
        _spread(f"all {WORKERS} workers completed one", everyone),
        *_goals(verdict),
    ]
    return rows, verdict.missed


def _spread(what: str, seconds: list[float]) -> tuple[str, str, str]:
    return (what, f"{statistics.median(seconds):.2f} s", f"({max(seconds):.2f} s)")


def cuts(args: argparse.Namespace, workdir: Path, env: dict[str, str]) -> tuple[list, bool]:
    server = make_url(args.url)
    rng = random.Random(args.seed)
    with Proxy(server.host or "127.0.0.1", server.port or 5432) as proxy:
        via = make_url(args.url).set(host="127.0.0.1", port=proxy.port)
        url = via.render_as_string(hide_password=False)
        run = start(url, args.url, args.trials, workdir / "b", env)
        try:
            # Random moments spread over the whole run, whatever the machine's pace: each cut
            # comes a random fraction of a trial after a randomly drawn count of trials done.
            at = sorted(rng.sample(range(WORKERS, args.trials - 2 * WORKERS), args.cuts))
            cut_for: list[float] = []
            caught = 0  # trials running when a cut came
            started = time.monotonic()
            for count in at:
                reached = lambda n=count: len(run.completed()) >= n or run.state() == "finished"  # noqa: E731
                wait(reached, 300, 0.2)
                if run.state() == "finished":
                    break
                time.sleep(rng.uniform(0.0, 0.6))
                run.remember()
                run.watch_workers()
                seconds = rng.uniform(0.5, 4.0)
                proxy.cut()
                caught += sum(t.state == TrialState.RUNNING for t in run.trials())
                time.sleep(seconds)
                proxy.restore()
                cut_for.append(seconds)
            cutting = time.monotonic() - started
            verdict = finish(run, 600)
        finally:
            run.stop_workers()
    rows: list = [
        f"(b) {args.cuts} random cuts of 0.5-4 s through a proxy; {WORKERS} workers, "
        f"budget {args.trials}, heartbeat {env.get('SPRINTOPT_HEARTBEAT_SECONDS', '5')} s",
        ("cuts made", f"{len(cut_for)}", f"({sum(cut_for):.0f} s cut in {cutting:.0f} s)"),
        ("running trials at the cuts (summed)", f"{caught}", ""),
        ("new connections refused while cut", f"{proxy.dropped}", ""),
        ("trials handed back (re-queued)", f"{verdict.handed_back}", ""),
        *_goals(verdict),
    ]
    short = len(cut_for) < args.cuts
    if short:
        rows.append(("", "", "the run ended before all cuts: raise --trials"))
    return rows, verdict.missed or short


def _goals(v: Verdict) -> list[tuple[str, str, str]]:
    mark = lambda n: "goal 0" if n == 0 else "GOAL 0 MISSED"  # noqa: E731
    return [
        ("session finished", "yes" if v.finished else "NO", "" if v.finished else "MISSED"),
        ("trials lost", str(v.lost), mark(v.lost)),
        ("trials miscounted", str(v.miscounted), mark(v.miscounted)),
        ("trials failed for the storage's fault", str(v.storage_failed), mark(v.storage_failed)),
        ("workers that died", str(v.died), mark(v.died)),
        *(("", "", f"- {line}") for line in v.details),
    ]


def show(rows: list) -> None:
    for row in rows:
        if isinstance(row, str):
            print(row)
        else:
            what, figure, note = row
            if what:
                print(f"  {what:<44}: {figure:>8}  {note}".rstrip())
            else:
                print(f"      {note}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    env_url = os.environ.get("SPRINTOPT_BENCH_POSTGRES") or os.environ.get(
        "SPRINTOPT_TEST_POSTGRES"
    )
    parser.add_argument("--url", default=env_url, help="PostgreSQL URL (postgresql+psycopg://…)")
    parser.add_argument(
        "--pg-stop",
        metavar="CMD",
        default=os.environ.get("SPRINTOPT_BENCH_PG_STOP"),
        help="shell command that stops the server (default $SPRINTOPT_BENCH_PG_STOP)",
    )
    parser.add_argument(
        "--pg-start",
        metavar="CMD",
        default=os.environ.get("SPRINTOPT_BENCH_PG_START"),
        help="shell command that starts it and returns once it accepts connections "
        "(default $SPRINTOPT_BENCH_PG_START)",
    )
    parser.add_argument("--outage", type=float, default=3.0, help="seconds down in (a)")
    parser.add_argument("--outages", type=int, default=3, help="outages in (a), one after another")
    parser.add_argument("--outage-trials", type=int, default=40, help="(a)'s budget, per outage")
    parser.add_argument("--cuts", type=int, default=20, help="connection cuts in (b)")
    parser.add_argument("--trials", type=int, default=160, help="budget of (b)'s run")
    parser.add_argument("--seed", type=int, default=0, help="seeds (b)'s cut times and lengths")
    parser.add_argument(
        "--heartbeat",
        type=int,
        help="the workers' heartbeat seconds (default the product's, 5; a trial is handed back "
        "after 4 missed beats, so 1 makes the cuts hand trials back)",
    )
    parser.add_argument("--keep", metavar="DIR", help="leave specs and worker logs in DIR")
    parser.add_argument("--only", choices=["outage", "cuts"], help="run one part only")
    args = parser.parse_args()
    if not args.url or make_url(args.url).get_backend_name() != "postgresql":
        print("error: give a PostgreSQL URL (--url or $SPRINTOPT_BENCH_POSTGRES)", file=sys.stderr)
        return 2
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
        "SPRINTOPT_PATH": str(REPO),  # the workers import bench.objectives from here
    }
    env.pop("SPRINTOPT_STORAGE", None)
    if args.heartbeat is not None:
        env["SPRINTOPT_HEARTBEAT_SECONDS"] = str(args.heartbeat)
    print(f"storage faults on {mask_url(args.url)}, 0.5 s trials (10 reports each)")
    missed = False
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.keep or tmp)
        (work / "a").mkdir(parents=True, exist_ok=True)
        (work / "b").mkdir(exist_ok=True)
        if args.only != "cuts":
            if args.pg_stop and args.pg_start:
                rows, bad = outage(args, work, env)
                show(rows)
                missed |= bad
            else:
                print(
                    "(a) skipped: give --pg-stop and --pg-start (or $SPRINTOPT_BENCH_PG_STOP/START)"
                )
        if args.only != "outage":
            rows, bad = cuts(args, work, env)
            show(rows)
            missed |= bad
    print("all goals met" if not missed else "GOALS MISSED")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
