"""A session: its spec, sprints, proposals and decisions, and the lifecycle between them."""

from __future__ import annotations

import getpass
import logging
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from engine import advisor
from engine.attrs import (
    CARRIED,
    DEATHS,
    FAIL_REASON,
    FIDELITY,
    HISTORY,
    OVER_BUDGET,
    RETRY_OF,
    SPRINT,
    WORKER,
)
from engine.dashboard_notes import write_notes
from engine.decision import validate_plan
from engine.errors import DecisionError, SessionError, StaleProposalError, StoreError
from engine.faults import describe, is_storage_fault
from engine.hosts import this_host
from engine.optuna_internals import fixed_params
from engine.read.reader import SessionReader
from engine.records import (
    DecisionRecord,
    ProposalRecord,
    SprintRecord,
    now,
)
from engine.settings import Settings
from engine.spec import Spec
from engine.sprint import SprintPlan, planned_sprint, study_name
from engine.states import Action, ProposalStatus, SessionState, SprintState
from engine.store import Store

log = logging.getLogger(__name__)


def operator_name() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return f"{user}@{this_host()}"


@dataclass(frozen=True)
class Opened:
    session: Session
    created: bool


class Session(SessionReader):
    """A session's lifecycle: create or resume it, reap dead workers' trials, close sprints,
    decide proposals. Reading is :class:`SessionReader`'s."""

    # -- opening ---------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        name: str,
        url: str,
        reap: bool = True,
        readonly: bool = False,
        settings: Settings | None = None,
    ) -> Session:
        """Open an existing session; a ``readonly`` handle (for polling screens) never reaps.

        One that reaps also brings the sprints' optuna-dashboard notes up to date (a session
        decided before optuna-dashboard was installed gets them here)."""
        store = Store(url, readonly=readonly, settings=settings)
        session = cls(store, store.session(name))
        if reap and not readonly:
            session.reap()
            session.recover_setup(stuck_after=store.settings.grace_period)
            write_notes(session)
        return session

    @classmethod
    def create_or_resume(
        cls,
        spec: Spec,
        spec_text: str,
        url: str,
        sys_path: list[str],
        adopt_foreign: bool = False,
        settings: Settings | None = None,
    ) -> Opened:
        """``adopt_foreign``: the database may hold other tables (a shared Optuna database);
        its studies are still never adopted."""
        store = Store(url, create=True, adopt_foreign=adopt_foreign, settings=settings)
        record = store.find_session(spec.session.name)
        if record is not None:
            session = cls(store, record)
            store.request_stop(record.id, False)
            session.reap()
            session.recover_setup(stuck_after=store.settings.grace_period)
            write_notes(session)
            return Opened(session, created=False)
        first = study_name(spec.session.name, 1, spec.sprints[0].name)
        foreign = store.foreign_study(first, spec.session.name, spec.session.direction)
        if foreign is not None:  # refused before anything is written
            raise StoreError(foreign)
        record = store.create_session(
            spec.session.name, spec.model_dump(mode="json"), spec_text, sys_path
        )
        session = cls(store, record)
        with store.begin() as conn:
            store.add_sprint(
                conn,
                record.id,
                1,
                study_name(record.name, 1, spec.sprints[0].name),
                planned_sprint(spec, 0),
            )
        session.recover_setup()
        return Opened(session, created=True)

    # -- reading: SessionReader's, with the trials' study armed on request ----------------
    def study(self, sprint: SprintRecord, seed: int | None = None) -> optuna.Study:
        """The sprint's Optuna study; with a seed, armed with the sprint's sampler and pruner.

        Its storage reaps: a trial found stale is handed back and re-queued."""
        storage = self.store.optuna_storage(self._on_stale_trial)
        if seed is None:
            sampler: optuna.samplers.BaseSampler = optuna.samplers.RandomSampler()
            pruner: optuna.pruners.BasePruner = optuna.pruners.NopPruner()
        else:
            sampler, pruner = sprint.plan.make_sampler(seed), sprint.plan.make_pruner()
        return optuna.load_study(
            study_name=sprint.study_name, storage=storage, sampler=sampler, pruner=pruner
        )

    # -- crash recovery ----------------------------------------------------------------------
    def reap(self, sprint: SprintRecord | None = None, study: optuna.Study | None = None) -> int:
        """Fail the trials of dead workers; each one's slot is handed back and it is re-queued.

        A caller that already holds the current sprint (and its study) passes them in. Returns
        how many reaped trials found unqueued were handed back now (see :meth:`_unqueued`).
        """
        sprint = sprint or self.current()
        if sprint is None or sprint.state != SprintState.RUNNING:
            return 0
        study = study or self.study(sprint)
        # First those failed by an earlier reap that lost the storage before it re-queued them.
        unqueued = self._unqueued(study, sprint)
        for trial in unqueued:
            self.requeue(study, trial, "stale")
        optuna.storages.fail_stale_trials(study)
        # Optuna's check skips a trial that never beat (its worker died right after asking).
        started_before = datetime.now() - timedelta(seconds=self.store.settings.grace_period)
        storage = self.store.optuna_storage(self._on_stale_trial)
        for trial_id in self.store.unbeaten_trial_ids(sprint.study_name, started_before):
            try:
                if not storage.set_trial_state_values(trial_id, TrialState.FAIL):
                    continue
            except optuna.exceptions.UpdateFinishedTrialError:
                continue  # it finished after all, or another process failed it first
            self.requeue(study, storage.get_trial(trial_id), "stale")
        return len(unqueued)

    def _unqueued(self, study: optuna.Study, sprint: SprintRecord) -> list[FrozenTrial]:
        """Reaped trials whose hand-back never happened: failing one and recording its retry
        are two writes, and the storage can go away between them. Every other failure the
        product makes carries a reason (the objective's, a hand-back's, the operator's, over
        budget); a reap's carries none, so a failed trial with neither a reason nor a retry is
        a reap cut short. Handing it back is safe from any process: the retry is recorded once.
        """
        handed_back = self.store.retried_numbers(sprint.study_name)
        return [
            t
            for t in study.get_trials(deepcopy=False, states=(TrialState.FAIL,))
            if t.number not in handed_back
            and FAIL_REASON not in t.user_attrs
            and not t.user_attrs.get(OVER_BUDGET)
            and HISTORY not in t.user_attrs
        ]

    def _on_stale_trial(self, study: optuna.Study, trial: FrozenTrial) -> None:
        self.requeue(study, trial, "stale")

    def requeue(self, study: optuna.Study, trial: FrozenTrial, reason: str) -> None:
        """Hand back a failed trial's slot and queue the same configuration (once per trial)."""
        if self.store.record_retry(study.study_name, trial.number, reason):
            log.warning("trial %d %s: re-queued with the same configuration", trial.number, reason)
            attrs: dict[str, int] = {RETRY_OF: trial.number}
            # A worker that died under this configuration (not one stopped or cut off from the
            # storage) counts against it: the runner fails it for good after MAX_DEATHS. A
            # trial reaped before its worker labelled it never reached the objective (the
            # worker was cut off right after asking): that is no death of the configuration's.
            died = reason == "stale" and WORKER in trial.user_attrs
            deaths = int(trial.user_attrs.get(DEATHS, 0)) + died
            if deaths:
                attrs[DEATHS] = deaths
            study.enqueue_trial(trial.params, user_attrs=attrs, skip_if_exists=False)

    def recover_setup(
        self, sprint: SprintRecord | None = None, stuck_after: float | None = None
    ) -> None:
        """Set up a sprint in setup: its study, its carry-over, then the notes (idempotent).

        One process does it: it claims the sprint first (:meth:`Store.claim_setup`), and one
        that loses the claim leaves the setup to the winner. Who created the sprint (a decision,
        a new session) sets it up at once; anyone else passes ``stuck_after`` (seconds) and
        takes over only a setup that long unfinished, as when its process died in the middle.
        """
        sprint = sprint or self.current()
        if sprint is None or sprint.state != SprintState.SETUP:
            return
        if stuck_after is not None and now() - sprint.started_at < timedelta(seconds=stuck_after):
            return  # its creator is setting it up
        if not self.store.claim_setup(sprint.id, sprint.started_at):
            return  # another process claimed it first
        storage = self.store.optuna_storage(self._on_stale_trial)
        direction = self.spec.session.direction
        foreign = self.store.foreign_study(sprint.study_name, self.name, direction)
        if foreign is not None:
            raise StoreError(foreign)
        study = optuna.create_study(
            study_name=sprint.study_name, storage=storage, direction=direction, load_if_exists=True
        )
        study.set_user_attr("sprintopt.session", self.name)
        study.set_user_attr(SPRINT, sprint.number)
        study.set_user_attr(FIDELITY, sprint.plan.fidelity.to_attr())
        trials = study.get_trials(deepcopy=False)
        # What a setup cut short had enqueued is not enqueued again.
        carried = [fixed_params(t) for t in trials if t.user_attrs.get(CARRIED)]
        for params in self._carry_over_for(sprint):
            if params in carried:
                carried.remove(params)
            else:
                study.enqueue_trial(params, user_attrs={CARRIED: True})
        if self.spec.advisor.mix_fidelities and not any(HISTORY in t.user_attrs for t in trials):
            self._add_history(study, sprint)
        self.store.mark_sprint_running(sprint.id)
        # The new sprint's note says which decision it came from, the closed one's the decision.
        write_notes(self)

    def _add_history(self, study: optuna.Study, sprint: SprintRecord) -> None:
        """Copy earlier sprints' finished trials inside the new space into the sampler's view.

        Only when the spec asks (``advisor.mix_fidelities``): their values were measured at
        other fidelities. The copies never count against the budget and are not shown as trials.
        """
        space = sprint.plan.space
        dists = space.to_optuna()
        for earlier in self.sprints():
            if earlier.number >= sprint.number or earlier.state != "closed":
                continue
            for t in self.trials(earlier):
                params = {n: t.params[n] for n in space.names if n in t.params}
                if t.state != TrialState.COMPLETE or not space.contains(params):
                    continue
                if HISTORY in t.user_attrs:
                    continue  # already a copy: take each measurement once
                study.add_trial(
                    optuna.trial.create_trial(
                        params=params,
                        distributions=dists,
                        value=t.value,
                        user_attrs={HISTORY: earlier.number},
                    )
                )

    def _carry_over_for(self, sprint: SprintRecord) -> list[dict[str, Any]]:
        proposal = next(
            (
                p
                for p in self.store.proposals(self.record.id)
                if p.after_sprint == sprint.number - 1
            ),
            None,
        )
        if proposal is None:
            return []
        fitted = advisor.fit_carry_over(proposal.carry_over, proposal.plan.space, sprint.plan.space)
        return fitted[: sprint.plan.budget]

    # -- sprint transitions ------------------------------------------------------------------
    def try_close(self, sprint: SprintRecord) -> SessionState | None:
        """Close a spent sprint and store the proposal; exactly one caller wins.

        Returns the state the winner left the session in (awaiting a decision, or finished);
        None to every other caller."""
        sprints = self.sprints()
        if any(s.id == sprint.id and s.state != SprintState.RUNNING for s in sprints):
            return None  # closed by another worker already: skip the advisor's work
        # The advisor reads every earlier sprint: the fidelity gate compares carried-over
        # configurations with their source sprint, and the recheck finds what was fixed when.
        history = [
            advisor.ClosedSprint(s.number, s.plan, self.measured_trials(s))
            for s in sprints
            if s.number < sprint.number
        ]
        closed = advisor.ClosedSprint(sprint.number, sprint.plan, self.measured_trials(sprint))
        proposal = advisor.propose(self.spec, history, closed)
        stored = None if proposal is None else proposal.to_store()
        state = SessionState.FINISHED if proposal is None else SessionState.AWAITING
        if not self.store.close_sprint(sprint, stored, state):
            return None
        log.info("sprint %d (%s) closed; session %s", sprint.number, sprint.plan.name, state)
        write_notes(self)  # after the close's transaction, and only by its winner
        return state

    def decide(
        self,
        action: Action | str,
        plan: SprintPlan | None = None,
        operator: str | None = None,
        note: str = "",
        after: int | None = None,
    ) -> DecisionRecord:
        """Accept, edit or reject the open proposal; the next sprint is created from it.

        ``after`` names the proposal being answered by the closed sprint it follows: a decision
        for one that is no longer open (decided elsewhere, or a later one waits) is refused with
        :class:`StaleProposalError`, in the same transaction that would have written it.
        The next sprint's setup then writes the optuna-dashboard notes (best effort).
        """
        try:
            action = Action(action)
        except ValueError:
            raise DecisionError(
                f"unknown decision {action!r}: accepted, edited or rejected"
            ) from None
        proposal = self._proposal_to_decide(after)
        closed = next(s for s in self.sprints() if s.number == proposal.after_sprint)
        match action:
            case Action.ACCEPTED:
                applied = proposal.plan
            case Action.EDITED:
                if plan is None:
                    raise DecisionError("an edit needs the edited plan")
                validate_plan(plan, self.spec)
                applied = plan
            case Action.REJECTED:
                applied = proposal.plan.with_changes(space=closed.plan.space)
        number = proposal.after_sprint + 1
        ok = self.store.decide(
            proposal,
            action,
            applied,
            operator or operator_name(),
            note,
            (number, study_name(self.name, number, applied.name), applied),
        )
        if not ok:
            raise StaleProposalError(self.stale_reason(proposal.after_sprint))
        try:
            self.recover_setup()
        except Exception as exc:
            if not is_storage_fault(exc):
                raise
            # The decision stands: said as an error, it would read as not taken. The sprint
            # stays in setup, and a worker finishes it once it is a grace period old.
            log.warning("sprint %d is set up later (storage: %s)", number, describe(exc))
        self.refresh()
        return next(d for d in self.decisions() if d.proposal_id == proposal.id)

    def _proposal_to_decide(self, after: int | None) -> ProposalRecord:
        proposals = self.store.proposals(self.record.id)
        if after is None:
            found = next((p for p in proposals if p.status == ProposalStatus.OPEN), None)
            if found is None:
                raise SessionError(f"session {self.name} has no proposal waiting for a decision")
            return found
        found = next((p for p in proposals if p.after_sprint == after), None)
        if found is None or found.status != ProposalStatus.OPEN:
            raise StaleProposalError(self.stale_reason(after))
        return found
