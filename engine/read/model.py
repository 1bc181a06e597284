"""The read model: what the screens and `status` show, as plain frozen dataclasses."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from itertools import chain
from typing import Any, Literal

from optuna.trial import FrozenTrial, TrialState

from engine.attrs import (
    CARRIED,
    FAIL_REASON,
    HISTORY,
    OVER_BUDGET,
    PREFIX,
    RETRY_OF,
    WALL_TIME,
    WORKER,
)
from engine.hosts import pid_alive, this_host
from engine.objective import Fidelity
from engine.optuna_internals import fixed_params
from engine.outages import StorageTrouble, storage_summary, troubles
from engine.read.events import utc
from engine.read.memo import Patch, PerTrial
from engine.read.progress import (
    SessionProgress,
    SprintPace,
    Stage,
    session_progress,
    sprint_pace,
    stages_to_come,
    trial_cost,
)
from engine.read.prunes import explain_prunes
from engine.read.reader import SessionReader
from engine.records import ProposalRecord, SprintRecord, now
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
    #: Why it failed; why it was pruned too where :func:`trial_rows` was asked for that.
    reason: str | None
    sprint_name: str = ""
    #: When it started and ended, naive UTC like the store's own times.
    started: datetime | None = None
    ended: datetime | None = None
    #: The sprint's fidelity as numbers: the resource's amount under its name, both data
    #: fractions and the numeric extras. One dict per sprint, shared by its rows: read it only.
    fidelity_values: dict[str, float] = field(default_factory=dict)
    #: A configuration carried over from the sprint before.
    carried_over: bool = False
    #: The number of the trial whose slot this re-queued copy took over.
    retry_of: int | None = None
    #: What the objective reported, step by step (the trial's own dict: read it only).
    intermediate: dict[int, float] = field(default_factory=dict)
    #: The objective's own user attributes (none of sprintopt's).
    attrs: dict[str, Any] = field(default_factory=dict)


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
    #: The whole session's progress: sprint k of n, trials left, the time to go.
    progress: SessionProgress
    #: Outages the session's live workers are riding out (their notes; empty when none).
    storage: tuple[StorageTrouble, ...] = ()
    #: Workers whose process lives on this host but whose heartbeat has stopped reaching the
    #: storage (what is seen even when no note could be written: the disk is full).
    silent_workers: int = 0
    #: Seconds of silence after which a worker counts as gone (the store's settings).
    grace_period: int = 20
    #: The fidelity the best was measured at (the newest one any trial completed at).
    best_fidelity: str | None = None

    @property
    def storage_line(self) -> str | None:
        """One line on the storage's trouble, for `status` and the app (None: no trouble)."""
        return storage_summary(self.storage, self.silent_workers, self.grace_period)


def _state(t: FrozenTrial, retried: bool) -> RowState:
    if retried:
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


@dataclass(frozen=True)
class _SprintFacts:
    """What every row of a sprint shares, worked out once per sprint."""

    number: int
    name: str
    fidelity: str
    values: dict[str, float]

    @classmethod
    def of(cls, sprint: SprintRecord) -> _SprintFacts:
        plan = sprint.plan
        return cls(
            sprint.number, plan.name, plan.fidelity.describe(), fidelity_values(plan.fidelity)
        )


def fidelity_values(fidelity: Fidelity) -> dict[str, float]:
    """The fidelity as numbers: the resource's amount, both data fractions, numeric extras."""
    values = {
        fidelity.resource: fidelity.amount,
        "train_fraction": fidelity.train_fraction,
        "valid_fraction": fidelity.valid_fraction,
    }
    for key, value in fidelity.extra.items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            values.setdefault(key, float(value))
    return values


def _row(facts: _SprintFacts, t: FrozenTrial, state: RowState) -> TrialRow:
    attrs = t.user_attrs
    return TrialRow(
        sprint=facts.number,
        number=t.number,
        state=state,
        value=t.value,
        step=t.last_step,
        params=dict(t.params) or fixed_params(t),
        fidelity=facts.fidelity,
        wall_time=attrs.get(WALL_TIME),
        worker=attrs.get(WORKER),
        reason=attrs.get(FAIL_REASON),
        sprint_name=facts.name,
        started=utc(t.datetime_start) if t.datetime_start else None,
        ended=utc(t.datetime_complete) if t.datetime_complete else None,
        fidelity_values=facts.values,
        carried_over=bool(attrs.get(CARRIED)),
        retry_of=attrs.get(RETRY_OF),
        intermediate=t.intermediate_values,  # not copied: a big session holds many
        attrs={k: v for k, v in attrs.items() if not k.startswith(PREFIX)},
    )


@dataclass
class PollMemo:
    """What a reader that polls keeps between polls: a trial that is the same object as at the
    last poll (``engine.read.reader.TrialCache`` keeps it so) with the same hand-back keeps its
    row; a sprint whose trials and hand-backs are all unchanged keeps its list of rows, and a
    sprint whose list is the same keeps its view."""

    #: Per study: its rows (:class:`_SprintRows`).
    rows: dict[str, _SprintRows] = field(default_factory=dict)
    #: Per sprint number: (its rows, its record, its view, its best row).
    views: dict[int, tuple[list[TrialRow], SprintRecord, SprintView, TrialRow | None]] = field(
        default_factory=dict
    )
    #: The rows of each sprint at the last :func:`session_view`.
    by_sprint: dict[int, list[TrialRow]] = field(default_factory=dict)
    #: Per sprint number: (its rows, their pace).
    paces: dict[int, tuple[list[TrialRow], SprintPace]] = field(default_factory=dict)


def _make(facts: _SprintFacts, t: FrozenTrial, retried: bool) -> TrialRow | None:
    """The trial's row; None for a trial that shows none."""
    if HISTORY in t.user_attrs:
        return None  # a copy of an earlier sprint's trial, to inform the sampler
    state = _state(t, retried)
    if state == "over_budget":
        return None  # a race's loser: never ran, never counted
    return _row(facts, t, state)


class _SprintRows:
    """One sprint's rows: each trial's kept while it and its hand-back are the same, the list
    while the trials and the hand-backs are."""

    def __init__(self, sprint: SprintRecord) -> None:
        self._made = PerTrial[TrialRow | None](partial(_make, _SprintFacts.of(sprint)))
        self._last: tuple[list[FrozenTrial], frozenset[int], list[TrialRow]] | None = None

    def of(
        self, trials: list[FrozenTrial], handed_back: set[int], patch: Patch | None
    ) -> list[TrialRow]:
        back, last = frozenset(handed_back), self._last
        if last is not None and last[0] is trials and last[1] == back:
            return last[2]
        if last is None or last[1] != back:
            patch = None  # a trial handed back or taken back may be anywhere
        made = self._made.each(trials, lambda t: (t.number in back,), patch)
        rows = [r for r in made if r is not None]
        self._last = trials, back, rows
        return rows


def _sprint_rows(
    sprint: SprintRecord,
    trials: list[FrozenTrial],
    handed_back: set[int],
    memo: PollMemo,
    patch: Patch | None = None,
) -> list[TrialRow]:
    rows = memo.rows.get(sprint.study_name)
    if rows is None:
        rows = memo.rows[sprint.study_name] = _SprintRows(sprint)
    return rows.of(trials, handed_back, patch)


def _set_up(
    session: SessionReader,
) -> Iterator[tuple[SprintRecord, list[FrozenTrial], set[int], Patch | None]]:
    """Each set-up sprint with its trials, the numbers of those handed back, and how its
    trials came from the last list read (:meth:`SessionReader.trials_patch`)."""
    for sprint in session.sprints():
        if sprint.state != SprintState.SETUP:
            trials = session.trials(sprint)
            back = session.store.retried_numbers(sprint.study_name)
            yield sprint, trials, back, session.trials_patch(sprint)


def rows_by_sprint(
    session: SessionReader, memo: PollMemo | None = None
) -> dict[int, list[TrialRow]]:
    """Each set-up sprint's rows, in trial order; ``memo`` keeps rows between polls."""
    memo = PollMemo() if memo is None else memo
    return {
        sprint.number: _sprint_rows(sprint, trials, back, memo, patch)
        for sprint, trials, back, patch in _set_up(session)
    }


def trial_rows(
    session: SessionReader, memo: PollMemo | None = None, *, prune_reasons: bool = False
) -> list[TrialRow]:
    """Every shown trial's row, in sprint and trial order.

    ``prune_reasons``: each pruned row says why in ``reason`` (:mod:`engine.read.prunes`), as an
    export needs. It costs a pass over the sprint per pruned trial, so polls go without it and
    the app explains a prune only when it is shown.
    """
    memo = PollMemo() if memo is None else memo
    out: list[TrialRow] = []
    for sprint, trials, back, patch in _set_up(session):
        rows = _sprint_rows(sprint, trials, back, memo, patch)
        pruned = {r.number for r in rows if r.state == "pruned" and r.reason is None}
        if prune_reasons and pruned:
            why = explain_prunes(trials, sprint.plan, sprint.study_name, session.maximize, pruned)
            rows = [replace(r, reason=why[r.number]) if r.number in why else r for r in rows]
        out += rows
    return out


def sprint_view(
    sprint: SprintRecord, mine: list[TrialRow], maximize: bool
) -> tuple[SprintView, TrialRow | None]:
    best = _best(mine, maximize)
    plan = sprint.plan
    view = SprintView(
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
    return view, best


def session_view(session: SessionReader, memo: PollMemo | None = None) -> SessionView:
    """``memo``: what a reader that polls keeps between polls (:class:`PollMemo`)."""
    rec = session.refresh()
    maximize = session.maximize
    memo = PollMemo() if memo is None else memo
    by_sprint = memo.by_sprint = rows_by_sprint(session, memo)
    rows = list(chain.from_iterable(by_sprint.values()))
    views, bests, stages = [], [], []
    sprints = session.sprints()
    for sprint in sprints:
        mine = by_sprint.get(sprint.number, [])
        last = memo.views.get(sprint.number)
        if last is None or last[0] is not mine or last[1] != sprint:
            last = memo.views[sprint.number] = (mine, sprint, *sprint_view(sprint, mine, maximize))
        views.append(last[2])
        bests.append(last[3])
        stages.append(_stage(sprint, mine, memo))
    best_row = _best_at_newest_fidelity(views, bests, maximize)
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
    proposal = session.open_proposal()
    created = sprints[-1].number if sprints else 0
    newest = sprints[-1].plan.fidelity if sprints else None
    coming = None
    if proposal is not None and proposal.after_sprint == created:
        coming = proposal.plan.budget, proposal.plan.fidelity
    stages += stages_to_come(session.spec, created, newest, coming)
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
        best_fidelity=best_row.fidelity if best_row else None,
        proposal=proposal,
        trials=rows,
        progress=session_progress(rec.state, stages, alive),
        storage=troubles(settings.log_dir(rec.name, session.store.url)),
        silent_workers=silent,
        grace_period=settings.grace_period,
    )


def _stage(sprint: SprintRecord, rows: list[TrialRow], memo: PollMemo) -> Stage:
    last = memo.paces.get(sprint.number)
    if last is None or last[0] is not rows:
        last = memo.paces[sprint.number] = rows, sprint_pace((r.state, r.wall_time) for r in rows)
    plan = sprint.plan
    return Stage(sprint.number, plan.budget, trial_cost(plan.fidelity), sprint.state, last[1])


def _best_at_newest_fidelity(
    views: list[SprintView], bests: list[TrialRow | None], maximize: bool
) -> TrialRow | None:
    """The session's best: over every sprint at the fidelity of the newest sprint that completed
    a trial, so a value is never compared with one measured at another fidelity."""
    newest = next(
        (v for v, b in zip(reversed(views), reversed(bests), strict=True) if b is not None), None
    )
    if newest is None:
        return None
    same = [
        b
        for v, b in zip(views, bests, strict=True)
        if b is not None and v.fidelity == newest.fidelity
    ]
    return _best(same, maximize)


def _best(rows: list[TrialRow], maximize: bool) -> TrialRow | None:
    done = [r for r in rows if r.state == "complete" and r.value is not None]
    if not done:
        return None
    return (max if maximize else min)(done, key=lambda r: r.value)  # type: ignore[arg-type, return-value]
