"""Running the notify command: detached, bounded in time, its failures logged, never in the way.

The command runs in ``/bin/sh`` (so ``>>``, pipes and ``"$SPRINTOPT_SUMMARY"`` work) in its own
process group, with the worker's environment less the storage URL (it may hold a password),
plus what it is called for:

- ``SPRINTOPT_SESSION``: the session's name;
- ``SPRINTOPT_EVENT``: ``proposal``, ``finished`` or ``failing`` (:class:`NoticeEvent`);
- ``SPRINTOPT_SUMMARY``: one line for a person;
- ``SPRINTOPT_SPRINT``: the sprint it concerns (its number);
- ``SPRINTOPT_URL``: the session's storage URL with any password masked.

A thread waits for it: past its timeout the whole group is killed. Its output goes to a
temporary file, not a pipe, so a job it leaves in the background cannot keep it "running".
Whatever happens (not found, a non-zero exit, a hang, no process to be had) is one line in
the worker's log; nothing is raised to the worker.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import IO

from engine.settings import STORAGE_ENV
from engine.states import NoticeEvent
from engine.storage_url import mask_url

log = logging.getLogger("sprintopt.notify")
SHELL = "/bin/sh"
#: What of the command's output the log keeps when it fails.
OUTPUT_TAIL = 500
#: A summary is one line; a person reads it on a phone.
SUMMARY_LIMIT = 300


@dataclass(frozen=True)
class Notice:
    """One call for a person."""

    event: NoticeEvent
    session: str
    sprint: int
    summary: str


def one_line(text: str, limit: int = SUMMARY_LIMIT) -> str:
    """``text`` on one line of printable characters, at most ``limit`` long."""
    flat = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def notice_environ(notice: Notice, url: str, base: dict[str, str] | None = None) -> dict[str, str]:
    """The command's environment: ``base`` (the worker's) without the storage URL, plus the
    notice (see the module's docstring)."""
    env = dict(os.environ if base is None else base)
    env.pop(STORAGE_ENV, None)  # the real URL may carry a password
    env.update(
        SPRINTOPT_SESSION=notice.session,
        SPRINTOPT_EVENT=str(notice.event),
        SPRINTOPT_SUMMARY=one_line(notice.summary),
        SPRINTOPT_SPRINT=str(notice.sprint),
        SPRINTOPT_URL=mask_url(url),
    )
    return env


class Notifier:
    """Runs ``command`` for each notice without waiting for it (no command: does nothing)."""

    def __init__(self, command: str | None, url: str, timeout: float = 30.0) -> None:
        self.command = command
        self.url = url
        self.timeout = timeout
        self._watchers: list[threading.Thread] = []

    def send(self, notice: Notice) -> None:
        if not self.command:
            return
        out: IO[bytes] = tempfile.TemporaryFile()
        try:
            proc = subprocess.Popen(
                [SHELL, "-c", self.command],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=notice_environ(notice, self.url),
                start_new_session=True,  # its own group: a timeout kills all it started
            )
        except (OSError, ValueError) as exc:  # no shell, no process to be had
            out.close()
            log.warning("notify %s: the command could not start: %s", notice.event, exc)
            return
        watcher = threading.Thread(
            target=self._watch, args=(proc, out, notice), name="notify", daemon=True
        )
        watcher.start()
        self._watchers = [w for w in self._watchers if w.is_alive()] + [watcher]

    def _watch(self, proc: subprocess.Popen[bytes], out: IO[bytes], notice: Notice) -> None:
        event = notice.event
        try:
            try:
                code = proc.wait(self.timeout)
            except subprocess.TimeoutExpired:
                _kill_group(proc)
                log.warning(
                    "notify %s: the command ran past %g s and was killed%s",
                    event,
                    self.timeout,
                    _tail(out),
                )
                return
            if code == 0:
                log.info("notify %s: the command ran", event)
            elif code == 127:
                log.warning("notify %s: the command was not found (exit 127)%s", event, _tail(out))
            else:
                log.warning("notify %s: the command exited with %d%s", event, code, _tail(out))
        except Exception as exc:  # a notice must never take the worker down
            log.warning("notify %s: could not watch the command: %s", event, exc)
        finally:
            out.close()

    def drain(self, wait: float | None = None) -> None:
        """Wait for the commands still running (at most ``wait`` seconds, default their
        timeout): a worker that leaves lets its last notice finish and be logged."""
        deadline = time.monotonic() + (self.timeout + 1.0 if wait is None else wait)
        for watcher in self._watchers:
            watcher.join(max(0.0, deadline - time.monotonic()))
        self._watchers = [w for w in self._watchers if w.is_alive()]


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def _tail(out: IO[bytes]) -> str:
    out.seek(0, os.SEEK_END)
    size = out.tell()
    out.seek(max(0, size - OUTPUT_TAIL))
    text = one_line(out.read().decode("utf-8", "replace"), OUTPUT_TAIL)
    return f": {text}" if text else ""
