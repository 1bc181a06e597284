"""One call of the objective, and what came of it: a value, a prune, the objective's failure,
a storage fault under it, or its time limit passing.

Without a per-trial time limit the objective runs in the worker's own process. With one
(``trial_timeout``), it runs in a forked child: the worker keeps the trial's heartbeat, waits
for the child's answer until the deadline, and kills the child if it passes, whatever the
objective is doing (a hung CUDA call, a sleep, a loop that swallows exceptions). The cost: a
fork per trial (milliseconds), and nothing the objective caches in memory survives from one
trial to the next. The child opens its own database connections (SQLAlchemy's pools are
dropped, not closed, after the fork), so it reports intermediate values as usual.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from optuna.trial import Trial

from engine.faults import StorageLost, describe, is_storage_fault
from engine.objective import Fidelity, TrialPruned, takes_optuna_trial
from engine.reporter import TrialReporter, objective_value_problem

Kind = Literal["value", "pruned", "failed", "storage"]
#: Signals a worker handles; a child running the objective takes their default action again.
TERMINATING = tuple(
    getattr(signal, n)
    for n in ("SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2")
    if hasattr(signal, n)
)


@dataclass(frozen=True)
class Attempt:
    """What one call of the objective came to (always picklable: it crosses a pipe)."""

    kind: Kind
    value: float | None = None
    reason: str = ""
    traceback: str = ""


class _GuardedReporter:
    """The reporter, with a storage fault under it turned into :class:`StorageLost`."""

    def __init__(self, reporter: TrialReporter) -> None:
        self._reporter = reporter

    def report(self, value: float, step: int) -> None:
        self._guard(lambda: self._reporter.report(value, step))

    def set_attr(self, key: str, value: Any) -> None:
        self._guard(lambda: self._reporter.set_attr(key, value))

    @staticmethod
    def _guard(call: Callable[[], None]) -> None:
        try:
            call()
        except TrialPruned:
            raise
        except Exception as exc:
            if is_storage_fault(exc):
                raise StorageLost(exc) from exc
            raise


def call_objective(
    objective: Callable[..., Any],
    trial: Trial,
    config: dict[str, Any],
    fidelity: Fidelity,
    prunes: bool,
    max_steps: int | None = None,
) -> Attempt:
    """Call the objective here; every way it can end becomes an :class:`Attempt`.

    Only :class:`engine.runner.StopRequested` (the worker told to stop now) goes through.
    """
    try:
        if takes_optuna_trial(objective):
            value = objective(trial)
        else:
            reporter = _GuardedReporter(TrialReporter(trial, prunes=prunes, max_steps=max_steps))
            value = objective(config, fidelity, reporter)
    except TrialPruned:
        return Attempt("pruned")
    except StorageLost as lost:
        return Attempt("storage", reason=str(lost))
    except (SystemExit, KeyboardInterrupt) as exc:
        # The objective may not end its worker; failing the trial (not re-queueing it) keeps
        # the next worker from dying on the same configuration.
        return Attempt(
            "failed",
            reason=f"the objective raised {type(exc).__name__}({_arg(exc)}): a trial may not "
            "end its worker; the trial failed",
            traceback=traceback.format_exc()[-8000:],
        )
    except Exception as exc:
        if takes_optuna_trial(objective) and is_storage_fault(exc):
            return Attempt("storage", reason=describe(exc))  # through trial.report and co.
        return Attempt(
            "failed",
            reason=f"{type(exc).__name__}: {exc}"[:2000],
            traceback=traceback.format_exc()[-8000:],
        )
    problem = objective_value_problem(value)
    if problem:
        return Attempt("failed", reason=problem)
    return Attempt("value", value=float(value))


def _arg(exc: BaseException) -> str:
    return ", ".join(repr(a) for a in exc.args)[:200]


def call_in_child(
    run: Callable[[], Attempt], limit: float, after_fork: Callable[[], None]
) -> Attempt:
    """``run()`` in a forked child; killed, and a failure, once ``limit`` seconds pass."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: run, answer, and leave without the parent's exit handlers
        os.close(read_fd)
        code = 0
        try:
            for sig in TERMINATING:
                signal.signal(sig, signal.SIG_DFL)
            after_fork()
            _send(write_fd, run())
        except BaseException:
            code = 70
        finally:
            os._exit(code)
    os.close(write_fd)
    try:
        return _await_child(pid, read_fd, limit)
    finally:
        os.close(read_fd)
        _reap(pid)


def _send(fd: int, attempt: Attempt) -> None:
    data = pickle.dumps(attempt)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.close(fd)


def _await_child(pid: int, fd: int, limit: float) -> Attempt:
    deadline = time.monotonic() + limit
    chunks: list[bytes] = []
    try:
        while True:
            left = deadline - time.monotonic()
            # An answer already in the pipe is read even at the deadline: the objective ended
            # in time, and only its reading came late.
            ready, _, _ = select.select([fd], [], [], max(0.0, min(left, 1.0)))
            if not ready:
                if left > 0:
                    continue
                os.kill(pid, signal.SIGKILL)
                whole = _answer(chunks)  # all of it read, only the end of the pipe not yet seen
                if whole is not None:
                    return whole
                return Attempt(
                    "failed",
                    reason=f"the trial ran past its time limit (trial_timeout = {limit:g} s): "
                    "its process was killed",
                )
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    except BaseException:  # the worker is stopping (StopRequested): take the child along
        os.kill(pid, signal.SIGKILL)
        raise
    attempt = _answer(chunks)
    if attempt is not None:
        return attempt
    _, status = os.waitpid(pid, 0)
    return Attempt("failed", reason=f"the objective's process died ({_how(status)})")


def _answer(chunks: list[bytes]) -> Attempt | None:
    """The child's answer, if what was read of it is whole."""
    if not chunks:
        return None
    try:
        attempt = pickle.loads(b"".join(chunks))
    except Exception:
        return None
    return attempt if isinstance(attempt, Attempt) else None


def _how(status: int) -> str:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            return f"killed by {signal.Signals(sig).name}"
        except ValueError:
            return f"killed by signal {sig}"
    return f"exit code {os.WEXITSTATUS(status)}" if os.WIFEXITED(status) else f"status {status}"


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass  # already reaped while reading its status
