"""The README's command-line claims, each through the command line in a fresh directory:
$SPRINTOPT_STORAGE, the demo, export to a file, a worker started by hand, the session list,
the --follow progress, the sprint timeout and attach in a terminal.

What starts workers (run, demo, worker) or needs a terminal (attach) runs as a process; what
only reads (status, export, sessions, stop) calls the same ``main`` in this process, with the
working directory and environment it would have, since a Python start costs seconds here."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from engine.session import Session
from engine.settings import STORAGE_ENV
from engine.spec import load_spec
from tests import conftest
from tests.conftest import SessionDir, write_spec
from tui.cli import main

#: One progress line of `run --follow`, as the README spells it:
#: "NAME: sprint k/n NAME [fidelity] d/b trials, r running, best v (state)".
PROGRESS = re.compile(
    r"^(?P<name>\S+): sprint (?P<k>\d+)/(?P<n>\d+) (?P<sprint>\S+) \[(?P<fidelity>[^]]*)\] "
    r"(?P<done>\d+)/(?P<budget>\d+) trials, (?P<running>\d+) running, best (?P<best>\S+) "
    r"\((?P<state>\w+)\)$"
)
Result = subprocess.CompletedProcess
Sprintopt = Callable[..., "Result[str]"]


def cli(
    cwd: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> Result[str]:
    """``sprintopt ARGS`` as a process in ``cwd``, with ``env`` over the tests' environment."""
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**conftest.test_env(), **(env or {})},
    )


@pytest.fixture
def sprintopt(monkeypatch, capsys) -> Sprintopt:
    """``sprintopt ARGS`` in this process: in ``cwd``, with only ``env``'s storage variable."""

    def call(cwd: Path, *args: str, env: dict[str, str] | None = None) -> Result[str]:
        with monkeypatch.context() as m:
            m.chdir(cwd)
            m.delenv(STORAGE_ENV, raising=False)
            for key, value in (env or {}).items():
                m.setenv(key, value)
            capsys.readouterr()
            code = main(list(args))
            out = capsys.readouterr()
        return Result(list(args), code, out.out, out.err)

    return call


def ok(out: Result[str]) -> str:
    assert out.returncode == 0, f"exit {out.returncode}\n{out.stdout}\n{out.stderr}"
    return out.stdout


def status_rows(text: str) -> dict[str, tuple[str, int, int]]:
    """`status`'s sprint table: sprint name -> (state, trials done, budget)."""
    rows = {}
    for line in text.splitlines():
        m = re.match(r"^\s*\d+ (\S+)\s+(\w+)\s+(\d+)/(\d+)\s", line)
        if m:
            rows[m[1]] = (m[2], int(m[3]), int(m[4]))
    return rows


def session_rows(text: str) -> dict[str, tuple[str, str, int, str]]:
    """`sessions`' table: session name -> (state, sprint k/n, trials, storage URL)."""
    rows = {}
    for line in text.splitlines()[1:]:
        if not line:
            break  # the files that hold no session follow, one "unusable: why" a line
        name, state, sprint, _sprint_name, trials, _best, url = line.split()
        rows[name] = (state, sprint, int(trials), url)
    return rows


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def stop(url: str, name: str) -> None:
    """Let a module's lingering workers go (in this process: a Python start costs seconds)."""
    assert main(["stop", name, "--storage", url]) == 0


# -- 1. $SPRINTOPT_STORAGE, and --storage over it --------------------------------------------
@dataclass(frozen=True)
class EnvStorage:
    path: Path
    env: dict[str, str]  # $SPRINTOPT_STORAGE names a.db
    a: Path  # where the variable points: session t, run to its end
    b: Path  # what --storage named while the variable was set: session u, just started
    run_t: str
    run_u: str


@pytest.fixture(scope="module")
def env_storage(tmp_path_factory) -> Iterator[EnvStorage]:
    path = tmp_path_factory.mktemp("env-storage")
    write_spec(path, "t", "quadratic", [{"name": "only", "trials": 4}])
    a, b = path / "shared" / "a.db", path / "other" / "b.db"
    a.parent.mkdir()
    b.parent.mkdir()
    env = {STORAGE_ENV: sqlite_url(a)}
    one = ("--workers", "1", "--no-tui")
    run_t = ok(cli(path, "run", "spec.toml", *one, "--follow", env=env))
    run_u = ok(
        cli(path, "run", "spec.toml", *one, "--name", "u", "--storage", sqlite_url(b), env=env)
    )
    yield EnvStorage(path, env, a, b, run_t, run_u)
    stop(sqlite_url(b), "u")


def test_run_creates_the_session_where_sprintopt_storage_points(env_storage):
    assert f"session t in {sqlite_url(env_storage.a)}" in env_storage.run_t
    assert env_storage.a.is_file()
    assert not (env_storage.path / "sessions").exists()  # nothing under sessions/, logs included


def test_status_and_export_read_the_session_where_sprintopt_storage_points(env_storage, sprintopt):
    status = ok(sprintopt(env_storage.path, "status", "t", env=env_storage.env))
    assert status.startswith("session t: finished")
    assert status_rows(status) == {"only": ("closed", 4, 4)}
    rows = csv_rows(ok(sprintopt(env_storage.path, "export", "t", env=env_storage.env)))
    assert [r["state"] for r in rows] == ["complete"] * 4


def test_sessions_lists_the_sessions_where_sprintopt_storage_points(env_storage, sprintopt):
    listed = session_rows(ok(sprintopt(env_storage.path, "sessions", env=env_storage.env)))
    assert listed == {"t": ("finished", "1/1", 4, sqlite_url(env_storage.a))}


def test_storage_flag_wins_over_sprintopt_storage(env_storage, sprintopt):
    path, env, b = env_storage.path, env_storage.env, sqlite_url(env_storage.b)
    assert f"session u in {b}" in env_storage.run_u
    # u went to --storage's database only; the variable's holds t alone.
    assert set(session_rows(ok(sprintopt(path, "sessions", "--storage", b, env=env)))) == {"u"}
    in_a = ok(sprintopt(path, "sessions", "--storage", sqlite_url(env_storage.a)))
    assert set(session_rows(in_a)) == {"t"}
    assert ok(sprintopt(path, "status", "u", "--storage", b, env=env)).startswith("session u: ")
    assert sprintopt(path, "status", "u", env=env).returncode == 2  # not in the variable's db
    export = ok(sprintopt(path, "export", "u", "--storage", b, env=env))
    assert export.startswith("sprint,number,state")


# -- 2. the demo -----------------------------------------------------------------------------
@pytest.fixture
def demo_dir(tmp_path) -> Iterator[Path]:
    yield tmp_path
    db = tmp_path / "sessions" / "x.db"
    if db.exists():  # a demo that stopped short leaves its workers waiting
        stop(sqlite_url(db), "x")


def test_the_demo_runs_a_whole_session_and_says_what_to_do_next(demo_dir, sprintopt):
    tmp_path = demo_dir
    text = ok(cli(tmp_path, "demo", "--workers", "2", "--name", "x", timeout=240))
    assert "session x: finished" in text
    rows = status_rows(text)
    assert len(rows) == 3 and all(state == "closed" for state, _, _ in rows.values())
    assert all(done == budget for _, done, budget in rows.values())
    # The best names the fidelity it was measured at: it is never compared across two.
    assert re.search(r"^best at epochs=\d+: \S+ \(sprint \d\) x1=\S+, x2=\S+$", text, re.M)
    for follow_up in ("sprintopt attach x", "sprintopt status x", "sprintopt export x"):
        assert follow_up in text
    assert (tmp_path / "sessions" / "x.db").is_file()
    assert ok(sprintopt(tmp_path, "status", "x")).startswith("session x: finished")


# -- 3, 5, 8: sessions under ./sessions, one finished and one awaiting a decision --------------
@pytest.fixture(scope="module")
def listed(tmp_path_factory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("listed")
    write_spec(path, "t", "quadratic", [{"name": "only", "trials": 5}]).rename(path / "t.toml")
    write_spec(path, "w", "quadratic", [{"name": "a", "trials": 3}, {"name": "b", "trials": 2}])
    follow = ("--workers", "1", "--no-tui", "--follow")
    # Side by side: each waits mostly for its worker to start.
    with ThreadPoolExecutor(2) as pool:
        runs = [pool.submit(cli, path, "run", spec, *follow) for spec in ("t.toml", "spec.toml")]
        ok(runs[0].result())
        assert "a proposal waits: sprintopt approve w" in ok(runs[1].result())
    yield path
    stop(sqlite_url(path / "sessions" / "w.db"), "w")  # its worker waits for the decision


def test_sessions_lists_the_sessions_under_sessions_with_their_state(listed, sprintopt):
    home = listed / "sessions"
    assert session_rows(ok(sprintopt(listed, "sessions"))) == {
        "t": ("finished", "1/1", 5, sqlite_url(home / "t.db")),
        "w": ("awaiting", "1/2", 3, sqlite_url(home / "w.db")),
    }
    # With --storage, the sessions in that database only.
    only_w = ok(sprintopt(listed, "sessions", "--storage", sqlite_url(home / "w.db")))
    assert set(session_rows(only_w)) == {"w"}


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_to_a_file_writes_what_export_prints(listed, sprintopt, fmt):
    target = f"trials.{fmt}"
    out = ok(sprintopt(listed, "export", "t", "--format", fmt, "-o", target))
    assert out == f"wrote 5 trials to {target}\n"
    written = (listed / target).read_bytes().decode()  # as written: CSV ends rows in \r\n
    assert written == ok(sprintopt(listed, "export", "t", "--format", fmt))
    rows = csv_rows(written) if fmt == "csv" else json.loads(written)
    assert len(rows) == 5 and {str(r["sprint"]) for r in rows} == {"1"}
    assert {r["state"] for r in rows} == {"complete"}


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
def test_attach_shows_the_session_in_a_terminal_and_q_quits(listed):
    from tests.tui.tmux import Tmux  # the app's tests' terminal (imports Textual's screens)

    term = Tmux(f"{sys.executable} -m tui.cli attach t; echo attach-exit=$?", str(listed))
    try:
        screen = term.wait_for("SESSION FINISHED", timeout=60)
        assert "session t · finished · sprint 1/1 only" in screen
        assert "done 5/5" in screen
        term.keys("q")
        term.wait_for("attach-exit=0", timeout=30)
    finally:
        term.close()


# -- 4. a worker started by hand ----------------------------------------------------------------
def _created(path: Path) -> SessionDir:
    """A session created with no worker: sprint 1 waits for one."""
    write_spec(path, "t", "quadratic", [{"name": "a", "trials": 3}, {"name": "b", "trials": 2}])
    sd = SessionDir(path, "t")
    opened = Session.create_or_resume(load_spec(sd.spec), sd.spec.read_text(), sd.url, [])
    opened.session.store.close()
    return sd


def test_a_worker_started_by_hand_runs_the_session_to_its_end(tmp_path, sprintopt):
    _created(tmp_path)
    out = cli(tmp_path, "worker", "t", "--auto-approve", timeout=90)
    ok(out)
    assert re.search(r"worker \d+ joined session t", out.stderr)
    assert re.search(r"session t finished; worker \d+ exits", out.stderr)
    status = ok(sprintopt(tmp_path, "status", "t"))
    assert status.startswith("session t: finished")
    assert status_rows(status) == {"a": ("closed", 3, 3), "b": ("closed", 2, 2)}
    assert {r["worker"] for r in csv_rows(ok(sprintopt(tmp_path, "export", "t")))} == {"1"}


def test_a_worker_started_after_stop_resumes_the_session(tmp_path, sprintopt):
    _created(tmp_path)
    assert "resume with: sprintopt worker t" in ok(sprintopt(tmp_path, "stop", "t"))
    ok(cli(tmp_path, "worker", "t", "--auto-approve", timeout=90))
    assert ok(sprintopt(tmp_path, "status", "t")).startswith("session t: finished")


# -- 6, 7: --follow's progress, over a sprint that times out ----------------------------------
TIMEOUT = 8.0  # past the 5 s below which `run` warns that no trial may run
SLOW = 0.3  # seconds a trial takes: one worker cannot run 100 of them in the timeout
BUDGET = 100


@dataclass(frozen=True)
class Followed:
    path: Path
    waited: Result[str]  # `run --follow`: sprint a to the proposal it leaves waiting
    resumed: Result[str]  # then `run --follow --auto-approve`: on to the session's end


@pytest.fixture(scope="module")
def followed(tmp_path_factory) -> Iterator[Followed]:
    path = tmp_path_factory.mktemp("followed")
    sprints = [{"name": "a", "trials": BUDGET}, {"name": "b", "trials": 2}]
    spec = write_spec(path, "t", "quadratic", sprints)
    spec.write_text(spec.read_text().replace('name = "a"\n', f'name = "a"\ntimeout = {TIMEOUT}\n'))
    SessionDir(path, "t").slow(SLOW)
    run = ("run", "spec.toml", "--workers", "1", "--no-tui", "--follow")
    # Resumed while the proposal waits, so a follow that stops at one cannot pass by luck.
    yield Followed(path, cli(path, *run), cli(path, *run, "--auto-approve"))
    stop(SessionDir(path, "t").url, "t")


def progress_lines(out: Result[str]) -> list[re.Match[str]]:
    lines = ok(out).splitlines()
    assert "warning" not in out.stderr  # the timeout is long enough not to be warned of
    found = [m for line in lines if (m := PROGRESS.match(line))]
    assert found, lines
    assert all(m["name"] == "t" and m["n"] == "2" and m["fidelity"] == "epochs=1" for m in found)
    return found


def test_follow_prints_progress_to_the_waiting_proposal(followed):
    progress = progress_lines(followed.waited)
    assert {(m["k"], m["sprint"], m["budget"]) for m in progress} == {("1", "a", str(BUDGET))}
    counts = [int(m["done"]) for m in progress]
    assert counts == sorted(counts)
    assert [m["state"] for m in progress[:-1]] == ["running"] * (len(progress) - 1)
    assert progress[-1]["state"] == "awaiting"
    assert followed.waited.stdout.splitlines()[-1] == "a proposal waits: sprintopt approve t"


def test_follow_prints_progress_in_sprint_order_to_the_finished_line(followed):
    progress = progress_lines(followed.resumed)
    steps = [(int(m["k"]), int(m["done"])) for m in progress]
    assert steps == sorted(steps)  # sprint by sprint, each one's count only growing
    assert {(m["k"], m["sprint"]) for m in progress} <= {("1", "a"), ("2", "b")}
    last = progress[-1]
    assert followed.resumed.stdout.splitlines()[-1] == last[0]  # the finished line ends it
    assert (last["k"], last["sprint"], last["done"], last["budget"]) == ("2", "b", "2", "2")
    assert last["running"] == "0" and last["best"] != "-" and last["state"] == "finished"
    assert all(m["state"] != "finished" for m in progress[:-1])


def test_a_sprint_timeout_closes_the_sprint_on_time_and_the_session_goes_on(followed, sprintopt):
    ok(followed.resumed)
    status = ok(sprintopt(followed.path, "status", "t"))
    assert status.startswith("session t: finished")
    rows = status_rows(status)
    state, done, budget = rows["a"]
    # Cut short by the time limit. How many trials got in first is the machine's speed: on a
    # loaded 2-core box (the ten-run loop beside a MiniLM session) the worker's start and one
    # slow trial took longer than the 8 s, and none did; the time limit held all the same.
    assert state == "closed" and budget == BUDGET and done < budget
    assert rows["b"] == ("closed", 2, 2)  # the next sprint ran its whole budget
    session = Session.open("t", SessionDir(followed.path, "t").url, reap=False, readonly=True)
    try:
        first = session.sprints()[0]
    finally:
        session.store.close()
    assert first.closed_at is not None
    took = (first.closed_at - first.started_at).total_seconds()
    assert TIMEOUT <= took < TIMEOUT + 10, took
