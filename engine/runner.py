"""Runs one trial: ask, hold a budget slot, call the objective with a reporter, tell the result."""

from __future__ import annotations

import math
import socket
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import optuna
from optuna.exceptions import UpdateFinishedTrialError
from optuna.trial import Trial, TrialState

from engine.attrs import (
    FAIL_REASON,
    FIDELITY,
    HOST,
    OVER_BUDGET,
    SPRINT,
    TRACEBACK,
    WALL_TIME,
    WORKER,
)
from engine.budget import holds_slot
from engine.objective import Fidelity, TrialPruned, takes_optuna_trial
from engine.records import SprintRecord
from engine.session import Session
from engine.store import HEARTBEAT_INTERVAL

Outcome = Literal["complete", "pruned", "failed", "over_budget"]


class StopRequested(BaseException):
    """Raised inside the objective when the worker is told to stop now (SIGTERM)."""


class TrialReporter:
    """The reporter an objective gets: intermediate values go to the pruner, attrs to the trial."""

    def __init__(self, trial: Trial, prunes: bool = True) -> None:
        self._trial = trial
        self._prunes = prunes  # without a pruner, skip the storage read should_prune makes

    def report(self, value: float, step: int) -> None:
        self._trial.report(float(value), int(step))
        if self._prunes and self._trial.should_prune():
            raise TrialPruned(f"pruned at step {step}")

    def set_attr(self, key: str, value: Any) -> None:
        self._trial.set_user_attr(key, value)


class _Heartbeat:
    """Records the trial's heartbeat so a dead worker's trial can be told apart and reaped."""

    def __init__(self, storage: optuna.storages.RDBStorage, trial_id: int) -> None:
        self._storage, self._trial_id = storage, trial_id
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True)

    def __enter__(self) -> _Heartbeat:
        self._storage.record_heartbeat(self._trial_id)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT_INTERVAL):
            try:
                self._storage.record_heartbeat(self._trial_id)
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


def run_trial(ctx: TrialContext) -> Outcome:
    try:
        return _run_trial(ctx)
    except UpdateFinishedTrialError:
        # The operator failed or re-queued this trial from the app while it ran
        # (engine.operations): it is over, and the worker goes on with the next one.
        return "failed"


def _run_trial(ctx: TrialContext) -> Outcome:
    plan = ctx.sprint.plan
    storage = ctx.session.store.optuna_storage()
    trial = ctx.study.ask(plan.space.to_optuna())
    with _Heartbeat(storage, trial._trial_id):  # Optuna exposes no public trial id
        trials = ctx.study.get_trials(deepcopy=False)
        handed_back = ctx.session.store.retried_numbers(ctx.sprint.study_name)
        if not holds_slot(trial.number, trials, handed_back, plan.budget):
            trial.set_user_attr(OVER_BUDGET, True)
            ctx.study.tell(trial, state=TrialState.FAIL)
            return "over_budget"
        _label(trial, ctx)
        start = time.perf_counter()
        try:
            value = _call(ctx, trial, plan.fidelity)
        except TrialPruned:
            return _finish(ctx, trial, start, TrialState.PRUNED)
        except StopRequested:
            trial.set_user_attr(FAIL_REASON, "worker stopped; re-queued")
            _finish(ctx, trial, start, TrialState.FAIL)
            ctx.session.requeue(ctx.study, storage.get_trial(trial._trial_id), "stopped")
            raise
        except Exception as exc:  # the user's objective failed: record why, the session goes on
            trial.set_user_attr(FAIL_REASON, f"{type(exc).__name__}: {exc}"[:2000])
            trial.set_user_attr(TRACEBACK, traceback.format_exc()[-8000:])
            return _finish(ctx, trial, start, TrialState.FAIL)
        problem = _bad_value(value)
        if problem:
            trial.set_user_attr(FAIL_REASON, problem)
            return _finish(ctx, trial, start, TrialState.FAIL)
        return _finish(ctx, trial, start, TrialState.COMPLETE, float(value))


def _label(trial: Trial, ctx: TrialContext) -> None:
    trial.set_user_attr(SPRINT, ctx.sprint.number)
    trial.set_user_attr(FIDELITY, ctx.sprint.plan.fidelity.to_dict())
    trial.set_user_attr(WORKER, ctx.worker_id)
    trial.set_user_attr(HOST, socket.gethostname())


def _call(ctx: TrialContext, trial: Trial, fidelity: Fidelity) -> Any:
    ctx.in_objective = True
    try:
        if takes_optuna_trial(ctx.objective):
            return ctx.objective(trial)
        config = ctx.sprint.plan.space.config(trial.params)
        reporter = TrialReporter(trial, prunes=ctx.sprint.plan.pruner != "none")
        return ctx.objective(config, fidelity, reporter)
    finally:
        ctx.in_objective = False


def _bad_value(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            value = float(value)  # numpy scalars and 0-d tensors convert; other objects do not
        except (TypeError, ValueError):
            return f"the objective returned {type(value).__name__}, not a number"
    if not math.isfinite(value):
        return f"the objective returned {value}"
    return None


def _finish(
    ctx: TrialContext, trial: Trial, start: float, state: TrialState, value: float | None = None
) -> Outcome:
    trial.set_user_attr(WALL_TIME, round(time.perf_counter() - start, 4))
    ctx.study.tell(trial, value if state == TrialState.COMPLETE else None, state=state)
    return {TrialState.COMPLETE: "complete", TrialState.PRUNED: "pruned"}.get(state, "failed")  # type: ignore[return-value]
