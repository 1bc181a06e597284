"""Reading one session: its spec, sprints, trials, proposals and decisions, and nothing else.

A :class:`SessionReader` never writes, never reaps and never arms a sampler, and this module
imports nothing of the runtime (workers, runner, the advisor): polling screens, ``status`` and
``export`` stand on it. :class:`engine.session.Session` extends it with the lifecycle.
:class:`TrialCache` keeps one study's trials for a reader that polls, reading only what changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from functools import cached_property
from typing import Self

import optuna
from optuna.trial import FrozenTrial

from engine.attrs import HISTORY
from engine.errors import SessionError, SpecError
from engine.optuna_internals import storage_trial_id
from engine.read.memo import Patch
from engine.records import (
    DecisionRecord,
    ProposalRecord,
    SessionRecord,
    SprintRecord,
    Standing,
    now,
)
from engine.settings import Settings
from engine.spec import Spec, spec_from_dict
from engine.states import ProposalStatus
from engine.store import Store


class SessionReader:
    """A handle on one session in a store; cheap to create, reads fresh state on every call."""

    def __init__(self, store: Store, record: SessionRecord) -> None:
        self.store = store
        self.record = record

    @classmethod
    def open_readonly(cls, name: str, url: str, settings: Settings | None = None) -> Self:
        """Open an existing session on a read-only store (it creates and locks nothing)."""
        store = Store(url, readonly=True, settings=settings)
        return cls(store, store.session(name))

    @property
    def name(self) -> str:
        return self.record.name

    @cached_property
    def spec(self) -> Spec:
        try:
            return spec_from_dict(self.record.spec, source=f"session {self.name}")
        except SpecError as exc:
            raise SessionError(f"the stored spec no longer validates: {exc}") from None

    @property
    def maximize(self) -> bool:
        return self.spec.session.direction == "maximize"

    def refresh(self) -> SessionRecord:
        self.record = self.store.session(self.name)
        return self.record

    def sprints(self) -> list[SprintRecord]:
        return self.store.sprints(self.record.id)

    def current(self) -> SprintRecord | None:
        sprints = self.sprints()
        return sprints[-1] if sprints else None

    def study(self, sprint: SprintRecord) -> optuna.Study:
        """The sprint's Optuna study, for reading (its sampler is never asked)."""
        return optuna.load_study(
            study_name=sprint.study_name,
            storage=self.store.optuna_storage(),
            sampler=optuna.samplers.RandomSampler(),
        )

    def trials(self, sprint: SprintRecord) -> list[FrozenTrial]:
        return self.study(sprint).get_trials(deepcopy=False)

    def trials_patch(self, sprint: SprintRecord) -> Patch | None:
        """How the sprint's trials (the list :meth:`trials` gave last) came from the list
        before; None here, where every call reads afresh."""
        return None

    def measured_trials(self, sprint: SprintRecord) -> list[FrozenTrial]:
        """The trials this sprint ran itself (not copies of earlier sprints' history)."""
        return [t for t in self.trials(sprint) if HISTORY not in t.user_attrs]

    def timed_out(self, sprint: SprintRecord) -> bool:
        limit = sprint.plan.timeout
        return limit is not None and now() - sprint.started_at > timedelta(seconds=limit)

    def open_proposal(self) -> ProposalRecord | None:
        return self.store.open_proposal(self.record.id)

    def decisions(self) -> list[DecisionRecord]:
        return self.store.decisions(self.record.id)

    def decision_for(self, proposal_id: int) -> DecisionRecord | None:
        return next((d for d in self.decisions() if d.proposal_id == proposal_id), None)

    def standing(self, after: int) -> Standing:
        """What became of the proposal after sprint ``after``: open, decided (how), replaced."""
        proposals = self.store.proposals(self.record.id)
        mine = next((p for p in proposals if p.after_sprint == after), None)
        waiting = next((p.after_sprint for p in proposals if p.status == ProposalStatus.OPEN), None)
        is_open = mine is not None and mine.status == ProposalStatus.OPEN
        decision = None if mine is None or is_open else self.decision_for(mine.id)
        newer = None if waiting == after else waiting
        return Standing(after, is_open, mine is not None, decision, newer)

    def stale_reason(self, after: int) -> str:
        """Why the proposal after sprint ``after`` cannot be decided: what became of it."""
        fate = self.standing(after)
        decided = fate.decision
        if not fate.exists:
            head = f"there is no proposal after sprint {after}"
        elif decided is not None:
            when = decided.created_at.strftime("%H:%M:%S")
            head = (
                f"the proposal after sprint {after} was already {decided.action} "
                f"by {decided.operator} at {when}"
            )
        else:
            head = f"the proposal after sprint {after} is no longer open"
        tail = "; nothing was written"
        if fate.waiting is not None:
            tail += f"; the proposal waiting now follows sprint {fate.waiting}"
        return head + tail


class TrialCache:
    """One study's trials as last read, brought up to date by reading only what may have changed.

    Optuna never changes a finished trial (its storage refuses every write to one; its own
    trial cache relies on that too), and our marks on trials (hand-backs) live in our own
    tables, read whole at each poll. So an update reads again only the trials unfinished at the
    last read and those with a larger storage id, and compares a summary of the trials up to
    the largest id read (how many, their ids' sum, how many finished) with the database's: a
    difference means trials were deleted, committed late below it (concurrent writers on
    PostgreSQL) or replaced (SQLite hands a deleted largest id out again), and only then are
    all the study's ids listed with whether each finished: the gone are dropped, the missing
    and those whose end differs read.
    """

    def __init__(self, study: str) -> None:
        self.study = study
        #: Counts the updates that changed something: an equal version holds the same trials.
        self.version = 0
        #: The study's trials by number (then id); a trial unchanged since the last update is
        #: the same object, so what was computed from it may be kept.
        self.trials: list[FrozenTrial] = []
        #: How :attr:`trials` came from the list before it, where it was patched (as at a usual
        #: poll): (that list, the positions of the trials new or replaced in this one); None
        #: where it was listed afresh.
        self.patch: tuple[list[FrozenTrial], tuple[int, ...]] | None = None
        self._by_id: dict[int, FrozenTrial] = {}
        self._pos: dict[int, int] = {}  # where each id is in ``trials``
        self._after = -1  # the largest storage id read
        self._open: set[int] = set()  # ids of the trials not finished when last read
        self._summary = [0, 0, 0]  # of the cached trials: how many, sum of ids, how many ended

    def update(self, store: Store) -> bool:
        """Read what may have changed since the last update; True if anything did."""
        after = self._after
        batch = store.study_trials(self.study, after, self._open)
        self._open = set()  # each was read again: those still open are in the batch
        changed = self._merge(batch.trials)
        above = [t for t in batch.trials if storage_trial_id(t) > after]
        dropped = False
        if self._summary_without(above) != batch.older:
            ends = store.study_trial_ends(self.study)
            for tid in self._by_id.keys() - ends.keys():
                self._drop(tid)
                changed.pop(tid, None)
                dropped = True
            stale = {
                tid
                for tid, ended in ends.items()
                if tid not in self._by_id
                or ended != (self._by_id[tid].datetime_complete is not None)
            }
            if stale:
                changed |= self._merge(store.study_trials(self.study, self._after, stale).trials)
        if not changed and not dropped:
            return False
        self._relist(list(changed.values()), dropped)
        self.version += 1
        return True

    def _merge(self, trials: Sequence[FrozenTrial]) -> dict[int, FrozenTrial]:
        """Take in the trials read; those new or changed, by id."""
        changed = {}
        for t in trials:
            tid = storage_trial_id(t)
            old = self._by_id.get(tid)
            if old is None or old != t:  # an unchanged trial stays the object it was
                if old is not None:
                    self._drop(tid)
                self._add(tid, t)
                changed[tid] = t
            if not t.state.is_finished():
                self._open.add(tid)
            self._after = max(self._after, tid)
        return changed

    def _relist(self, changed: list[FrozenTrial], dropped: bool) -> None:
        """A new list (what was made of the old one may be kept): the old one patched where
        trials were only replaced or added after the others, as at a usual poll."""
        listed, pos = self.trials, self._pos
        new = sorted((t for t in changed if storage_trial_id(t) not in pos), key=_order)
        replaced = [t for t in changed if storage_trial_id(t) in pos]
        if (
            dropped
            or (new and listed and _order(new[0]) <= _order(listed[-1]))
            or any(listed[pos[storage_trial_id(t)]].number != t.number for t in replaced)
        ):
            self.trials = sorted(self._by_id.values(), key=_order)
            self._pos = {storage_trial_id(t): i for i, t in enumerate(self.trials)}
            self.patch = None
            return
        out = list(listed)
        at = [pos[storage_trial_id(t)] for t in replaced]
        for t, i in zip(replaced, at, strict=True):
            out[i] = t
        for t in new:
            pos[storage_trial_id(t)] = len(out)
            at.append(len(out))
            out.append(t)
        self.trials = out
        self.patch = listed, tuple(at)

    def _add(self, tid: int, t: FrozenTrial) -> None:
        self._by_id[tid] = t
        self._summary[0] += 1
        self._summary[1] += tid
        self._summary[2] += t.datetime_complete is not None

    def _drop(self, tid: int) -> None:
        t = self._by_id.pop(tid)
        self._open.discard(tid)
        self._summary[0] -= 1
        self._summary[1] -= tid
        self._summary[2] -= t.datetime_complete is not None

    def _summary_without(self, trials: Sequence[FrozenTrial]) -> tuple[int, int, int]:
        """The cached trials' summary, less ``trials`` (as :attr:`TrialBatch.older` counts)."""
        count, ids, ended = self._summary
        for t in trials:
            count, ids = count - 1, ids - storage_trial_id(t)
            ended -= t.datetime_complete is not None
        return count, ids, ended


def _order(t: FrozenTrial) -> tuple[int, int]:
    # By number; a number is unique in its study unless trials were deleted by hand.
    return t.number, storage_trial_id(t)
