"""What `sprintopt --help`, `--version`, `status NAME` and `attach NAME` cost to start.

Each runs in fresh interpreters, timed against a bare `python -c pass`; `status` and `attach`
read a small session made here. `attach` is timed where tmux is installed, as a user sees it: in
a terminal of 80x24, from the launch to the first trial row on the screen (issue #10's "first
frame with data"), polling the pane every 20 ms.

Run: .venv/bin/python bench/cli_import.py [--runs 5] [--trials 12]
Prints, per command, the median wall time of the runs, its ratio to the bare interpreter, and
which of the heavy libraries it loaded. The session is built once in a temporary directory (one
sprint of a trivial objective, run by a worker in this process) and removed after.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

#: What `--help` must not load (tests/integration/test_cli_imports.py checks it).
HEAVY = ("sqlalchemy", "optuna", "pydantic", "numpy", "scipy", "sklearn", "torch", "textual")
#: Runs `sprintopt ARGV` as the entry point does, then prints the heavy libraries it loaded.
LOADED = (
    "import sys\n"
    "from tui.cli import main\n"
    "try:\n"
    "    main(sys.argv[1:])\n"
    "except SystemExit:\n"
    "    pass\n"
    f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules) or '-', file=sys.stderr)\n"
)


def make_session(directory: Path, trials: int) -> str:
    """A finished one-sprint session of ``trials`` trials; its storage URL."""
    from bench.objectives import ONE_SPRINT_SPEC
    from engine.optuna_internals import quiet_optuna
    from engine.session import Session
    from engine.spec import parse_spec
    from engine.worker import WorkerOptions, run_worker

    quiet_optuna()
    url = f"sqlite:///{directory / 'bench.db'}"
    text = ONE_SPRINT_SPEC.format(name="bench", objective="trivial", trials=trials)
    Session.create_or_resume(parse_spec(text), text, url, [str(REPO)])
    run_worker(WorkerOptions("bench", url, poll=0.01), handle_signals=False)
    return url


def wall(argv: list[str], runs: int) -> float:
    """The median seconds ``argv`` takes, from start to exit, over ``runs`` fresh processes."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, cwd=REPO, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def loaded(args: list[str]) -> str:
    """The heavy libraries ``sprintopt ARGS`` loads."""
    out = subprocess.run(
        [sys.executable, "-c", LOADED, *args], cwd=REPO, check=True, capture_output=True, text=True
    )
    return out.stderr.strip().splitlines()[-1]


def attach_first_row(url: str, runs: int) -> float | None:
    """The median seconds from launching ``sprintopt attach`` in an 80x24 tmux pane to a trial
    row on its screen; None without tmux."""
    if shutil.which("tmux") is None:
        return None
    argv = [sys.executable, "-m", "tui.cli", "attach", "bench", "--storage", url]
    name = f"sprintopt-bench-{os.getpid()}"
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        tmux = ["tmux", "new-session", "-d", "-s", name, "-x", "80", "-y", "24", "-c", str(REPO)]
        subprocess.run([*tmux, shlex.join(argv)], check=True)
        try:
            deadline = start + 60
            while time.perf_counter() < deadline:
                screen = subprocess.run(
                    ["tmux", "capture-pane", "-p", "-t", name], capture_output=True, text=True
                ).stdout
                if "✓ complete" in screen:
                    times.append(time.perf_counter() - start)
                    break
                time.sleep(0.02)
            else:
                raise RuntimeError(f"no trial row on the screen in 60 s:\n{screen}")
        finally:
            subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per command")
    parser.add_argument("--trials", type=int, default=12, help="trials in the status session")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = make_session(Path(tmp), args.trials)
        commands = {
            "--help": ["--help"],
            "--version": ["--version"],
            "status NAME": ["status", "bench", "--storage", url],
        }
        bare = wall([sys.executable, "-c", "pass"], args.runs)
        print(f"median of {args.runs} fresh processes each ({sys.executable}):")
        print(f"  {'python -c pass':<20} {bare * 1000:7.0f} ms")
        for label, argv in commands.items():
            seconds = wall([sys.executable, "-m", "tui.cli", *argv], args.runs)
            print(
                f"  {'sprintopt ' + label:<20} {seconds * 1000:7.0f} ms  "
                f"x{seconds / bare:5.1f} the bare interpreter, "
                f"+{(seconds - bare) * 1000:.0f} ms; loads: {loaded(argv)}"
            )
        first_row = attach_first_row(url, args.runs)
        if first_row is None:
            print("  sprintopt attach NAME: not timed (no tmux)")
        else:
            print(
                f"  {'sprintopt attach NAME':<20} {first_row * 1000:7.0f} ms  "
                "to the first trial row, in tmux at 80x24"
            )


if __name__ == "__main__":
    main()
