"""A real terminal for the app's tests: one tmux session whose screen is polled until it shows
what the test waits for; the yes/no box's guard waited out from its own constant."""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from tests import conftest
from tests.services import needs
from tests.tui.support import CLOCK_SLACK
from tui.screens.confirm import ConfirmScreen

#: Long enough for workers to start and run a few trials on a loaded machine.
WAIT_SECONDS = 60.0
#: How long a yes/no box may ignore its answer (its guard starting late) before the test fails.
ANSWER_SECONDS = 15.0
#: How long the app may take to take a box off the screen once answered: still there after
#: this, and the key was ignored (a key sent again inside it would reach the screen below).
REPAINT_SECONDS = 3.0
#: How often the screen is read while waiting.
POLL_SECONDS = 0.2

HAVE_TMUX = shutil.which("tmux") is not None
#: For a module of tests that drive the app in tmux.
needs_tmux = needs(HAVE_TMUX, "tmux", "install it (apt-get install tmux)")


class Tmux:
    """One detached tmux session on a private server socket, running ``command`` in ``cwd``.

    With ``hold`` the pane stays open after the command ends (to read what it printed last);
    without it the command replaces the pane's shell, so the pane's process is the app itself.
    """

    def __init__(
        self,
        command: str,
        cwd: str | Path,
        width: int = 80,
        height: int = 24,
        hold: bool = True,
    ) -> None:
        self.socket = f"sprintopt-test-{uuid.uuid4().hex[:8]}"
        self.name = "app"
        env = " ".join(f"{k}='{v}'" for k, v in self._env().items())
        line = f"env {env} {command}; sleep 600" if hold else f"exec env {env} {command}"
        self._tmux(
            "new-session", "-d", "-s", self.name, "-x", str(width), "-y", str(height),
            f"cd '{cwd}' && {line}",
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

    def pane_pid(self) -> int:
        """The pane's process: the app itself when started without ``hold``."""
        return int(self._tmux("display-message", "-p", "-t", self.name, "#{pane_pid}"))

    def _read_until(self, shows: Callable[[str], bool], timeout: float) -> tuple[bool, str]:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if shows(screen):
                return True, screen
            if time.monotonic() > deadline:
                return False, screen
            time.sleep(POLL_SECONDS)

    def wait_until(
        self, shows: Callable[[str], bool], what: str, timeout: float = WAIT_SECONDS
    ) -> str:
        """Read the screen until ``shows(screen)``; the screen that did. Past ``timeout``, a
        failure that says ``what`` did not happen and prints the last screen read."""
        ok, screen = self._read_until(shows, timeout)
        if not ok:
            raise AssertionError(f"{what} within {timeout:g} s; the screen:\n{screen}")
        return screen

    def wait_for(self, text: str, timeout: float = WAIT_SECONDS) -> str:
        """Read the screen until it shows ``text``; the screen that did."""
        return self.wait_until(lambda s: text in s, f"{text!r} never showed", timeout)

    def confirm(self, question: str, answer: str = "y") -> str:
        """Answer the yes/no box asking ``question`` as an operator does: once it has been on
        the screen for its guard, and again while it still shows (the guard counts from when
        the app notes the box painted, which on a loaded machine comes after we see it). The
        screen that showed the box. Only for an ``answer`` that does nothing behind the box:
        one sent as the box goes is read by the screen under it."""
        screen = self.wait_until(
            lambda s: question in s and ConfirmScreen.READY in s, f"{question!r}, listening"
        )
        deadline = time.monotonic() + ANSWER_SECONDS
        while True:
            time.sleep(CLOCK_SLACK)  # the line changes just as the guard ends: a hair after
            self.keys(answer)
            gone, last = self._read_until(lambda s: question not in s, REPAINT_SECONDS)
            if gone:
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"the box ignored {answer!r} for {ANSWER_SECONDS:g} s; the screen:\n{last}"
                )

    def hang_up(self) -> None:
        """What sshd does when the connection drops: the terminal goes away under the app
        (its pty is closed; the kernel hangs up the app with SIGHUP)."""
        self._tmux("kill-session", "-t", self.name)

    def close(self) -> None:
        self._tmux("kill-server")
