"""The advisor: a pure function from a closed sprint's trials to the next sprint's proposal."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from optuna.trial import FrozenTrial, TrialState

from engine.space import Space
from engine.spec import Spec
from engine.sprint import SprintPlan, planned_sprint


@dataclass(frozen=True)
class Proposal:
    """The suggested next sprint, the configurations to re-evaluate first, and why."""

    plan: SprintPlan
    carry_over: list[dict[str, Any]]
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_store(self) -> dict[str, Any]:
        return {
            "plan": self.plan.to_dict(),
            "carry_over": self.carry_over,
            "evidence": self.evidence,
        }


def ranked(trials: Sequence[FrozenTrial], maximize: bool) -> list[FrozenTrial]:
    """Completed trials, best first."""
    done = [t for t in trials if t.state == TrialState.COMPLETE and t.value is not None]
    return sorted(done, key=lambda t: t.value, reverse=maximize)  # type: ignore[arg-type, return-value]


def carry_over(
    trials: Sequence[FrozenTrial], space: Space, maximize: bool, limit: int
) -> list[dict[str, Any]]:
    """The best distinct configurations that lie inside ``space``, to re-evaluate first."""
    chosen: list[dict[str, Any]] = []
    for t in ranked(trials, maximize):
        if len(chosen) >= limit:
            break
        params = {n: t.params[n] for n in space.names if n in t.params}
        if space.contains(params) and params not in chosen:
            chosen.append(params)
    return chosen


def propose(
    spec: Spec, closed: SprintPlan, closed_number: int, trials: Sequence[FrozenTrial]
) -> Proposal | None:
    """The next planned sprint over the closed sprint's space; None once the plan has run out."""
    if closed_number >= len(spec.sprints):
        return None
    plan = planned_sprint(spec, closed_number, space=closed.space)
    maximize = spec.session.direction == "maximize"
    carried = carry_over(trials, plan.space, maximize, min(spec.advisor.carry_over, plan.budget))
    best = ranked(trials, maximize)
    evidence = {
        "summary": "the next planned sprint, unchanged",
        "trials": len(trials),
        "complete": sum(t.state == TrialState.COMPLETE for t in trials),
        "best_value": best[0].value if best else None,
    }
    return Proposal(plan, carried, evidence)
