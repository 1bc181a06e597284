"""Reading one session: its spec, sprints, trials, proposals and decisions, and nothing else.

A :class:`SessionReader` never writes, never reaps and never arms a sampler, and this module
imports nothing of the runtime (workers, runner, the advisor): polling screens, ``status`` and
``export`` stand on it. :class:`engine.session.Session` extends it with the lifecycle.
"""

from __future__ import annotations

from datetime import timedelta
from functools import cached_property

import optuna
from optuna.trial import FrozenTrial

from engine.attrs import HISTORY
from engine.errors import SessionError, SpecError
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
    def open_readonly(cls, name: str, url: str, settings: Settings | None = None) -> SessionReader:
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
