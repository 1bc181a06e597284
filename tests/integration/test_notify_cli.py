"""Real processes: the [notify] command runs once per event however many workers race, a failing
one only costs a line in the log, and `status --wait` blocks until a person is needed."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from engine.hosts import pid_alive
from engine.session import Session
from tests.conftest import test_env as cli_env
from tests.support import wait_for
from tui.cli import main

SPRINTS = [{"name": "a", "trials": 6}, {"name": "b", "trials": 2, "epochs": 2}]
ADVISOR = "\n[advisor]\ntop_k = 3\ncarry_over = 1\nprobes = 0\n"
#: One line per call, and the whole environment the command saw.
RECORD = (
    '[notify]\ncommand = \'echo "$SPRINTOPT_EVENT $SPRINTOPT_SESSION" >> notified.txt; '
    "env | grep ^SPRINTOPT_ >> env-$SPRINTOPT_EVENT.txt'\n"
)


def _session(sd) -> Session:
    return Session.open(sd.name, sd.url, reap=False)


def _state(sd) -> str:
    return _session(sd).refresh().state


def _all_gone(sd) -> bool:
    """Every worker process has exited (a leaving worker lets its last notice finish first)."""
    session = _session(sd)
    return not any(pid_alive(w.pid) for w in session.store.workers(session.record.id))


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_the_command_runs_once_per_event_with_two_workers(session_dir):
    sd = session_dir(sprints=SPRINTS, extra=ADVISOR + RECORD)
    sd.gate(2)  # both workers run trials, so both race to close each sprint
    out = sd.cli("run", "spec.toml", "--workers", "2", "--no-tui")
    assert out.returncode == 0, out.stderr
    notified = sd.path / "notified.txt"
    wait_for(lambda: _lines(notified), timeout=120, what="the proposal's notice")
    assert _state(sd) == "awaiting"
    assert sd.cli("approve", "t").returncode == 0
    wait_for(lambda: _state(sd) == "finished", timeout=120, what="the session to finish")
    wait_for(lambda: _all_gone(sd), timeout=60, what="the workers to exit")
    assert _lines(notified) == ["proposal t", "finished t"]
    env = dict(line.split("=", 1) for line in _lines(sd.path / "env-proposal.txt"))
    assert env["SPRINTOPT_SESSION"] == "t" and env["SPRINTOPT_SPRINT"] == "1"
    assert "a proposal waits" in env["SPRINTOPT_SUMMARY"]
    assert env["SPRINTOPT_URL"].endswith("/sessions/t.db")  # SQLite: no password to mask
    assert "SPRINTOPT_STORAGE" not in env  # the real URL never reaches the command
    assert "SPRINTOPT_EVENT=finished" in _lines(sd.path / "env-finished.txt")


@pytest.mark.parametrize(
    ("command", "logged"),
    [
        ("exit 1", "notify finished: the command exited with 1"),
        ("no-such-command-sprintopt", "notify finished: the command was not found (exit 127)"),
    ],
    ids=["exit 1", "not found"],
)
def test_a_failing_command_is_logged_and_the_session_finishes(session_dir, command, logged):
    sd = session_dir(
        sprints=[{"name": "only", "trials": 3}], extra=f'[notify]\ncommand = "{command}"\n'
    )
    assert sd.cli("run", "spec.toml", "--workers", "1", "--no-tui").returncode == 0
    wait_for(lambda: _state(sd) == "finished", timeout=120, what="the session to finish")
    wait_for(lambda: _all_gone(sd), timeout=60, what="the worker to exit")
    (log,) = (sd.path / "sessions" / "t.logs").glob("worker-*.log")
    text = log.read_text()
    assert logged in text, text
    assert "Traceback" not in text


def _wait(sd) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "status", "t", "--wait", "--interval", "0.2"],
        cwd=sd.path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(),
        # Ctrl-C as at a terminal: a test run started in the background by a shell without job
        # control (`.ci/run &`) ignores SIGINT, the child would inherit that, and Python keeps
        # an ignored SIGINT ignored (a clean-clone CI run hung here so).
        preexec_fn=_default_sigint,
    )


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _blocks(proc: subprocess.Popen[str]) -> None:
    """It says it waits (a line it prints only while the session runs), and has not returned."""
    assert proc.stderr is not None
    assert "waiting for session t" in proc.stderr.readline()
    assert proc.poll() is None


def _hold(sd) -> None:
    """Trials wait at the gate from now on, until :func:`_release`."""
    for started in sd.path.glob("started-*"):
        started.unlink()


def _release(sd) -> None:
    (sd.path / "started-by-the-test").touch()


def test_status_wait_returns_3_when_a_proposal_waits_and_0_when_finished(session_dir):
    sd = session_dir(sprints=SPRINTS, extra=ADVISOR)
    sd.gate(2)  # one worker: each trial waits until the test releases it
    assert sd.cli("run", "spec.toml", "--workers", "1", "--no-tui").returncode == 0
    waiting = _wait(sd)
    try:
        _blocks(waiting)
        leaving = _wait(sd)
        _blocks(leaving)
        leaving.send_signal(signal.SIGINT)  # Ctrl-C: 130, and the workers keep running
        assert leaving.wait(timeout=60) == 130
        _release(sd)
        out, _ = waiting.communicate(timeout=120)
        assert waiting.returncode == 3
        assert "awaiting" in out or "proposal" in out  # the status, printed as it returns
        again = sd.cli("status", "t", "--wait")  # already waiting: at once
        assert again.returncode == 3 and "waiting for session" not in again.stderr
        _hold(sd)
        assert sd.cli("approve", "t").returncode == 0
        waiting = _wait(sd)
        _blocks(waiting)
        _release(sd)
        out, _ = waiting.communicate(timeout=120)
        assert waiting.returncode == 0 and "finished" in out
        assert sd.cli("status", "t", "--wait").returncode == 0
    finally:
        if waiting.poll() is None:
            waiting.kill()
        sd.cli("stop", "t", "--now")


def test_status_wait_refuses_a_bad_interval(capsys):
    with pytest.raises(SystemExit) as info:
        main(["status", "t", "--wait", "--interval", "0"])
    assert info.value.code == 2 and "0.1 to 3600 seconds" in capsys.readouterr().err
