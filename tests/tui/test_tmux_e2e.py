"""End to end in a real terminal (tmux, 80×24): run without auto-approve, wait for the proposal,
approve it with keys, and watch the next sprint run; quitting leaves the session as it is."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid

import pytest

from engine.session import Session
from tests import conftest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")


class Tmux:
    """One detached tmux session on a private server socket."""

    def __init__(self, command: str, cwd: str, width: int = 80, height: int = 24) -> None:
        self.socket = f"sprintopt-test-{uuid.uuid4().hex[:8]}"
        self.name = "e2e"
        env = " ".join(f"{k}='{v}'" for k, v in self._env().items())
        self._tmux(
            "new-session", "-d", "-s", self.name, "-x", str(width), "-y", str(height),
            f"cd '{cwd}' && env {env} {command}; sleep 600",
        )  # fmt: skip

    @staticmethod
    def _env() -> dict[str, str]:
        env = conftest.test_env()
        return {
            k: env[k] for k in ("PYTHONPATH", "SPRINTOPT_HEARTBEAT_SECONDS", "PATH") if k in env
        }

    def _tmux(self, *args: str) -> str:
        out = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True)
        return out.stdout

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", self.name)

    def keys(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", self.name, *keys)

    def wait_for(self, text: str, timeout: float = 90) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.3)
        raise AssertionError(f"{text!r} never showed; the screen:\n{self.screen()}")

    def close(self) -> None:
        self._tmux("kill-server")


def test_edit_the_fidelity_and_approve_in_a_real_terminal(session_dir):
    from tui.screens.confirm import ConfirmScreen

    sd = session_dir(sprints=[{"name": "a", "trials": 4}, {"name": "b", "trials": 3, "epochs": 2}])
    term = Tmux(f"{sys.executable} -m tui.cli run spec.toml --workers 1", str(sd.path))
    try:
        screen = term.wait_for("PROPOSAL WAITING")
        assert "sprint 1/2 a" in screen and "p Proposal" in screen
        term.keys("p")
        term.wait_for("Proposal after sprint 1")
        term.wait_for("a Accept")  # the keys show once the proposal has loaded
        term.keys("F")
        term.wait_for("epochs AMOUNT [train=F valid=F]:")  # the prompt's label, shown as text
        term.keys("C-u", "3", "Enter")
        term.wait_for("epochs=3 ✎")
        term.keys("a")
        screen = term.wait_for("Accept the proposal after sprint 1 with your edits?")
        assert "fidelity  epochs=2 -> epochs=3" in screen
        time.sleep(ConfirmScreen.GUARD_SECONDS + 0.2)  # the box ignores keys typed too early
        term.keys("y")
        screen = term.wait_for("SESSION FINISHED")  # sprint 2 ran its 3 trials
        assert "sprint 2/2 b [epochs=3]" in screen and "done 3/3" in screen
        term.keys("q")
        term.wait_for("the workers of t keep running")
    finally:
        term.close()
        sd.cli("stop", "t")
    session = Session.open("t", sd.url)
    [decision] = session.decisions()
    assert decision.action == "edited" and not decision.operator.startswith("auto-approve")
    assert decision.applied.fidelity.amount == 3
    assert [s.state for s in session.sprints()] == ["closed", "closed"]
