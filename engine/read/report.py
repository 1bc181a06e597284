"""The campaign report's content: the whole session as one record, computed from the store.

Everything a report shows is here as plain frozen dataclasses, so it is tested by value; the
HTML and Markdown (and their charts) are drawn from a :class:`Campaign` by ``tui.report``.
The story is told in order: the spec and its plan; per sprint its space against the spec's,
fidelity, sampler, pruner, budget, trial states, wall time and best; per proposal the evidence
(with the fidelity gate's pairs, to draw) and the decision; the campaign's best over its cost;
and the recommendation — the best configuration measured at the highest fidelity.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.advisor.changes import space_changes
from engine.advisor.recheck import fidelity_cost
from engine.plan_text import plan_diff, pruner_text
from engine.proposal import ClosedSprint, Evidence, GateEvidence
from engine.read.gates import GatePart, gate_part
from engine.read.model import SprintView, TrialRow, rows_by_sprint, sprint_view
from engine.read.reader import SessionReader
from engine.records import DecisionRecord, ProposalRecord, SprintRecord, now
from engine.space import Space
from engine.sprint import SprintPlan, planned_sprint
from engine.states import SessionState, SprintState
from engine.storage_url import mask_url

#: How many of a sprint's best trials have their learning curves drawn.
TOP_CURVES = 5


@dataclass(frozen=True)
class RangeRow:
    """One parameter of a sprint's space beside the spec's."""

    name: str
    spec: str
    sprint: str
    action: str  # keep | narrow | widen | freeze | drop | ... (engine.advisor.changes)


@dataclass(frozen=True)
class LearningCurve:
    """A trial's intermediate values, step by step."""

    trial: int
    value: float | None
    steps: tuple[int, ...]
    values: tuple[float, ...]


@dataclass(frozen=True)
class SprintPart(SprintView):
    """A sprint as the app's read model shows it, and what the report tells besides."""

    pruner_line: str  # the pruner and the first step it may stop a trial at
    started: datetime
    closed: datetime | None
    #: From the sprint's start to its close (or to now, while it runs).
    wall_seconds: float
    #: The objective's time summed over the sprint's trials (what the sprint cost).
    trial_seconds: float
    best: TrialRow | None
    space: tuple[RangeRow, ...]
    #: The top trials' learning curves (only trials that reported a value at some step).
    curves: tuple[LearningCurve, ...]


@dataclass(frozen=True)
class DecisionPart:
    action: str
    operator: str
    at: datetime
    note: str
    #: What the operator changed from the proposal, one line each (empty unless edited).
    edits: tuple[str, ...]


@dataclass(frozen=True)
class ChangeRow:
    """One parameter of a proposal: its range now and proposed, the change, and why."""

    name: str
    old: str
    new: str
    action: str
    reason: str
    importance: float | None


@dataclass(frozen=True)
class ProposalPart:
    after_sprint: int
    created_at: datetime
    evidence: Evidence
    plan: SprintPlan  # the next sprint as proposed
    closed: SprintPlan  # the sprint it follows
    changes: tuple[ChangeRow, ...]
    gate: GatePart | None
    decision: DecisionPart | None  # None: it waits


@dataclass(frozen=True)
class CostPoint:
    """One finished trial on the campaign's cost axis (the objective's seconds, summed)."""

    cost: float
    sprint: int
    trial: int
    state: str
    value: float | None
    best: float | None  # the best value so far in this trial's sprint (values of one fidelity)


@dataclass(frozen=True)
class Band:
    """A sprint's stretch of the cost axis."""

    sprint: int
    name: str
    fidelity: str
    start: float
    end: float


@dataclass(frozen=True)
class Recommendation:
    """The best configuration measured at the highest fidelity the campaign reached."""

    sprint: int
    sprint_name: str
    fidelity: str
    trial: int
    value: float
    params: Mapping[str, Any]
    attrs: Mapping[str, Any]
    #: A ``[space.frozen]`` table of the configuration, to paste into a spec.
    frozen_toml: str
    #: The command that runs the campaign again from its spec.
    command: str


@dataclass(frozen=True)
class Campaign:
    name: str
    state: SessionState
    running: bool
    direction: str
    storage: str  # masked: never a password
    created_at: datetime
    generated_at: datetime
    spec_text: str
    planned: tuple[str, ...]  # one line per planned sprint
    sprints: tuple[SprintPart, ...]
    proposals: tuple[ProposalPart, ...]
    cost: tuple[CostPoint, ...]
    bands: tuple[Band, ...]
    #: Per sprint with evidence: the parameters' importance at its close.
    importance: tuple[tuple[int, str, Mapping[str, float]], ...]
    recommendation: Recommendation | None
    #: The objective's own attributes on the best trials at the highest fidelity:
    #: (trial number, value, attributes), best first.
    attrs: tuple[tuple[int, float | None, Mapping[str, Any]], ...]

    @property
    def trials(self) -> int:
        return sum(sum(s.counts.values()) for s in self.sprints)


def campaign(session: SessionReader) -> Campaign:
    """Everything the report tells, read once from the session's store (never written)."""
    rec = session.refresh()
    spec, maximize = session.spec, session.maximize
    original = spec.to_space()
    sprints = session.sprints()
    rows = rows_by_sprint(session)
    trials = {s.number: session.measured_trials(s) for s in sprints if s.state != SprintState.SETUP}
    parts = tuple(
        _sprint_part(s, rows.get(s.number, []), original, maximize)
        for s in sprints
        if s.state != SprintState.SETUP
    )
    by_number = {s.number: s for s in sprints}
    decisions = {d.proposal_id: d for d in session.decisions()}
    proposals = tuple(
        _proposal_part(p, by_number, trials, decisions.get(p.id), maximize)
        for p in session.store.proposals(rec.id)
        if p.after_sprint in by_number
    )
    cost, bands = _cost_axis(parts, rows, maximize)
    importance = tuple(
        (p.after_sprint, by_number[p.after_sprint].plan.name, dict(p.evidence.importance.values))
        for p in proposals
        if p.evidence.importance is not None and p.evidence.importance.values
    )
    top = _top_at_highest(parts, rows, {s.number: s.plan for s in sprints}, maximize)
    return Campaign(
        name=rec.name,
        state=rec.state,
        running=rec.state != SessionState.FINISHED,
        direction=spec.session.direction,
        storage=mask_url(session.store.url),
        created_at=rec.created_at,
        generated_at=now(),
        spec_text=rec.spec_text,
        planned=tuple(_planned(session, i) for i in range(len(spec.sprints))),
        sprints=parts,
        proposals=proposals,
        cost=cost,
        bands=bands,
        importance=importance,
        recommendation=_recommend(top, parts, rec.name),
        attrs=tuple((r.number, r.value, r.attrs) for r in top if r.attrs),
    )


def _planned(session: SessionReader, index: int) -> str:
    plan = planned_sprint(session.spec, index)
    return (
        f"{index + 1}. {plan.name}: {plan.budget} trials at {plan.fidelity.describe()}, "
        f"{plan.sampler} sampler, pruner {pruner_text(plan)}"
    )


def _sprint_part(
    sprint: SprintRecord, rows: list[TrialRow], original: Space, maximize: bool
) -> SprintPart:
    plan = sprint.plan
    end = sprint.closed_at or now()
    view, best = sprint_view(sprint, rows, maximize)
    ranked = _ranked(rows, maximize)
    space = tuple(
        RangeRow(name, c.old, c.new, c.action)
        for name, c in space_changes(original, plan.space).items()
    )
    curves = tuple(
        LearningCurve(
            r.number,
            r.value,
            tuple(sorted(r.intermediate)),
            tuple(r.intermediate[k] for k in sorted(r.intermediate)),
        )
        for r in ranked[:TOP_CURVES]
        if r.intermediate
    )
    return SprintPart(
        **vars(view),
        pruner_line=pruner_text(plan),
        started=sprint.started_at,
        closed=sprint.closed_at,
        wall_seconds=max(0.0, (end - sprint.started_at).total_seconds()),
        trial_seconds=sum(r.wall_time or 0.0 for r in rows),
        best=best,
        space=space,
        curves=curves,
    )


def _ranked(rows: Sequence[TrialRow], maximize: bool) -> list[TrialRow]:
    """The completed trials, best first (ties: the earlier measurement first; a configuration
    carried over to a sprint at the same fidelity ties with itself)."""
    done = [r for r in rows if r.state == "complete" and r.value is not None]
    sign = -1.0 if maximize else 1.0
    return sorted(done, key=lambda r: (sign * r.value, r.sprint, r.number))  # type: ignore[operator]


def _proposal_part(
    p: ProposalRecord,
    sprints: Mapping[int, SprintRecord],
    trials: Mapping[int, Sequence[Any]],
    decision: DecisionRecord | None,
    maximize: bool,
) -> ProposalPart:
    closed = sprints[p.after_sprint]
    ev = p.evidence
    # The evidence's own rows; a proposal stored without them is compared plan to plan.
    params = ev.params or space_changes(closed.plan.space, p.plan.space)
    changes = tuple(
        ChangeRow(name, c.old, c.new, c.action, c.reason, c.importance)
        for name, c in params.items()
    )
    return ProposalPart(
        after_sprint=p.after_sprint,
        created_at=p.created_at,
        evidence=ev,
        plan=p.plan,
        closed=closed.plan,
        changes=changes,
        gate=_gate(ev.gate, sprints, trials, p.after_sprint, maximize),
        decision=None if decision is None else _decision(decision, p.plan),
    )


def _gate(
    evidence: GateEvidence | None,
    sprints: Mapping[int, SprintRecord],
    trials: Mapping[int, Sequence[Any]],
    after: int,
    maximize: bool,
) -> GatePart | None:
    """The gate of the proposal after sprint ``after``: that sprint's carried-over trials
    against their sources in the sprint before (the advisor's own pairing)."""
    if evidence is None:
        return None
    low, high = sprints.get(after - 1), sprints[after]
    if low is None or after - 1 not in trials or after not in trials:
        return gate_part(evidence, None, ClosedSprint(high.number, high.plan, ()), maximize)
    return gate_part(
        evidence,
        ClosedSprint(low.number, low.plan, trials[after - 1]),
        ClosedSprint(high.number, high.plan, trials[after]),
        maximize,
    )


def _decision(d: DecisionRecord, proposed: SprintPlan) -> DecisionPart:
    applied = d.applied
    edits = () if applied is None else tuple(plan_diff(proposed, applied))
    return DecisionPart(str(d.action), d.operator, d.created_at, d.note, edits)


def _cost_axis(
    parts: Sequence[SprintPart], rows: Mapping[int, list[TrialRow]], maximize: bool
) -> tuple[tuple[CostPoint, ...], tuple[Band, ...]]:
    """Every finished trial in order of its end, at the objective's seconds spent so far; the
    best so far is kept per sprint, so values at two fidelities are never compared."""
    points: list[CostPoint] = []
    bands: list[Band] = []
    spent = 0.0

    def better(a: float, b: float) -> bool:
        return a > b if maximize else a < b

    for part in parts:
        start = spent
        best: float | None = None
        ended = [r for r in rows.get(part.number, []) if r.ended is not None]
        for r in sorted(ended, key=lambda r: (r.ended, r.number)):
            spent += r.wall_time or 0.0
            if r.state == "complete" and r.value is not None:
                best = r.value if best is None or better(r.value, best) else best
            points.append(CostPoint(spent, part.number, r.number, r.state, r.value, best))
        bands.append(Band(part.number, part.name, part.fidelity, start, spent))
    return tuple(points), tuple(bands)


def _top_at_highest(
    parts: Sequence[SprintPart],
    rows: Mapping[int, list[TrialRow]],
    plans: Mapping[int, SprintPlan],
    maximize: bool,
) -> list[TrialRow]:
    """The completed trials of the highest fidelity any sprint completed a trial at (as the
    advisor orders fidelities), best first."""
    measured = [p.number for p in parts if p.best is not None]
    if not measured:
        return []
    cost = {n: fidelity_cost(plans[n].fidelity) for n in measured}
    top = max(cost.values())
    return _ranked([r for n in measured if cost[n] == top for r in rows[n]], maximize)[:TOP_CURVES]


def _recommend(
    top: Sequence[TrialRow], parts: Sequence[SprintPart], name: str
) -> Recommendation | None:
    best = top[0] if top else None
    if best is None or best.value is None:
        return None
    part = next(p for p in parts if p.number == best.sprint)
    lines = ["[space.frozen]"] + [f"{k} = {_toml(v)}" for k, v in best.params.items()]
    return Recommendation(
        sprint=part.number,
        sprint_name=part.name,
        fidelity=part.fidelity,
        trial=best.number,
        value=best.value,
        params=dict(best.params),
        attrs=dict(best.attrs),
        frozen_toml="\n".join(lines),
        command=f"sprintopt run SPEC --name {name}-again",
    )


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(str(value))  # a JSON string is a TOML basic string


__all__ = [
    "Band",
    "Campaign",
    "ChangeRow",
    "CostPoint",
    "LearningCurve",
    "DecisionPart",
    "GatePart",
    "ProposalPart",
    "Recommendation",
    "SprintPart",
    "campaign",
]
