"""Runs one trial: ask, hold a budget slot, call the objective with a reporter, tell the result."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import optuna
from optuna.exceptions import UpdateFinishedTrialError
from optuna.trial import Trial, TrialState

from engine.attempt import Attempt, call_in_child, call_objective
from engine.attrs import (
    DEATHS,
    FAIL_REASON,
    FIDELITY,
    HOST,
    OVER_BUDGET,
    RETRY_OF,
    SPRINT,
    TRACEBACK,
    WALL_TIME,
    WORKER,
)
from engine.budget import Ledger
from engine.faults import Outage, describe, is_storage_fault, patiently
from engine.hosts import this_host
from engine.optuna_internals import (
    is_finished_tell,
    record_heartbeat,
    remember_user_attrs,
    storage_trial_id,
)
from engine.records import SprintRecord
from engine.session import Session
from engine.store import Store

Outcome = Literal["complete", "pruned", "failed", "over_budget", "handed_back"]
T = TypeVar("T")
#: A configuration whose runs killed this many workers is failed without running it again.
MAX_DEATHS = 2


class StopRequested(BaseException):
    """Raised inside the objective when the worker is told to stop now (SIGTERM)."""


class _Heartbeat:
    """Records the trial's heartbeat so a dead worker's trial can be told apart and reaped."""

    def __init__(self, storage: optuna.storages.RDBStorage, trial_id: int, every: float) -> None:
        self._storage, self._trial_id, self._every = storage, trial_id, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True)

    def __enter__(self) -> _Heartbeat:
        record_heartbeat(self._storage, self._trial_id)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(self._every):
            try:
                record_heartbeat(self._storage, self._trial_id)
            except Exception:  # a missed beat is retried next interval; never kill the trial
                pass


@dataclass
class TrialContext:
    """What one worker knows while it runs trials of a sprint."""

    session: Session
    sprint: SprintRecord
    study: optuna.Study
    objective: Callable[..., Any]
    worker_id: int
    in_objective: bool = False
    outage: Outage = field(default_factory=Outage)
    stopping: Callable[[], bool] = lambda: False

    def patiently(self, call: Callable[[], T]) -> T:
        """A storage call made again until the storage answers (or the worker must stop)."""
        return patiently(call, self.outage, giving_up=self.stopping)


def run_trial(ctx: TrialContext, ledger: Ledger | None = None) -> Outcome:
    """Ask for a trial, run it and tell its end. ``ledger``, the budget read just before the
    ask, spares reading it again after the ask where it already proves the slot."""
    try:
        return _run_trial(ctx, ledger)
    except UpdateFinishedTrialError:
        # The operator failed or re-queued this trial from the app while it ran
        # (engine.operations), or a reaper handed it back while the storage was away:
        # it is over, and the worker goes on with the next one.
        return "failed"


def _run_trial(ctx: TrialContext, before: Ledger | None) -> Outcome:
    plan = ctx.sprint.plan
    storage = ctx.session.store.optuna_storage()
    trial = ctx.study.ask(plan.space.to_optuna())
    every = ctx.session.store.settings.heartbeat
    with _Heartbeat(storage, storage_trial_id(trial), every):
        start = time.perf_counter()
        try:
            ledger = before
            if ledger is None or not ledger.surely_holds(trial.number, plan.budget):
                ledger = ctx.session.store.ledger(ctx.sprint.study_name)
            mine = ledger.holds_slot(trial.number, plan.budget)
            if mine:
                _label(trial, ctx)
            cut_off = None
        except Exception as exc:
            if not is_storage_fault(exc):
                raise
            cut_off = describe(exc)
        if cut_off is not None:  # (outside the handler: what follows is not part of the fault)
            # Cut off between the ask and the objective: hand the trial back once the storage
            # answers, rather than leave it to a reaper as if its worker had died under it.
            _hand_back(
                ctx,
                trial,
                start,
                f"storage error before the objective: {cut_off}; re-queued",
                "storage",
            )
            return "handed_back"
        if not mine:
            ctx.patiently(lambda: trial.set_user_attr(OVER_BUDGET, True))
            ctx.patiently(lambda: _tell(ctx.study, trial, TrialState.FAIL, None))
            return "over_budget"
        deaths = int(trial.user_attrs.get(DEATHS, 0))
        if deaths >= MAX_DEATHS:
            why = (
                f"this configuration killed its worker {deaths} times (trial "
                f"{trial.user_attrs.get(RETRY_OF)} and before): failed for good, not run again"
            )
            ctx.patiently(lambda: trial.set_user_attr(FAIL_REASON, why))
            return _finish(ctx, trial, start, TrialState.FAIL)
        try:
            attempt = _call(ctx, trial)
        except StopRequested:
            _hand_back(ctx, trial, start, "worker stopped; re-queued", "stopped")
            raise
        if attempt.kind == "storage":
            _hand_back(ctx, trial, start, f"storage error: {attempt.reason}; re-queued", "storage")
            return "handed_back"
        if attempt.kind == "pruned":
            return _finish(ctx, trial, start, TrialState.PRUNED)
        if attempt.kind == "failed":
            ctx.patiently(lambda: trial.set_user_attr(FAIL_REASON, attempt.reason))
            if attempt.traceback:
                ctx.patiently(lambda: trial.set_user_attr(TRACEBACK, attempt.traceback))
            return _finish(ctx, trial, start, TrialState.FAIL)
        return _finish(ctx, trial, start, TrialState.COMPLETE, attempt.value)


def _hand_back(ctx: TrialContext, trial: Trial, start: float, why: str, reason: str) -> None:
    """Fail the trial and queue its configuration again: nobody's fault, nothing counted."""
    ctx.patiently(lambda: trial.set_user_attr(FAIL_REASON, why))
    try:
        _finish(ctx, trial, start, TrialState.FAIL)
    except UpdateFinishedTrialError:
        # Failed already: our FAIL committed and only its answer was lost (a cut right after
        # the commit), or a reaper failed it first. Either way it must be queued again; a
        # reaper's hand-back was recorded, and the re-queue happens once per trial.
        pass
    storage = ctx.session.store.optuna_storage()
    frozen = ctx.patiently(lambda: storage.get_trial(storage_trial_id(trial)))
    if frozen.state == TrialState.FAIL and frozen.user_attrs.get(FAIL_REASON) in (why, None):
        ctx.patiently(lambda: ctx.session.requeue(ctx.study, frozen, reason))


def _own_connections(store: Store) -> None:
    """In a forked child: drop (never close) the parent's pooled connections, open new ones."""
    store.engine.dispose(close=False)
    store.optuna_storage().engine.dispose(close=False)


def _label(trial: Trial, ctx: TrialContext) -> None:
    """Say which sprint, fidelity, worker and host the trial is: one write, not four; an
    Optuna-style objective reads them from ``trial.user_attrs``."""
    labels = {
        SPRINT: ctx.sprint.number,
        FIDELITY: ctx.sprint.plan.fidelity.to_attr(),
        WORKER: ctx.worker_id,
        HOST: this_host(),
    }
    if not ctx.session.store.set_user_attrs(storage_trial_id(trial), labels):
        raise UpdateFinishedTrialError(f"trial {trial.number} finished before it was labelled")
    remember_user_attrs(trial, labels)


def _call(ctx: TrialContext, trial: Trial) -> Attempt:
    plan = ctx.sprint.plan
    config = plan.space.config(trial.params)

    def run() -> Attempt:
        prunes = plan.pruner != "none"
        return call_objective(
            ctx.objective, trial, config, plan.fidelity, prunes, plan.fidelity.steps
        )

    ctx.in_objective = True
    try:
        if plan.trial_timeout is None:
            return run()
        return call_in_child(run, plan.trial_timeout, lambda: _own_connections(ctx.session.store))
    finally:
        ctx.in_objective = False


def _tell(study: optuna.Study, trial: Trial, state: TrialState, value: float | None) -> None:
    try:
        study.tell(trial, value if state == TrialState.COMPLETE else None, state=state)
    except ValueError as exc:
        # Already finished: an earlier try committed and only its answer was lost (the
        # connection cut after the commit), or a reaper handed the trial back meanwhile.
        if is_finished_tell(exc):
            raise UpdateFinishedTrialError(str(exc)) from exc
        raise


def _finish(
    ctx: TrialContext, trial: Trial, start: float, state: TrialState, value: float | None = None
) -> Outcome:
    ctx.patiently(lambda: trial.set_user_attr(WALL_TIME, round(time.perf_counter() - start, 4)))
    # A tell the storage refused is tried again once it is back: the work is not thrown away.
    ctx.patiently(lambda: _tell(ctx.study, trial, state, value))
    if state == TrialState.COMPLETE:
        return "complete"
    if state == TrialState.PRUNED:
        return "pruned"
    return "failed"
