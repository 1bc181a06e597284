"""Two boxes on one PostgreSQL: box B is cut off from it for seconds, box A works on.

Box A is ``sprintopt run`` with its workers reaching the server directly; box B is two
``sprintopt worker`` processes that reach it through a proxy the test controls and name their
host ``box-b`` (``SPRINTOPT_HOST``), so box A judges them by heartbeat, not by pid. Once trials
are done and box B runs one, the proxy cuts box B off until box A has handed box B's running
trials back, then lets it in again.

Afterwards: the session finished with its budget exact, no trial (nor a handed-back trial's
configuration) counted twice, nothing finished before the cut lost or changed, no trial failed
for the storage's fault, box B's trials from the cut retried and finished by someone, and every
worker on both boxes lived to the end and left. Needs SPRINTOPT_TEST_POSTGRES (.ci/run sets it).
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from optuna.trial import FrozenTrial, TrialState
from sqlalchemy.engine import make_url

from engine.attrs import FAIL_REASON, HOST, RETRY_OF
from engine.budget import counting
from engine.hosts import HOST_ENV
from engine.read.model import trial_rows
from engine.session import Session
from engine.settings import Settings
from tests import conftest
from tests.netproxy import Proxy
from tests.services import needs_postgres
from tests.support import wait_for

URL = os.environ.get("SPRINTOPT_TEST_POSTGRES")
pytestmark = needs_postgres(URL, "a PostgreSQL server both boxes share")

A_WORKERS = 2
B_WORKERS = 2
BUDGET = 32
BOX_B = "box-b"
B_STEP_SECONDS = 2.0  # box A's take 0.4 s
T = TypeVar("T")


def _via(proxy: Proxy) -> str:
    """The storage URL as box B sees it: the same database, through the proxy."""
    url = make_url(URL).set(host="127.0.0.1", port=proxy.port)
    return url.render_as_string(hide_password=False)


def _look(name: str, read: Callable[[Session], T]) -> T:
    """One read over box A's own (direct) link, on a read-only handle."""
    session = Session.open(name, URL, readonly=True)
    try:
        return read(session)
    finally:
        session.store.close()


def _trials(session: Session) -> list[FrozenTrial]:
    return session.trials(session.current())


def _b_running(session: Session) -> set[int]:
    return {
        t.number
        for t in _trials(session)
        if t.state == TrialState.RUNNING and t.user_attrs.get(HOST) == BOX_B
    }


def _retried(session: Session) -> set[int]:
    return session.store.retried_numbers(session.current().study_name)


def _completed(session: Session) -> dict[int, tuple]:
    return {r.number: (r.params, r.value) for r in trial_rows(session) if r.state == "complete"}


def _box_b_dir(sd: conftest.SessionDir) -> Path:
    """Box B's own copy of the objective, whose steps take longer than box A's: box B has a
    trial running for the cut to catch nearly all the time, however loaded the machine."""
    folder = sd.path / "box-b"
    folder.mkdir(exist_ok=True)
    (folder / "objs.py").write_text((sd.path / "objs.py").read_text())
    (folder / "slow").write_text(str(B_STEP_SECONDS))
    return folder


def _start_box_b(sd: conftest.SessionDir, name: str, url: str, i: int) -> subprocess.Popen:
    env = {**conftest.test_env(), HOST_ENV: BOX_B, "PYTHONUNBUFFERED": "1"}
    with (sd.path / f"box-b-{i}.log").open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "tui.cli", "worker", name, "--storage", url],
            cwd=_box_b_dir(sd),  # the objective (objs.py) is imported from the working directory
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _logs(paths: list[Path]) -> str:
    return "".join(p.read_text() for p in paths)


def test_a_box_cut_off_its_storage_loses_and_double_counts_nothing(session_dir):
    name = f"two{uuid.uuid4().hex[:8]}"
    sd = session_dir(name=name, sprints=[{"name": "a", "trials": BUDGET, "epochs": 2}])
    sd.slow(0.4)
    server = make_url(URL)
    with Proxy(server.host or "127.0.0.1", server.port or 5432) as proxy:
        out = sd.cli("run", "spec.toml", "--storage", URL, "--workers", str(A_WORKERS), "--no-tui")
        assert out.returncode == 0, out.stderr
        box_b = [_start_box_b(sd, name, _via(proxy), i) for i in range(B_WORKERS)]
        try:
            _cut_off_box_b(sd, name, proxy, box_b)
        finally:
            for proc in box_b:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()


def _cut_off_box_b(
    sd: conftest.SessionDir, name: str, proxy: Proxy, box_b: list[subprocess.Popen]
) -> None:
    wait_for(lambda: len(_look(name, _completed)) >= 3 and _look(name, _b_running), timeout=60)
    # Cut while box B runs a trial; if its trials ended in the instant before, let it back in
    # and cut again at its next one.
    for _ in range(5):
        before = _look(name, _completed)
        proxy.cut()
        at_cut = _look(name, _b_running)  # box B can no longer change these
        if at_cut:
            break
        proxy.restore()
        wait_for(lambda: _look(name, _b_running), timeout=90, what="box B to run a trial again")
    assert at_cut, "box B never had a trial running at the cut"
    # The cut lasts until box A's reaper has handed box B's running trials back (their
    # heartbeats go stale after the grace period); box B cannot have reached the storage meanwhile.
    wait_for(
        lambda: at_cut <= _look(name, _retried),
        timeout=Settings.from_environ().grace_period * 4 + 10,
    )
    assert proxy.dropped > 0  # box B tried to reconnect during the cut, and could not
    proxy.restore()

    wait_for(lambda: _look(name, lambda s: s.refresh().state) == "finished", timeout=90)
    session = Session.open(name, URL, readonly=True)
    try:
        trials = _trials(session)
        handed_back = _retried(session)
        after = _completed(session)
    finally:
        session.store.close()
    by_number = {t.number: t for t in trials}
    counted = counting(trials, handed_back)
    numbers = [t.number for t in counted]
    assert len(counted) == BUDGET  # exact, whatever was handed back
    assert len(set(numbers)) == len(numbers)
    for t in counted:
        assert t.state == TrialState.COMPLETE, (t.number, t.state, t.user_attrs)
        # the storage's fault is never the objective's failure
        assert "Storage" not in str(t.user_attrs.get(FAIL_REASON, "")), t.user_attrs
        original = t.user_attrs.get(RETRY_OF)
        if original is not None:  # a copy counts instead of its original, never beside it
            assert original not in numbers, (t.number, original)
            assert by_number[original].state == TrialState.FAIL
            # (one cut before its parameters were drawn has none: its copy draws them afresh)
            assert t.params == by_number[original].params or not by_number[original].params
    assert all(after.get(n) == v for n, v in before.items())  # nothing finished lost or changed

    # Box B's trials from the cut were handed back, and their copies finished (by either box).
    for n in at_cut:
        assert by_number[n].state == TrialState.FAIL, by_number[n]
        copy = next(t for t in trials if t.user_attrs.get(RETRY_OF) == n)
        while copy.number in handed_back:  # handed back again: follow it to the one that ran
            copy = next(t for t in trials if t.user_attrs.get(RETRY_OF) == copy.number)
        assert copy in counted and copy.state == TrialState.COMPLETE, copy

    # Every worker on both boxes lived through the cut, saw the end and left.
    for proc in box_b:
        assert proc.wait(timeout=60) == 0
    b_logs = _logs(sorted(sd.path.glob("box-b-*.log")))
    a_logs = _logs(sorted((sd.path / "sessions" / f"{name}.logs").glob("*.log")))
    assert "Traceback" not in b_logs and b_logs.count("exits") == B_WORKERS, b_logs
    assert "storage unreachable" in b_logs and "storage back" in b_logs, b_logs
    assert "Traceback" not in a_logs and a_logs.count("exits") == A_WORKERS, a_logs
    assert "storage unreachable" not in a_logs, a_logs  # box A never lost its storage

    def all_left(session: Session) -> bool:
        workers = session.store.workers(session.record.id)
        hosts = sorted(w.host == BOX_B for w in workers)
        return hosts == [False] * A_WORKERS + [True] * B_WORKERS and all(
            w.stopped_at is not None for w in workers
        )

    wait_for(lambda: _look(name, all_left), timeout=60)
