"""The operator's SSH connection drops while the app runs: the app dies with its terminal, the
workers it started run on, and attaching again from a new terminal shows the same session."""

from __future__ import annotations

import os
import re
import signal
import sys
import time

from engine import SessionReader, pid_alive, trial_rows
from tests.conftest import SessionDir
from tests.support import wait_for
from tests.tui.tmux import Tmux, needs_tmux

pytestmark = needs_tmux

WORKERS = 2
#: More than the test's seconds can run at TRIAL_SECONDS each: the sprint is still going at the end.
BUDGET = 1000
TRIAL_SECONDS = 0.2
DONE = re.compile(rf"done (\d+)/{BUDGET}")


def _done(reader: SessionReader) -> int:
    return sum(r.state in ("complete", "pruned", "failed") for r in trial_rows(reader))


def _shown_done(screen: str) -> int:
    found = DONE.search(screen)
    assert found, screen
    return int(found.group(1))


def _worker_pids(reader: SessionReader) -> list[int]:
    return [w.pid for w in reader.store.workers(reader.record.id) if w.stopped_at is None]


def test_a_dropped_connection_kills_the_app_and_leaves_the_workers_running(session_dir):
    sd = session_dir(sprints=[{"name": "long", "trials": BUDGET}])
    sd.slow(TRIAL_SECONDS)
    python = sys.executable
    # `run` in the terminal: it starts the workers and then the app, in the process that dies.
    first = Tmux(f"{python} -m tui.cli run spec.toml --workers {WORKERS}", sd.path, hold=False)
    again: Tmux | None = None
    pids: list[int] = []
    try:
        app = first.pane_pid()
        screen = first.wait_until(
            lambda s: f"workers {WORKERS}" in s and DONE.search(s) and _shown_done(s) > 0,
            "the app never showed both workers and a finished trial",
        )
        assert "session t · running · sprint 1/1 long" in screen
        reader = SessionReader.open_readonly(sd.name, sd.url)
        pids = _worker_pids(reader)
        assert len(pids) == WORKERS and app not in pids

        first.hang_up()
        wait_for(lambda: not pid_alive(app), timeout=10, every=0.1)
        assert all(pid_alive(p) for p in pids), "a worker died with the app"
        dropped_at = _done(reader)
        assert dropped_at >= _shown_done(screen)
        wait_for(lambda: _done(reader) > dropped_at, timeout=20, every=0.2)  # still working

        again = Tmux(f"{python} -m tui.cli attach {sd.name}", sd.path, hold=False)
        screen = again.wait_until(
            lambda s: f"workers {WORKERS}" in s and DONE.search(s) is not None,
            "the app attached again never showed the session",
        )
        assert "session t · running · sprint 1/1 long" in screen
        assert _shown_done(screen) >= dropped_at
        assert sorted(_worker_pids(reader)) == sorted(pids)  # the same workers, none new
    finally:
        first.close()
        if again is not None:
            again.close()
        _stop_workers(sd, pids)


def _stop_workers(sd: SessionDir, pids: list[int], timeout: float = 10) -> None:
    """``stop --now``, as an operator would; then kill any worker that stays."""
    if not pids and sd.path.joinpath("sessions", f"{sd.name}.db").exists():
        pids = _worker_pids(SessionReader.open_readonly(sd.name, sd.url))  # failed before
    sd.cli("stop", sd.name, "--now")
    deadline = time.monotonic() + timeout
    while any(pid_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in pids:
        if pid_alive(pid):
            os.kill(pid, signal.SIGKILL)
