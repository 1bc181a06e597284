"""The read model: what the screens and `status` show, as plain frozen dataclasses."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from optuna.trial import FrozenTrial, TrialState

from engine.attrs import FAIL_REASON, OVER_BUDGET, WALL_TIME, WORKER
from engine.hosts import pid_alive, this_host
from engine.optuna_internals import fixed_params
from engine.outages import StorageTrouble, storage_summary, troubles
from engine.read.reader import SessionReader
from engine.records import ProposalRecord, now
from engine.states import SessionState, SprintState

#: What a trial row shows: Optuna's state, or what the product made of the trial (its slot was
#: handed back and a copy queued: retried; failed at once for want of a slot: over budget).
RowState = Literal["complete", "pruned", "failed", "running", "waiting", "retried", "over_budget"]


@dataclass(frozen=True)
class TrialRow:
    sprint: int
    number: int
    state: RowState
    value: float | None
    step: int | None
    params: dict[str, Any]
    fidelity: str
    wall_time: float | None
    worker: int | None
    reason: str | None


@dataclass(frozen=True)
class SprintView:
    number: int
    name: str
    state: SprintState
    fidelity: str
    sampler: str
    pruner: str
    budget: int
    counts: dict[str, int]
    best_value: float | None
    best_params: dict[str, Any] | None


@dataclass(frozen=True)
class SessionView:
    name: str
    state: SessionState
    stop_requested: bool
    direction: str
    planned_sprints: int
    sprints: list[SprintView]
    workers_alive: int
    best_value: float | None
    best_params: dict[str, Any] | None
    best_sprint: int | None
    proposal: ProposalRecord | None
    trials: list[TrialRow]
    #: Outages the session's live workers are riding out (their notes; empty when none).
    storage: tuple[StorageTrouble, ...] = ()
    #: Workers whose process lives on this host but whose heartbeat has stopped reaching the
    #: storage (what is seen even when no note could be written: the disk is full).
    silent_workers: int = 0
    #: Seconds of silence after which a worker counts as gone (the store's settings).
    grace_period: int = 20

    @property
    def storage_line(self) -> str | None:
        """One line on the storage's trouble, for `status` and the app (None: no trouble)."""
        return storage_summary(self.storage, self.silent_workers, self.grace_period)


def _state(t: FrozenTrial, handed_back: set[int]) -> RowState:
    if t.number in handed_back:
        return "retried"
    if t.user_attrs.get(OVER_BUDGET):
        return "over_budget"
    match t.state:
        case TrialState.COMPLETE:
            return "complete"
        case TrialState.PRUNED:
            return "pruned"
        case TrialState.FAIL:
            return "failed"
        case TrialState.RUNNING:
            return "running"
        case TrialState.WAITING:
            return "waiting"
    raise AssertionError(f"trial {t.number} has no state a row shows: {t.state}")


def trial_rows(session: SessionReader) -> list[TrialRow]:
    rows = []
    for sprint in session.sprints():
        if sprint.state == SprintState.SETUP:
            continue
        handed_back = session.store.retried_numbers(sprint.study_name)
        fid = sprint.plan.fidelity.describe()
        for t in session.measured_trials(sprint):
            state = _state(t, handed_back)
            if state == "over_budget":
                continue  # a race's loser: never ran, never counted
            rows.append(
                TrialRow(
                    sprint=sprint.number,
                    number=t.number,
                    state=state,
                    value=t.value,
                    step=t.last_step,
                    params=dict(t.params) or fixed_params(t),
                    fidelity=fid,
                    wall_time=t.user_attrs.get(WALL_TIME),
                    worker=t.user_attrs.get(WORKER),
                    reason=t.user_attrs.get(FAIL_REASON),
                )
            )
    return rows


def session_view(session: SessionReader) -> SessionView:
    rec = session.refresh()
    maximize = session.maximize
    rows = trial_rows(session)
    views = []
    for sprint in session.sprints():
        mine = [r for r in rows if r.sprint == sprint.number]
        best = _best(mine, maximize)
        plan = sprint.plan
        views.append(
            SprintView(
                number=sprint.number,
                name=plan.name,
                state=sprint.state,
                fidelity=plan.fidelity.describe(),
                sampler=plan.sampler,
                pruner=plan.pruner,
                budget=plan.budget,
                counts=dict(Counter(r.state for r in mine)),
                best_value=best.value if best else None,
                best_params=best.params if best else None,
            )
        )
    # The session's best: from the highest-fidelity sprint that completed a trial.
    best_row = None
    for view in reversed(views):
        best_row = _best([r for r in rows if r.sprint == view.number], maximize)
        if best_row is not None:
            break
    # Alive is what the database says: not stopped, and seen within the grace period (the
    # reaper's rule, on any host). A worker of this host whose heartbeat stopped reaching the
    # database while its process lives (a full disk) is reported apart.
    settings = session.store.settings
    cutoff = now() - timedelta(seconds=settings.grace_period)
    workers = [w for w in session.store.workers(rec.id) if w.stopped_at is None]
    alive = sum(1 for w in workers if w.last_seen > cutoff)
    here = this_host()
    silent = sum(
        1 for w in workers if w.last_seen <= cutoff and w.host == here and pid_alive(w.pid)
    )
    return SessionView(
        name=rec.name,
        state=rec.state,
        stop_requested=rec.stop_requested,
        direction=session.spec.session.direction,
        planned_sprints=len(session.spec.sprints),
        sprints=views,
        workers_alive=alive,
        best_value=best_row.value if best_row else None,
        best_params=best_row.params if best_row else None,
        best_sprint=best_row.sprint if best_row else None,
        proposal=session.open_proposal(),
        trials=rows,
        storage=troubles(settings.log_dir(rec.name, session.store.url)),
        silent_workers=silent,
        grace_period=settings.grace_period,
    )


def _best(rows: list[TrialRow], maximize: bool) -> TrialRow | None:
    done = [r for r in rows if r.state == "complete" and r.value is not None]
    if not done:
        return None
    return (max if maximize else min)(done, key=lambda r: r.value)  # type: ignore[arg-type, return-value]
