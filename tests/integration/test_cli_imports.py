"""`sprintopt --help`, `--version`, the bare command and each command's --help start fast: they
load none of the heavy libraries, which the commands import when they run (issue #10)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO

#: What the parser must not load: the store's, the spec's, the advisor's and the app's libraries.
HEAVY = ("sqlalchemy", "optuna", "pydantic", "numpy", "scipy", "sklearn", "torch", "textual")
#: Every command, as `sprintopt --help` lists it.
COMMANDS = (
    "run",
    "attach",
    "sessions",
    "worker",
    "status",
    "propose",
    "approve",
    "history",
    "stop",
    "export",
    "demo",
)


def sprintopt_in_a_fresh_interpreter(*argvs: list[str]) -> tuple[dict[str, str], list[str]]:
    """What ``tui.cli.main(argv)`` prints for each of ``argvs``, called one after another in one
    new interpreter, and the modules loaded once all have run."""
    code = (
        "import contextlib, io, json, sys\n"
        "from tui.cli import main\n"
        "out = {}\n"
        f"for argv in {list(argvs)!r}:\n"
        "    text = io.StringIO()\n"
        "    with contextlib.redirect_stdout(text):\n"
        "        try:\n"
        "            main(argv)\n"
        "        except SystemExit:\n"
        "            pass\n"
        "    out[' '.join(argv)] = text.getvalue()\n"
        "print(json.dumps([out, sorted(sys.modules)]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    printed, modules = json.loads(done.stdout)
    return printed, modules


def heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if m.split(".")[0] in HEAVY]


def test_help_version_and_each_commands_help_load_no_heavy_library():
    argvs = [["--help"], ["--version"], [], *([c, "--help"] for c in COMMANDS)]
    printed, modules = sprintopt_in_a_fresh_interpreter(*argvs)
    assert heavy(modules) == []
    # ...and they still say what they said when everything loaded up front.
    assert printed[""] == printed["--help"]  # `sprintopt` alone prints the help
    listed = printed["--help"].split("COMMAND", 1)[1]
    assert [c for c in COMMANDS if f"\n    {c} " not in listed] == []
    assert printed["--version"].strip() == "sprintopt 0.1.0"
    assert "--workers" in printed["run --help"] and "$SPRINTOPT_STORAGE" in printed["stop --help"]
    assert "--set EDIT" in printed["approve --help"]
    assert "--min-resource EDIT" in printed["approve --help"]


def test_read_only_commands_read_trials_through_the_store_not_optunas_orm(session_dir, tmp_path):
    # Optuna's RDBStorage checks its schema with alembic when it is built: commands that never
    # load alembic read the trials in bulk through the store, as the app does (issue #10).
    sd = session_dir(sprints=[{"name": "only", "trials": 5}])
    assert sd.cli("run", "spec.toml", "--workers", "1", "--no-tui").returncode == 0
    assert sd.cli("status", "t", "--wait").returncode == 0  # 0: finished
    at = ["t", "--storage", sd.url]
    report = str(tmp_path / "t.html")
    printed, modules = sprintopt_in_a_fresh_interpreter(
        ["status", *at], ["export", *at], ["report", *at, "-o", report]
    )
    assert "alembic" not in modules
    assert "5/5 trials done" in printed[f"status {' '.join(at)}"]
    assert len(printed[f"export {' '.join(at)}"].splitlines()) == 1 + 5  # header and each trial
    assert "wrote the report of t" in printed[f"report {' '.join(at)} -o {report}"]
