"""The whole session's progress: sprint k of n, trials left, and how long the rest may take.

The estimate stands on the wall times of the session's finished trials and the live workers:

- a trial's *cost* is its sprint's resource amount times its train fraction (what the
  objective is asked to spend), so trials at a fidelity not yet run are priced at the seconds
  per unit of cost measured so far (pooled over every finished trial with a wall time);
- the running sprint uses its own mean once :data:`OWN_EVIDENCE` of its trials have finished
  (its pruner and its workers' machines are in that number), the pooled rate before;
- a sprint's trials run in waves of one per live worker, and sprints run one after another;
- with no finished trial, or no live worker, the time is unknown (None), and says why.

Every number is finite and never negative. It is recomputed at each poll from per-sprint
paces, which a poller keeps while a sprint's rows are unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from engine.objective import Fidelity
from engine.spec import Spec, sprint_fidelity
from engine.states import SessionState, SprintState

#: Trials of its own that the running sprint needs before its mean replaces the pooled rate.
OWN_EVIDENCE = 3
#: No estimate goes past this (ten years): wall times summed that far say nothing more.
LONGEST = 10 * 365 * 86400.0
_ENDED = ("complete", "pruned", "failed")


@dataclass(frozen=True)
class SprintPace:
    """What a sprint's trials say about its pace so far."""

    #: Trials that ended (complete, pruned or failed): they hold their budget slot for good.
    finished: int = 0
    #: Of those, the ones with a usable wall time, and their seconds summed.
    timed: int = 0
    seconds: float = 0.0


def _seconds(value: object) -> float | None:
    """A wall time fit to count: a finite, non-negative number (anything else is ignored)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    seconds = float(value)
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def sprint_pace(states_and_times: Iterable[tuple[str, object]]) -> SprintPace:
    """The pace of one sprint from its rows' (state, wall time)."""
    walls = [wall for state, wall in states_and_times if state in _ENDED]
    # Most are floats: checked inline (NaN fails both comparisons), the rest by _seconds.
    seconds = [w for w in walls if type(w) is float and 0.0 <= w < math.inf]
    seconds += [s for w in walls if type(w) is not float and (s := _seconds(w)) is not None]
    return SprintPace(len(walls), len(seconds), float(sum(seconds)))


def trial_cost(fidelity: Fidelity) -> float:
    """What one trial at ``fidelity`` is asked to spend: resource amount × train fraction."""
    cost = float(fidelity.amount) * float(fidelity.train_fraction)
    return cost if math.isfinite(cost) and cost > 0 else 1.0


@dataclass(frozen=True)
class Stage:
    """One sprint of the session, as progress sees it: run, running, or still to come."""

    number: int
    budget: int
    cost: float
    #: None: not created yet (the open proposal's plan, or the spec's).
    state: SprintState | None = None
    pace: SprintPace = SprintPace()

    @property
    def left(self) -> int:
        """Trials of its budget still to end (a closed sprint has none, even one cut short)."""
        if self.state == SprintState.CLOSED:
            return 0
        return max(0, self.budget - self.pace.finished)


@dataclass(frozen=True)
class SessionProgress:
    """Sprint ``sprint`` of ``sprints``, trials ended and left, and the estimates in seconds."""

    #: The newest sprint (running, set up, or the last closed); 0 before the first.
    sprint: int
    sprints: int
    done: int
    left: int
    #: Until the running sprint ends (its proposal, or the end if it is the last); None while
    #: unknown or when no sprint runs (a proposal waits, or the session finished).
    to_proposal: float | None
    #: Until the session ends, not counting the wait for decisions; 0 once it finished.
    to_end: float | None
    #: Why the estimates are unknown (None when they are known or not needed).
    unknown: str | None
    #: Seconds per trial of the running sprint the estimate used (None: unknown or none runs).
    per_trial: float | None = None

    @property
    def fraction(self) -> float:
        """The share of the session's trials that ended, 0 to 1 (by trials, not by time)."""
        total = self.done + self.left
        return self.done / total if total else (1.0 if self.sprints else 0.0)


def session_progress(state: SessionState, stages: Sequence[Stage], workers: int) -> SessionProgress:
    """The progress of a session in ``state`` over its ``stages`` (in order, the ones not yet
    created last) with ``workers`` live workers."""
    made = [s for s in stages if s.state is not None]
    current = made[-1] if made else None
    done = sum(s.pace.finished for s in made)
    finished = state == SessionState.FINISHED
    todo = [] if finished else [s for s in stages if s.left > 0]
    left = sum(s.left for s in todo)
    counted = len(made) if finished else len(stages)
    base = {
        "sprint": current.number if current else 0,
        "sprints": max(counted, current.number if current else 0),
        "done": done,
        "left": left,
    }
    if finished or not todo:
        return SessionProgress(**base, to_proposal=None, to_end=0.0, unknown=None)
    running = current if current is not None and current.state != SprintState.CLOSED else None
    timed = sum(s.pace.timed for s in made)
    why = None
    if timed == 0:
        why = "no trial has finished yet"
    elif workers <= 0:
        why = "no worker is alive"
    if why is not None:
        return SessionProgress(**base, to_proposal=None, to_end=None, unknown=why)
    rate = sum(s.pace.seconds for s in made) / sum(s.pace.timed * s.cost for s in made)

    def per_trial(stage: Stage) -> float:
        own = stage.pace
        if stage is running and own.timed >= OWN_EVIDENCE:
            return own.seconds / own.timed
        return rate * stage.cost

    def duration(stage: Stage) -> float:
        return _bounded(math.ceil(stage.left / workers) * per_trial(stage))

    to_end = _bounded(sum(duration(s) for s in todo))
    to_proposal = duration(running) if running is not None else None
    pace = per_trial(running) if running is not None else None
    return SessionProgress(
        **base, to_proposal=to_proposal, to_end=to_end, unknown=None, per_trial=pace
    )


def _bounded(seconds: float) -> float:
    return min(seconds, LONGEST) if math.isfinite(seconds) else LONGEST


def stages_to_come(
    spec: Spec, created: int, last: Fidelity | None, proposal: tuple[int, Fidelity] | None
) -> list[Stage]:
    """The sprints not yet created, after the ``created`` ones (the newest at ``last``): the
    open ``proposal``'s (budget, fidelity) for the next one, the spec's plan for the rest, and
    its extra sprints, each a fidelity step above the one before (as the advisor plans them)."""
    planned = len(spec.sprints)
    fidelity = last
    out = []
    for number in range(created + 1, planned + spec.advisor.extra_sprints + 1):
        if number == created + 1 and proposal is not None:
            budget, fidelity = proposal
        elif number <= planned:
            sprint = spec.sprints[number - 1]
            budget, fidelity = sprint.trials, sprint_fidelity(spec, sprint)
        else:
            from engine.advisor.schedule import stepped  # only a spec with extra sprints pays

            budget = spec.sprints[-1].trials
            before = fidelity or sprint_fidelity(spec, spec.sprints[-1])
            fidelity = stepped(before, spec.advisor.fidelity_step, spec.fidelity.max)[0]
        out.append(Stage(number, budget, trial_cost(fidelity)))
    return out
