"""What an operator may do to trials from the app: fail or re-queue one, enqueue a copy.

Each function checks the trial's state first and raises :class:`SessionError` with a message
the operator can act on. A trial failed here while a worker runs it is abandoned by that worker
at its next report (Optuna refuses updates to a finished trial; the runner treats that as the
trial having been ended from outside) and the worker goes on with the next trial.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import optuna
from optuna.exceptions import UpdateFinishedTrialError
from optuna.trial import FrozenTrial, TrialState

from engine.attrs import ENQUEUED_BY, FAIL_REASON
from engine.budget import counting
from engine.errors import SessionError
from engine.optuna_internals import set_trial_user_attr
from engine.records import SprintRecord
from engine.session import Session, operator_name
from engine.states import SprintState


def _sprint(session: Session, number: int) -> SprintRecord:
    for s in session.sprints():
        if s.number == number:
            return s
    raise SessionError(f"session {session.name} has no sprint {number}")


def _trial(study: optuna.Study, number: int) -> FrozenTrial:
    for t in study.get_trials(deepcopy=False):
        if t.number == number:
            return t
    raise SessionError(f"sprint study {study.study_name} has no trial {number}")


def _end(study: optuna.Study, trial: FrozenTrial, reason: str) -> None:
    """Fail a running trial from outside its worker, saying who did it."""
    try:
        # Optuna has no public handle on another process's trial: set the attribute by id.
        set_trial_user_attr(study, trial, FAIL_REASON, reason)
        study.tell(trial.number, state=TrialState.FAIL)
    except (UpdateFinishedTrialError, ValueError, RuntimeError):
        raise SessionError(f"trial {trial.number} finished a moment ago; nothing done") from None


def fail_trial(session: Session, sprint: int, number: int, operator: str | None = None) -> None:
    """Fail a running trial now; its slot stays used (re-queue it to hand the slot back)."""
    record = _sprint(session, sprint)
    study = session.study(record)
    trial = _trial(study, number)
    if trial.state != TrialState.RUNNING:
        raise SessionError(f"trial {number} is {trial.state.name.lower()}, not running")
    _end(study, trial, f"failed by {operator or operator_name()}")


def requeue_trial(session: Session, sprint: int, number: int, operator: str | None = None) -> None:
    """Queue a running or failed trial's configuration again, handing its slot back."""
    record = _sprint(session, sprint)
    study = session.study(record)
    trial = _trial(study, number)
    if record.state != SprintState.RUNNING:
        raise SessionError(f"sprint {sprint} is {record.state}: only its own trials can re-queue")
    if trial.number in session.store.retried_numbers(record.study_name):
        raise SessionError(f"trial {number} was re-queued already")
    if trial.state == TrialState.RUNNING:
        _end(study, trial, f"re-queued by {operator or operator_name()}")
    elif trial.state != TrialState.FAIL:
        raise SessionError(
            f"trial {number} is {trial.state.name.lower()}: only running or failed trials "
            "re-queue (enqueue a copy instead)"
        )
    session.requeue(study, _trial(study, number), "operator")


def enqueue_copy(session: Session, params: Mapping[str, Any], operator: str | None = None) -> int:
    """Queue a configuration in the running sprint; it takes one of the sprint's slots."""
    record = session.current()
    if record is None or record.state != SprintState.RUNNING:
        raise SessionError("no sprint is running: a configuration can only join a running sprint")
    space = record.plan.space
    config = {n: params[n] for n in space.names if n in params}
    missing = [n for n in space.names if n not in config]
    if missing:
        raise SessionError(f"the configuration lacks {', '.join(missing)}")
    outside = [n for n in space.names if not space[n].contains(config[n])]
    if outside:
        ranges = "; ".join(f"{n} in {space[n].describe()}" for n in outside)
        raise SessionError(f"outside sprint {record.number}'s space: {ranges}")
    study = session.study(record)
    ledger = session.store.ledger(record.study_name)  # what the workers' budget check reads
    if len(counting(ledger.slots, ledger.handed_back)) >= record.plan.budget:
        raise SessionError(
            f"sprint {record.number}'s {record.plan.budget} slots are all used: nothing can join"
        )
    before = {t.number for t in study.get_trials(deepcopy=False)}
    study.enqueue_trial(
        config, user_attrs={ENQUEUED_BY: operator or operator_name()}, skip_if_exists=False
    )
    added = [t.number for t in study.get_trials(deepcopy=False) if t.number not in before]
    return added[0] if added else -1
