"""A worker process: runs trials of the session's current sprint until the session ends."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import TypeVar

from engine.attempt import TERMINATING
from engine.errors import SprintoptError
from engine.faults import Outage, describe, is_storage_fault, patiently
from engine.gpu import assigned_device, sample, to_dict
from engine.hosts import this_host
from engine.notices import Notices
from engine.optuna_internals import quiet_optuna
from engine.outages import OutageNote
from engine.records import SprintRecord
from engine.runner import StopRequested, TrialContext, run_trial
from engine.session import Session
from engine.settings import STORAGE_ENV as STORAGE_ENV
from engine.settings import Settings
from engine.spec import resolve_objective
from engine.states import Action, SessionState, SprintState
from engine.store import mask_url

log = logging.getLogger("sprintopt.worker")
T = TypeVar("T")
#: Extra directories a worker may import the objective from (os.pathsep-separated), besides
#: its working directory and its --path options. Never read from the database: write access
#: to a shared database must not decide what code runs on every worker host.
PATH_ENV = "SPRINTOPT_PATH"
SEED_MODULUS = 2**32  # numpy's and Optuna's samplers take seeds in [0, 2**32)
#: How long a leaving worker waits for an absent storage to mark it stopped.
LEAVE_WAIT = 15.0


def worker_seed(session_seed: int, sprint: int, worker_id: int) -> int:
    """A distinct, valid sampler seed per (session seed, sprint, worker)."""
    return (session_seed * 1_000_003 + sprint * 10_007 + worker_id) % SEED_MODULUS


def trusted_path(extra: list[str] | None = None) -> list[str]:
    """Where this worker imports the objective from: its own choices only."""
    env = [p for p in os.environ.get(PATH_ENV, "").split(os.pathsep) if p]
    return list(dict.fromkeys([os.getcwd(), *(extra or []), *env]))


@dataclass
class WorkerOptions:
    name: str
    url: str
    auto_approve: bool = False
    gpu: str | None = None
    log_path: str | None = None
    poll: float = 1.0
    search_path: list[str] | None = None  # where the objective is imported from (trusted_path)
    #: What the entry point read; a library caller that gives none gets the environment's.
    settings: Settings = field(default_factory=Settings.from_environ)
    #: A worker a person starts resumes a stopped session (``sprintopt stop`` says to); the
    #: workers ``run`` starts leave that to ``run``, which resumes it before starting them.
    resume: bool = False


class Worker:
    def __init__(self, opts: WorkerOptions) -> None:
        self.opts = opts
        self.settings = opts.settings
        self.stopping = False
        # While the storage is away, a note beside the logs tells `status` and the app.
        self.note = OutageNote(self.settings.log_dir(opts.name, opts.url))
        self.outage = Outage(listener=self.note)
        # A worker started while the storage is away waits for it, like one already running.
        self.session = self._patiently(
            lambda: Session.open(opts.name, opts.url, settings=self.settings)
        )
        spec = self.session.spec
        self.objective = resolve_objective(spec, trusted_path(opts.search_path))
        if opts.resume and self.session.record.stop_requested:
            log.info("session %s was stopped; this worker resumes it", opts.name)
            self._patiently(lambda: self.session.store.request_stop(self.session.record.id, False))
        self.id = self._patiently(
            lambda: self.session.store.register_worker(
                self.session.record.id, this_host(), os.getpid(), opts.gpu, opts.log_path
            )
        )
        # The command is this worker's own (its environment); the rule is the session's.
        self.notices = Notices.for_worker(
            self.session, self.settings.notify, opts.auto_approve, self._patiently
        )
        self._ctx: TrialContext | None = None
        self._done = threading.Event()
        self._last_reap = 0.0
        self._gpu = assigned_device(opts.gpu)  # read now: the objective may change the env

    def _patiently(self, call: Callable[[], T]) -> T:
        return patiently(call, self.outage, sleep=self._nap, giving_up=lambda: self.stopping)

    def _nap(self, seconds: float) -> None:
        """Sleep, but wake within a tenth of a second of a stop request."""
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(min(0.1, deadline - time.monotonic()))

    # -- signals: any terminating one stops now (the running trial is re-queued) --------------
    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self.stopping = True
        if self._ctx is not None and self._ctx.in_objective:
            raise StopRequested()

    def install_signals(self) -> None:
        # Also over dispositions inherited as ignored (nohup ignores SIGHUP): a worker told to
        # end by any of these hands its trial back instead of dying with it or ignoring it.
        for sig in TERMINATING:
            signal.signal(sig, self._on_signal)

    def _keep_alive(self) -> None:
        while not self._done.wait(self.settings.heartbeat):
            try:
                self.session.store.touch_worker(self.id)
            except Exception:  # the database is busy: the next beat will do
                pass

    def _watch_gpu(self) -> None:
        # A thread of its own, at the heartbeat's pace: a driver call that hangs (a GPU fallen
        # off the bus) must not stop the heartbeat, or the worker's trial would be reaped; the
        # app shows the sample getting old instead.
        self._report_gpu()  # at once: the app shows the GPU without waiting a beat
        while not self._done.wait(self.settings.heartbeat):
            self._report_gpu()

    def _report_gpu(self) -> None:
        """Store this worker's GPU sample (a sample never raises)."""
        try:
            self.session.store.record_gpu(self.id, to_dict(sample(self._gpu)))
        except Exception:  # the database is busy: the next beat will do
            pass

    def run(self, handle_signals: bool = True, until: Callable[[], bool] | None = None) -> int:
        """Work until the session ends or a stop is asked for (or ``until()`` holds), then leave."""
        if handle_signals:
            self.install_signals()
        threading.Thread(target=self._keep_alive, daemon=True).start()
        threading.Thread(target=self._watch_gpu, daemon=True).start()
        log.info(
            "worker %d joined session %s on %s", self.id, self.opts.name, mask_url(self.opts.url)
        )
        try:
            while not self.stopping and not (until is not None and until()) and self._turn():
                pass
        except StopRequested:
            log.info("worker %d stopped; its running trial was re-queued", self.id)
        finally:
            self._done.set()
            self._leave()
            self.notices.drain()  # the last notice (the session's end) finishes and is logged
        return 0

    def _leave(self, wait: float = LEAVE_WAIT) -> None:
        """Mark this worker stopped, waiting a little for a storage that is away."""
        deadline = time.monotonic() + wait
        try:
            patiently(
                lambda: self.session.store.touch_worker(self.id, stopped=True),
                self.outage,
                sleep=lambda s: time.sleep(max(0.0, min(s, deadline - time.monotonic()))),
                giving_up=lambda: time.monotonic() >= deadline,
            )
        except Exception as exc:
            if not is_storage_fault(exc):
                raise
            # Its row goes stale; readers judge it by its heartbeat and pid.
            log.warning("worker %d left unmarked: storage away (%s)", self.id, describe(exc))
        self.note.path.unlink(missing_ok=True)

    def _turn(self) -> bool:
        """One step of the loop, riding through a storage fault: wait, and pick up again."""
        try:
            going_on = self._step()
        except Exception as exc:
            if not is_storage_fault(exc):
                raise
            self._nap(self.outage.failed(exc))
            return True
        self.outage.recovered()
        return going_on

    def _step(self) -> bool:
        """One turn of the loop; False when the worker should exit."""
        rec = self.session.refresh()
        if rec.stop_requested:
            log.info("stop requested; worker %d exits", self.id)
            return False
        if rec.state == SessionState.FINISHED:
            log.info("session %s finished; worker %d exits", rec.name, self.id)
            return False
        sprint = self.session.current()  # one read of the sprints per turn
        if sprint is not None and sprint.state == SprintState.SETUP:
            self.session.recover_setup(sprint, stuck_after=self.settings.grace_period)
            sprint = self.session.current()
        match rec.state:
            case SessionState.AWAITING if (
                self.opts.auto_approve and self.session.open_proposal() is not None
            ):
                try:
                    self.session.decide(
                        Action.ACCEPTED,
                        operator=f"auto-approve@{this_host()}",
                        note="--auto-approve",
                    )
                except SprintoptError:
                    pass  # another worker approved first
            case SessionState.RUNNING if sprint is not None and sprint.state == SprintState.RUNNING:
                self._work_on(sprint)
            case _:  # a proposal waits for a person, or the sprint is not yet running
                time.sleep(self.opts.poll)
        return True

    def _work_on(self, sprint: SprintRecord) -> None:
        if self._ctx is None or self._ctx.sprint.id != sprint.id:
            seed = worker_seed(self.session.spec.session.seed, sprint.number, self.id)
            self._ctx = TrialContext(
                self.session,
                sprint,
                self.session.study(sprint, seed),
                self.objective,
                self.id,
                outage=self.outage,
                stopping=lambda: self.stopping,
            )
        # Reaping reads every running trial's heartbeat: once per heartbeat interval is enough.
        if time.monotonic() - self._last_reap >= self.settings.heartbeat:
            self.session.reap(sprint, self._ctx.study)
            self._last_reap = time.monotonic()
        budget = sprint.plan.budget
        ledger = self.session.store.ledger(sprint.study_name)  # small rows, not whole trials
        timed_out = self.session.timed_out(sprint)
        if not timed_out and ledger.has_room(budget):
            outcome = run_trial(self._ctx, ledger)
            log.info("sprint %d trial done: %s", sprint.number, outcome)
            if outcome == "failed":
                self.notices.trial_failed(
                    sprint,
                    self._ctx.study.get_trials(deepcopy=False),
                    self.session.store.retried_numbers(sprint.study_name),
                )
        elif ledger.is_spent(budget, timed_out):
            # A reap cut short would be counted as a failure: hand it back before closing.
            if not self.session.reap(sprint, self._ctx.study):
                state = self.session.try_close(sprint)
                if state is not None:  # this worker closed it: it alone tells a person
                    trials = self._ctx.study.get_trials(deepcopy=False)
                    self.notices.sprint_closed(sprint, state, trials)
        else:
            time.sleep(self.opts.poll)  # the last trials run elsewhere; wait for them


def run_worker(opts: WorkerOptions, handle_signals: bool = True) -> int:
    if handle_signals:  # before connecting: a worker waiting for its storage can be stopped
        holder: list[Worker] = []

        def early(signum: int, _frame: FrameType | None) -> None:
            if holder:
                holder[0]._on_signal(signum, _frame)
            else:
                raise SystemExit(128 + signum)

        for sig in TERMINATING:
            signal.signal(sig, early)
        worker = Worker(opts)
        holder.append(worker)
        return worker.run(handle_signals)
    return Worker(opts).run(handle_signals)


def main(argv: list[str] | None = None) -> int:
    """Entry point of detached worker processes (``python -m engine.worker``)."""
    parser = argparse.ArgumentParser(prog="python -m engine.worker")
    parser.add_argument("session")
    parser.add_argument("--auto-approve", action="store_true")
    parser.add_argument("--gpu")
    parser.add_argument("--log-path")
    parser.add_argument(
        "--path", action="append", default=[], help="a directory to import the objective from"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(process)d %(message)s")
    quiet_optuna()
    try:
        settings = Settings.from_environ()
        if settings.storage is None:
            print(f"error: {STORAGE_ENV} is not set", file=sys.stderr)
            return 2
        return run_worker(
            WorkerOptions(
                args.session,
                settings.storage,
                args.auto_approve,
                args.gpu,
                args.log_path,
                search_path=args.path,
                settings=settings,
            )
        )
    except SprintoptError as exc:
        log.error("%s", exc)
        return 2


if __name__ == "__main__":
    sys.exit(main())
