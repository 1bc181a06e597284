"""A worker process: runs trials of the session's current sprint until the session ends."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass
from types import FrameType

from engine.budget import has_room, is_spent
from engine.errors import SprintoptError
from engine.records import SprintRecord
from engine.runner import StopRequested, TrialContext, run_trial
from engine.session import Session
from engine.spec import resolve_objective
from engine.store import HEARTBEAT_INTERVAL, mask_url

log = logging.getLogger("sprintopt.worker")
STORAGE_ENV = "SPRINTOPT_STORAGE"  # the URL travels in the environment, never in `ps` output


@dataclass
class WorkerOptions:
    name: str
    url: str
    auto_approve: bool = False
    gpu: str | None = None
    log_path: str | None = None
    poll: float = 1.0


class Worker:
    def __init__(self, opts: WorkerOptions) -> None:
        self.opts = opts
        self.session = Session.open(opts.name, opts.url)
        spec = self.session.spec
        self.objective = resolve_objective(spec, self.session.record.sys_path)
        self.id = self.session.store.register_worker(
            self.session.record.id, socket.gethostname(), os.getpid(), opts.gpu, opts.log_path
        )
        self.stopping = False
        self._ctx: TrialContext | None = None
        self._done = threading.Event()
        self._last_reap = 0.0

    # -- signals: SIGTERM stops now (the running trial is re-queued), SIGINT likewise --------
    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self.stopping = True
        if self._ctx is not None and self._ctx.in_objective:
            raise StopRequested()

    def _keep_alive(self) -> None:
        while not self._done.wait(HEARTBEAT_INTERVAL):
            try:
                self.session.store.touch_worker(self.id)
            except Exception:  # the database is busy: the next beat will do
                pass

    def run(self, handle_signals: bool = True) -> int:
        if handle_signals:
            signal.signal(signal.SIGTERM, self._on_signal)
            signal.signal(signal.SIGINT, self._on_signal)
        threading.Thread(target=self._keep_alive, daemon=True).start()
        log.info(
            "worker %d joined session %s on %s", self.id, self.opts.name, mask_url(self.opts.url)
        )
        try:
            while not self.stopping and self._step():
                pass
        except StopRequested:
            log.info("worker %d stopped; its running trial was re-queued", self.id)
        finally:
            self._done.set()
            self.session.store.touch_worker(self.id, stopped=True)
        return 0

    def _step(self) -> bool:
        """One turn of the loop; False when the worker should exit."""
        rec = self.session.refresh()
        if rec.stop_requested:
            log.info("stop requested; worker %d exits", self.id)
            return False
        if rec.state == "finished":
            log.info("session %s finished; worker %d exits", rec.name, self.id)
            return False
        sprint = self.session.current()  # one read of the sprints per turn
        if sprint is not None and sprint.state == "setup":
            self.session.recover_setup(sprint)
            sprint = self.session.current()
        if rec.state == "awaiting":
            if self.opts.auto_approve and self.session.open_proposal() is not None:
                try:
                    self.session.decide(
                        "accepted",
                        operator=f"auto-approve@{socket.gethostname()}",
                        note="--auto-approve",
                    )
                except SprintoptError:
                    pass  # another worker approved first
            else:
                time.sleep(self.opts.poll)
            return True
        if sprint is None or sprint.state != "running":
            time.sleep(self.opts.poll)
            return True
        self._work_on(sprint)
        return True

    def _work_on(self, sprint: SprintRecord) -> None:
        if self._ctx is None or self._ctx.sprint.id != sprint.id:
            seed = self.session.spec.session.seed * 1_000_003 + sprint.number * 10_007 + self.id
            self._ctx = TrialContext(
                self.session, sprint, self.session.study(sprint, seed), self.objective, self.id
            )
        # Reaping reads every running trial's heartbeat: once per heartbeat interval is enough.
        if time.monotonic() - self._last_reap >= HEARTBEAT_INTERVAL:
            self.session.reap(sprint, self._ctx.study)
            self._last_reap = time.monotonic()
        trials = self._ctx.study.get_trials(deepcopy=False)
        handed_back = self.session.store.retried_numbers(sprint.study_name)
        timed_out = self.session.timed_out(sprint)
        if not timed_out and has_room(trials, handed_back, sprint.plan.budget):
            outcome = run_trial(self._ctx)
            log.info("sprint %d trial done: %s", sprint.number, outcome)
        elif is_spent(trials, handed_back, sprint.plan.budget, timed_out):
            self.session.try_close(sprint)
        else:
            time.sleep(self.opts.poll)  # the last trials run elsewhere; wait for them


def run_worker(opts: WorkerOptions, handle_signals: bool = True) -> int:
    return Worker(opts).run(handle_signals)


def main(argv: list[str] | None = None) -> int:
    """Entry point of detached worker processes (``python -m engine.worker``)."""
    parser = argparse.ArgumentParser(prog="python -m engine.worker")
    parser.add_argument("session")
    parser.add_argument("--auto-approve", action="store_true")
    parser.add_argument("--gpu")
    parser.add_argument("--log-path")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(process)d %(message)s")
    url = os.environ.get(STORAGE_ENV)
    if not url:
        print(f"error: {STORAGE_ENV} is not set", file=sys.stderr)
        return 2
    try:
        return run_worker(
            WorkerOptions(args.session, url, args.auto_approve, args.gpu, args.log_path)
        )
    except SprintoptError as exc:
        log.error("%s", exc)
        return 2


if __name__ == "__main__":
    sys.exit(main())
